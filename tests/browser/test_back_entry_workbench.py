"""离线补录 in real Chromium, keyboard only: 杭州's window clerk enters a paper 评价卡 collected twelve
days ago; a date in the future is refused in the error summary first. axe-core reports nothing,
and the page does not scroll sideways at 375 px."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from test_staff_journey import log_in

from sifa.evaluation.models import Rating
from sifa.organisations.models import Role
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_a_window_clerk_enters_a_paper_card(browser_page, check_page, live_server):
    orgs = W.build_world()
    clerk = W.staff("hz-card-clerk", (orgs["hz"], Role.WINDOW_CLERK))
    base, page = live_server.url, browser_page
    log_in(page, base, clerk, "/workbench/window/rating/")
    page.wait_for_url(f"{base}/workbench/window/rating/")
    page.get_by_role("link", name="补录评价").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/workbench/window/rating/back-entry/")
    check_page(page, "workbench-window-back-entry")

    card_day = timezone.localdate() - dt.timedelta(days=12)
    page.get_by_label("纸质评价卡").check()
    page.get_by_label("评价日期").fill((timezone.localdate() + dt.timedelta(days=3)).isoformat())
    page.get_by_label("评价卡编号").fill("HZ-2026-0042")
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("文字评价（选填）").fill("窗口人员离岗未告知")
    page.get_by_role("button", name="补录").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("alert").get_by_role("link", name="评价卡上的日期不能晚于今天")).to_be_visible()
    check_page(page, "workbench-window-back-entry-error")
    assert not Rating.objects.exists()

    page.get_by_label("评价日期").fill(card_day.isoformat())
    page.get_by_role("button", name="补录").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status").get_by_text("已补录评价卡 HZ-2026-0042")).to_be_visible()
    rating = Rating.objects.get()
    assert timezone.localdate(rating.created_at) == card_day and rating.entered_by == clerk
    assert rating.comment == "窗口人员离岗未告知"
