"""投诉举报 in real Chromium: an anonymous person complains about a 司法所's window (the error summary
first), gets the number and the tracking code once, follows the complaint with them; the county
bureau's supervisor accepts and replies (through the services); the person reads the outcome with
the same code. axe-core must find nothing and no page may scroll sideways at 375 px.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sifa.complaints import services
from sifa.complaints.models import Complaint
from sifa.organisations.models import Role

pytestmark = pytest.mark.browser

TEXT = "12月1日上午在北山街道司法所窗口办理调解申请，工作人员让我来回跑了三次，每次要求的材料都不一样。"
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def settled(page) -> None:
    """Wait until htmx has swapped and set up the new chooser (a person is never faster than that)."""
    page.wait_for_function(f"!document.querySelector({HTMX_BUSY!r})")


PLACE_IDS = {"省（区、市）": "province", "市（州）": "city", "县（市、区）": "county"}
REPLY = "经核查情况属实，已统一窗口材料清单，并对相关工作人员进行批评教育。感谢您的监督。"


@pytest.fixture
def world(transactional_db):
    from sifa.catalogue.tests.conftest import build_tree
    from sifa.deadlines.services import seed_calendar
    from sifa.testing import staff

    orgs = build_tree()
    seed_calendar(2025, 2026)
    return {"orgs": orgs, "supervisor": staff("xh-supervisor", orgs["xh"], Role.SUPERVISOR)}


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_complaint_followed_by_its_tracking_code(world, live_server, browser_page, check_page):
    page, base = browser_page, live_server.url
    page.goto(f"{base}/complaints/new/")
    check_page(page, "complaint-new", shots=False)

    # Nothing written: the summary names the problem and its link takes the keyboard there.
    page.get_by_role("button", name="提交投诉举报").click()
    summary = page.locator(".sifa-error-summary")
    expect(summary).to_be_visible()
    check_page(page, "complaint-new-errors", shots=False)

    # The place chooser with JavaScript: choosing a level fills the next list in place (htmx), no
    # page load, the focus stays on the list just chosen.
    page.get_by_label("事实和诉求").fill(TEXT)
    page.evaluate("window.__same_page = true")
    # the polite live region is in the page before it changes (a region inserted with its text is
    # not read out): the same element throughout, only its text replaced
    status = page.get_by_role("status").filter(has_text="请先选择省（区、市）")
    assert status.get_attribute("aria-live") == "polite"
    page.evaluate("window.__status = document.getElementById('f-places-status')")
    for label, place, following, heard in (
        ("省（区、市）", "浙江省", "市（州）", "已列出 浙江省 的"),
        ("市（州）", "杭州市", "县（市、区）", "已列出 杭州市 的"),
        ("县（市、区）", "西湖区", "机构", "已列出 西湖区 的"),
    ):
        page.get_by_label(label).focus()  # as a keyboard user is, on the list they change
        page.get_by_label(label).select_option(label=place)
        page.get_by_label(following, exact=True).wait_for()
        settled(page)
        assert page.evaluate("document.activeElement.id") == f"f-{PLACE_IDS[label]}"
        said = page.locator("#f-places-status").inner_text()
        assert said.startswith(heard) and "个机构" in said, said
        assert page.evaluate("window.__status === document.getElementById('f-places-status')")
    assert page.evaluate("window.__same_page") is True  # never reloaded
    assert page.get_by_label("事实和诉求").input_value() == TEXT
    # a higher level chosen again empties the levels below it
    page.get_by_label("市（州）").select_option(value="")
    page.get_by_label("县（市、区）").wait_for(state="detached")
    settled(page)
    assert "北山街道司法所" not in page.get_by_label("机构", exact=True).inner_text()
    page.get_by_label("市（州）").select_option(label="杭州市")
    page.get_by_label("县（市、区）").wait_for()
    settled(page)
    page.get_by_label("县（市、区）").select_option(label="西湖区")
    page.locator("#f-organisation option", has_text="北山街道司法所").wait_for(state="attached")
    settled(page)
    check_page(page, "complaint-new-place", shots=False)
    page.get_by_label("机构", exact=True).select_option(label="北山街道司法所")
    assert page.get_by_label("匿名投诉举报（不留姓名，凭查询码查询）").is_checked()
    page.get_by_role("button", name="提交投诉举报").click()
    page.wait_for_url(f"{base}/complaints/new/done/")
    expect(page.get_by_role("heading", name="投诉举报已提交")).to_be_visible()
    number = page.locator(".sifa-panel__number").inner_text().strip()
    code = page.locator("[data-tracking-code]").inner_text().strip()
    assert number.startswith("TS330106") and len(code) == 8
    check_page(page, "complaint-done", shots=False)
    page.reload()
    assert page.locator("[data-tracking-code]").count() == 0  # shown once

    complaint = Complaint.objects.get(number=number)
    assert complaint.complainant is None and complaint.handler == world["orgs"]["xh"]

    page.get_by_role("link", name="查询办理进度").first.click()
    page.get_by_label("投诉编号").fill(number)
    page.get_by_label("查询码").fill("WRONG234")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".sifa-error-summary")).to_be_visible()
    check_page(page, "complaint-track-error", shots=False)
    page.get_by_label("投诉编号").fill(number)
    page.get_by_label("查询码").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    assert page.locator("[data-status]").inner_text() == "待受理"
    check_page(page, "complaint-progress", shots=False)

    services.accept(world["supervisor"], number)
    services.reply(world["supervisor"], number, text=REPLY)

    page.goto(f"{base}/complaints/track/")
    page.get_by_label("投诉编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    assert page.locator("[data-status]").inner_text() == "已答复"
    expect(page.get_by_text(REPLY)).to_be_visible()
    check_page(page, "complaint-progress-replied", shots=False)


@pytest.mark.django_db(transaction=True)
def test_the_place_chooser_works_without_javascript(world, live_server, nojs_page, check_page):
    """Without JavaScript each 选择所在地 is a plain POST that keeps what was typed; the complaint
    is filed with the organisation chosen at the end."""
    page, base = nojs_page, live_server.url
    page.goto(f"{base}/complaints/new/")
    page.get_by_label("事实和诉求").fill(TEXT)
    for label, place in (("省（区、市）", "浙江省"), ("市（州）", "杭州市"), ("县（市、区）", "西湖区")):
        page.get_by_label(label).select_option(label=place)
        with page.expect_navigation():
            page.get_by_role("button", name="选择所在地").click()
    assert page.get_by_label("事实和诉求").input_value() == TEXT
    check_page(page, "complaint-new-place-nojs", audit=False, shots=False)
    page.get_by_label("机构", exact=True).select_option(label="北山街道司法所")
    page.get_by_role("button", name="提交投诉举报").click()
    page.wait_for_url(f"{base}/complaints/new/done/")
    number = page.locator(".sifa-panel__number").inner_text().strip()
    assert Complaint.objects.get(number=number).handler == world["orgs"]["xh"]
