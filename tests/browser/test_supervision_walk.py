"""The supervision pages as their users meet them at their hardest: 375 px wide, 关怀模式 (care
mode), JavaScript off, keyboard only. An anonymous person complains about a 司法所 (the place
chooser by its 选择所在地 button), keeps the number and tracking code, and follows the complaint
with them; the public disclosure page chooses a month with its plain form. No page scrolls
sideways, and every step is reached with Tab/Enter and typed text (a select is set while focused,
as the keyboard sets it)."""

from __future__ import annotations

import re

import pytest

from sifa.complaints.models import Complaint
from sifa.organisations.models import Role

pytestmark = pytest.mark.browser

TEXT = "12月1日上午在北山街道司法所窗口办理调解申请，工作人员让我来回跑了三次，每次要求的材料都不一样。"
PHONE = {"width": 375, "height": 800}


@pytest.fixture
def world(transactional_db):
    from sifa.catalogue.tests.conftest import build_tree
    from sifa.deadlines.services import seed_calendar
    from sifa.testing import staff

    orgs = build_tree()
    seed_calendar(2025, 2026)
    return {"orgs": orgs, "supervisor": staff("xh-supervisor", orgs["xh"], Role.SUPERVISOR)}


def press_on(page, locator, key: str = "Enter") -> None:
    locator.focus()
    page.keyboard.press(key)


def choose(page, label: str, option: str) -> None:
    select = page.get_by_label(label, exact=True)
    select.focus()
    select.select_option(label=option)


@pytest.mark.django_db(transaction=True)
def test_complain_and_follow_in_care_mode_without_javascript_by_keyboard(
    world, live_server, nojs_page, check_page
):
    page, base = nojs_page, live_server.url
    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
    page.goto(f"{base}/complaints/new/")
    assert "sifa-care" in (page.locator("body").get_attribute("class") or "")
    page.get_by_label("事实和诉求").focus()
    page.keyboard.type(TEXT)
    for label, place in (("省（区、市）", "浙江省"), ("市（州）", "杭州市"), ("县（市、区）", "西湖区")):
        choose(page, label, place)
        press_on(page, page.get_by_role("button", name="选择所在地"))
        page.wait_for_load_state()
    assert page.get_by_label("事实和诉求").input_value() == TEXT  # kept through each refresh
    choose(page, "机构", "北山街道司法所")
    check_page(page, "walk-complaint-new-care-nojs", audit=False, shots=False)
    press_on(page, page.get_by_role("button", name="提交投诉举报"))
    page.wait_for_url(f"{base}/complaints/new/done/")
    number = page.locator(".sifa-panel__number").inner_text().strip()
    code = page.locator("[data-tracking-code]").inner_text().strip()
    check_page(page, "walk-complaint-done-care-nojs", audit=False, shots=False)
    assert Complaint.objects.get(number=number).handler == world["orgs"]["xh"]

    page.goto(f"{base}/complaints/track/")
    page.get_by_label("投诉编号").focus()
    page.keyboard.type(number)
    page.keyboard.press("Tab")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.locator("[data-status]").wait_for()
    assert page.locator("[data-status]").inner_text() == "待受理"
    check_page(page, "walk-complaint-progress-care-nojs", audit=False, shots=False)


@pytest.mark.django_db(transaction=True)
def test_the_disclosure_page_by_keyboard_in_care_mode_without_javascript(
    world, live_server, nojs_page, check_page
):
    page, base = nojs_page, live_server.url
    page.set_viewport_size(PHONE)
    page.context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
    hz = world["orgs"]["hz"]
    page.goto(f"{base}/disclosure/{hz.pk}/")
    period = page.get_by_label("统计月份")
    period.focus()
    period.select_option(index=1)
    press_on(page, page.get_by_role("button", name="查看"))
    page.wait_for_url(re.compile(r".*\?period=\d{4}-\d{2}$"))
    check_page(page, "walk-disclosure-care-nojs", audit=False, shots=False)
    for link in (
        "/disclosure/feed.atom",
        f"/disclosure/{hz.pk}/feed.atom",
        "/disclosure/opendata/",
        "/disclosure/opendata/statistics.csv",
        "/disclosure/opendata/statistics.json",
    ):
        response = page.request.get(base + link)
        assert response.status < 400, link
