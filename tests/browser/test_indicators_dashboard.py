"""绩效考核 in real Chromium: the province's decision maker opens the dashboard, drills down
province → city → county with the keyboard-usable links, and goes back up by the breadcrumbs.
axe-core reports nothing on each level, and no page scrolls sideways at 375 px. A second journey
with JavaScript switched off chooses another month with the plain GET form."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_staff_journey import log_in

from sifa.applications.models import ApplicationStatus
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser


def _world():
    orgs = W.build_world()
    applicant = W.citizen("indicator-applicant")
    W.make_case(W.entry_for(W.LAWYER, orgs["hz"]), applicant, status=ApplicationStatus.DELIVERED)
    from sifa.indicators.services import rebuild

    rebuild()
    return orgs


@pytest.mark.django_db(transaction=True)
def test_a_province_drills_down_to_the_county_and_back(browser_page, check_page, live_server):
    orgs = _world()
    province = W.staff("ind-province", (orgs["zj"], Role.DECISION_MAKER))
    base, page = live_server.url, browser_page
    log_in(page, base, province, "/workbench/")
    page.wait_for_url(f"{base}/workbench/")
    page.get_by_role("link", name="绩效考核").click()
    page.wait_for_url(f"{base}/workbench/indicators/")
    expect(page.get_by_role("heading", level=1, name="浙江省司法厅")).to_be_visible()
    check_page(page, "workbench-indicators-province")
    # the charts are named images with a data table beside them
    assert page.get_by_role("img", name="浙江省司法厅 近12个月收件数（件）").count() == 1
    page.get_by_role("table", name="近12个月趋势数据表").wait_for()
    # drill down with the keyboard: focus the child's link and press Enter
    page.get_by_role("table", name="下级机构（2 个）").get_by_role("link", name="杭州市司法局").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="杭州市司法局").wait_for()
    check_page(page, "workbench-indicators-city")
    page.get_by_role("link", name="杭州市西湖区司法局").first.click()
    page.get_by_role("heading", level=1, name="杭州市西湖区司法局").wait_for()
    expect(page.get_by_text("杭州市西湖区司法局没有下级机构。")).to_be_visible()
    check_page(page, "workbench-indicators-county")
    page.get_by_role("navigation", name="机构层级").get_by_role("link", name="浙江省司法厅").click()
    page.get_by_role("heading", level=1, name="浙江省司法厅").wait_for()


@pytest.mark.django_db(transaction=True)
def test_choosing_a_month_without_javascript(nojs_page, check_page, live_server):
    orgs = _world()
    county = W.staff("ind-county", (orgs["xh"], Role.SUPERVISOR))
    base, page = live_server.url, nojs_page
    log_in(page, base, county, "/workbench/indicators/")
    page.wait_for_url(f"{base}/workbench/indicators/")
    page.get_by_label("月份").select_option(label="2025年1月")
    page.get_by_role("button", name="查看").click()
    page.get_by_text("2025年1月指标（含下级）").wait_for()
    check_page(page, "workbench-indicators-nojs", audit=False, shots=False)


@pytest.mark.django_db(transaction=True)
def test_issuing_the_monthly_report_without_javascript(nojs_page, check_page, live_server):
    """The 印发 button is a plain POST form: the province's decision maker issues last month's
    通报 and the page then names its 文号 instead of the button."""
    orgs = _world()
    province = W.staff("ind-issuer", (orgs["zj"], Role.DECISION_MAKER))
    base, page = live_server.url, nojs_page
    log_in(page, base, province, "/workbench/indicators/")
    page.wait_for_url(f"{base}/workbench/indicators/")
    expect(page.get_by_text("尚未印发")).to_be_visible()
    button = page.get_by_role("button", name="绩效通报").filter(has_text="印发")
    with page.expect_navigation():
        button.click()
    status = page.locator("#report-status").inner_text()
    assert status.startswith("已印发：") and "通〔" in status
    assert page.get_by_role("button", name="绩效通报").filter(has_text="印发").count() == 0
    check_page(page, "workbench-indicators-issued", audit=False, shots=False)


@pytest.mark.django_db(transaction=True)
def test_withdrawing_a_wrong_report_with_the_keyboard_and_the_city_reads_both(
    nojs_page, browser_page, check_page, live_server
):
    """撤销 is a plain POST form too: without JavaScript, with the keyboard only, the province's
    decision maker withdraws the issued 通报 with a reason and issues the corrected one (the next
    number). The city's supervisor then finds both under 上级通报, the first marked 已撤销 (axe)."""
    orgs = _world()
    province = W.staff("ind-withdrawer", (orgs["zj"], Role.DECISION_MAKER))
    base, page = live_server.url, nojs_page
    log_in(page, base, province, "/workbench/indicators/")
    page.wait_for_url(f"{base}/workbench/indicators/")
    with page.expect_navigation():
        page.get_by_role("button", name="绩效通报").filter(has_text="印发").click()
    first = page.locator("#report-status strong").inner_text()
    assert first.endswith("1号")
    page.get_by_label("撤销理由").focus()
    page.keyboard.type("收件数统计口径有误，予以撤销并重新印发。")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == f"撤销{first}"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator(f'[data-withdrawn="{first}"]').inner_text().startswith(f"{first}（已撤销）")
    assert page.locator("#report-status").inner_text().startswith("尚未印发")
    with page.expect_navigation():
        page.get_by_role("button", name="绩效通报").filter(has_text="印发").click()
    corrected = page.locator("#report-status strong").inner_text()
    assert corrected.endswith("2号") and corrected != first
    check_page(page, "workbench-indicators-withdrawn", audit=False, shots=False)

    city = W.staff("ind-city-reader", (orgs["hz"], Role.SUPERVISOR))
    page = browser_page
    log_in(page, base, city, "/workbench/indicators/")
    page.wait_for_url(f"{base}/workbench/indicators/")
    circulated = page.get_by_role("region", name="上级通报")
    assert "已撤销" in circulated.locator(f'[data-circulated="{first}"]').inner_text()
    assert "已撤销" not in circulated.locator(f'[data-circulated="{corrected}"]').inner_text()
    check_page(page, "workbench-indicators-circulated", shots=False)
    # every member of staff below finds them on the worklist too
    page.goto(f"{base}/workbench/")
    listed = page.get_by_role("region", name="上级通报")
    assert listed.locator(f'[data-circulated="{first}"]').inner_text().count("已撤销") == 1
    check_page(page, "workbench-worklist-circulated", shots=False)
