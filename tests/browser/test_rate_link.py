"""Rating a window visit by link in real Chromium (the counter's 评价器 and the SMS link): the page
names the organisation, takes an optional comment and rates with one large button, by keyboard; a
second visit of the used link gets its Chinese message. Also in 关怀模式 and without JavaScript.
axe-core must find nothing and no page may scroll sideways at 375 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sifa.evaluation.models import Rating

pytestmark = pytest.mark.browser

COMMENT = "排队一个多小时，只开了一个窗口。"


@pytest.fixture
def link(transactional_db):
    """A visit link from a window clerk of 杭州市司法局 — committed for the live server."""
    from sifa.catalogue.tests.conftest import build_tree
    from sifa.deadlines.services import seed_calendar
    from sifa.evaluation import services
    from sifa.organisations.models import Role
    from sifa.testing import staff

    orgs = build_tree()
    seed_calendar(2025, 2026)
    clerk = staff("hz-window", orgs["hz"], Role.WINDOW_CLERK)
    return services.invite_visit(clerk, channel="window_tablet")


@pytest.mark.django_db(transaction=True)
def test_the_visitor_rates_on_the_counter_device_by_keyboard_once(
    link, live_server, browser_page, check_page
):
    page, base = browser_page, live_server.url
    page.goto(f"{base}{link.path}")
    expect(page.get_by_role("heading", name="评价本次服务")).to_be_visible()
    expect(page.get_by_text("杭州市司法局").first).to_be_visible()
    check_page(page, "rate-link")
    page.get_by_label("评价意见（选填，先填写再点下面的按钮）").fill(COMMENT)
    page.keyboard.press("Tab")  # 非常满意
    for _ in range(4):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "非常不满意"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="感谢您的评价")).to_be_visible()
    expect(page.get_by_text("已收到您的差评")).to_be_visible()
    check_page(page, "rate-link-done")
    rating = Rating.objects.get(number=link.link.number)
    assert (rating.level, rating.channel, rating.comment) == ("very_dissatisfied", "window_tablet", COMMENT)
    page.goto(f"{base}{link.path}")
    expect(page.get_by_role("heading", name="已经评价过了")).to_be_visible()
    check_page(page, "rate-link-used")


@pytest.mark.django_db(transaction=True)
def test_the_rating_page_in_care_mode(link, live_server, browser_page, check_page):
    page, base = browser_page, live_server.url
    page.context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
    page.goto(f"{base}{link.path}")
    assert page.locator("body.sifa-care").count() == 1
    check_page(page, "rate-link-care")


@pytest.mark.django_db(transaction=True)
def test_rating_by_link_without_javascript(link, live_server, nojs_page, check_page):
    page, base = nojs_page, live_server.url
    page.goto(f"{base}{link.path}")
    page.get_by_role("button", name="满意", exact=True).click()
    expect(page.get_by_role("heading", name="感谢您的评价")).to_be_visible()
    assert Rating.objects.get(number=link.link.number).level == "satisfied"
    check_page(page, "rate-link-done-nojs", audit=False, shots=False)
