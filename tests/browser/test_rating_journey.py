"""好差评 in real Chromium: the citizen opens a delivered case in 我的空间, first submits the form
without a level (the error summary, its link takes the keyboard to the first radio button), then
rates the case 非常不满意 with a comment and sees the rectification the 差评 opened, with its due
date. The rating form also in 关怀模式, and a rating with JavaScript off. axe-core must find nothing
and no page may scroll sideways at 375 px.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from test_citizen_journey import ITEM, log_in, the_citizen

from sifa.evaluation.models import Rating, Rectification

pytestmark = pytest.mark.browser

COMMENT = "窗口排队时间过长，材料要求没有一次性讲清楚。"


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The organisation tree, the catalogue, the calendar and the citizen's 律师执业许可 case at
    杭州市司法局, delivered — committed for the live server."""
    from sifa.catalogue.models import ImplementationEntry
    from sifa.catalogue.tests.conftest import CATALOGUE_TREE
    from sifa.deadlines.services import seed_calendar
    from sifa.testing.cases import make_case
    from sifa.testing.tree import catalogue_tree

    settings.MEDIA_ROOT = tmp_path / "media"
    orgs = catalogue_tree(*CATALOGUE_TREE)
    seed_calendar(2025, 2026)
    citizen = the_citizen()
    entry = ImplementationEntry.objects.get(item__name=ITEM, organisation=orgs["hz"])
    app = make_case(entry, citizen, status="delivered")
    return {"orgs": orgs, "citizen": citizen, "app": app}


@pytest.mark.django_db(transaction=True)
def test_the_citizen_rates_a_delivered_case_and_sees_the_rectification(
    world, live_server, browser_page, check_page
):
    page, base = browser_page, live_server.url
    number = world["app"].number
    log_in(page, base, "/me/")
    page.get_by_role("link", name=ITEM).first.click()
    page.wait_for_url(f"{base}/me/applications/{number}/")
    expect(page.get_by_role("heading", name="评价本次服务")).to_be_visible()
    check_page(page, "rating-form")

    # No level chosen: the summary links to the first radio button.
    page.get_by_role("button", name="提交评价").click()
    summary = page.locator(".sifa-error-summary")
    link = summary.get_by_role("link", name="请选择您对本次服务的满意程度")
    expect(link).to_be_visible()
    check_page(page, "rating-form-errors")
    link.click()
    assert page.evaluate("() => document.activeElement.id") == "f-level"

    # By keyboard: from the first level the arrow keys move down the group to 非常不满意.
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("ArrowDown")
    assert page.get_by_label("非常不满意", exact=True).is_checked()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "f-comment"
    page.keyboard.type(COMMENT)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/me/applications/{number}/")
    expect(page.get_by_text("感谢您的评价")).to_be_visible()
    expect(page.get_by_text(f"您的评价：非常不满意：{COMMENT}")).to_be_visible()

    rating = Rating.objects.get(number=number)
    assert (rating.level, rating.channel) == ("very_dissatisfied", "web")
    due = Rectification.objects.get(rating=rating).due_date
    expect(page.get_by_text("已启动整改")).to_be_visible()
    expect(page.get_by_text(f"{due.year}年{due.month}月{due.day}日").first).to_be_visible()
    expect(page.get_by_text("待整改")).to_be_visible()
    assert page.get_by_role("button", name="提交评价").count() == 0
    check_page(page, "rating-done")


@pytest.mark.django_db(transaction=True)
def test_the_rating_form_in_care_mode(world, live_server, browser_page, check_page):
    page, base = browser_page, live_server.url
    number = world["app"].number
    page.context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
    log_in(page, base, f"/me/applications/{number}/")
    assert page.locator("body.sifa-care").count() == 1
    expect(page.get_by_role("heading", name="评价本次服务")).to_be_visible()
    check_page(page, "rating-form-care")


@pytest.mark.django_db(transaction=True)
def test_rating_without_javascript(world, live_server, nojs_page, check_page):
    page, base = nojs_page, live_server.url
    number = world["app"].number
    log_in(page, base, f"/me/applications/{number}/")
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(f"{base}/me/applications/{number}/")
    expect(page.get_by_text("您的评价：满意")).to_be_visible()
    assert not Rectification.objects.exists()
    check_page(page, "rating-done-nojs", audit=False, shots=False)
