"""法律咨询 in real Chromium: a citizen asks online (the error summary first, then the place picked
from the list), sees the confirmation; a consultant of the 司法所 answers citing an article
(through the service); the citizen reads the answer, opens the cited article, rates the answer and
turns the consultation into a mediation application, landing on the prefilled draft. Then an
anonymous asker with JavaScript off gets the tracking code once and follows with it, and the ask
form in 关怀模式. axe-core must find nothing and no page may scroll sideways at 375 px.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_citizen_journey import log_in, the_citizen

from sifa.applications.models import Application
from sifa.consultation import services
from sifa.consultation.models import Ticket, TicketStatus
from sifa.organisations.models import Role

pytestmark = pytest.mark.browser

QUESTION = "楼上邻居装修导致我家天花板漏水，协商不成，想请社区调解，需要什么手续？是否收费？"
ANSWER = "可以向北山街道人民调解委员会申请调解，人民调解不收费。请携带身份证和相关照片到司法所登记。"


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    """The organisation tree, the catalogue (人民调解申请 at 北山街道司法所), the law library's sample,
    the calendar, the citizen and the 司法所's consultant — committed for the live server."""
    from sifa.catalogue.tests.conftest import CATALOGUE_TREE
    from sifa.deadlines.services import seed_calendar
    from sifa.laws.services import import_sample
    from sifa.testing import staff
    from sifa.testing.tree import catalogue_tree

    settings.MEDIA_ROOT = tmp_path / "media"
    orgs = catalogue_tree(*CATALOGUE_TREE)
    import_sample()
    seed_calendar(2025, 2026)
    return {
        "orgs": orgs,
        "citizen": the_citizen(),
        "consultant": staff("town-consultant", orgs["xh_town"], Role.CONSULTANT),
    }


def fill_question(page) -> None:
    page.get_by_label("咨询类别").select_option(label="人民调解和矛盾纠纷")
    page.get_by_label("标题").fill("邻居装修漏水如何调解")
    page.get_by_label("咨询内容").fill(QUESTION)


@pytest.mark.django_db(transaction=True)
def test_a_citizen_asks_online_reads_the_answer_rates_and_converts(
    world, live_server, browser_page, check_page
):
    page, base = browser_page, live_server.url
    log_in(page, base, "/consultations/")
    check_page(page, "consultation-index")
    page.get_by_role("link", name="在线咨询", exact=True).click()
    page.wait_for_url(f"{base}/consultations/new/")
    check_page(page, "consultation-ask")

    # Nothing filled in: the summary lists each problem and its link takes the keyboard there.
    page.get_by_label("咨询类别").select_option("")
    page.get_by_role("button", name="提交咨询").click()
    summary = page.locator(".sifa-error-summary")
    expect(summary.get_by_role("link", name="请选择咨询类别")).to_be_visible()
    check_page(page, "consultation-ask-errors")
    summary.get_by_role("link", name="请选择咨询类别").click()
    assert page.evaluate("() => document.activeElement.id") == "f-category"

    fill_question(page)
    # The citizen's own county (西湖区) is offered with its townships; the question is in 北山街道.
    page.get_by_label("咨询事项发生地或您所在的地区").select_option(label="杭州市西湖区北山街道")
    page.get_by_label("答复后用短信告诉我").check()
    page.get_by_role("button", name="提交咨询").click()
    page.wait_for_url(f"{base}/consultations/new/done/")
    expect(page.get_by_role("heading", name="咨询已提交")).to_be_visible()
    expect(page.get_by_text("北山街道司法所")).to_be_visible()
    check_page(page, "consultation-done")
    ticket = Ticket.objects.get()
    assert ticket.asker == world["citizen"] and ticket.organisation == world["orgs"]["xh_town"]

    services.answer(world["consultant"], ticket.number, text=ANSWER, citations=["人民调解法第十七条"])
    page.get_by_role("link", name="查看我的咨询").click()
    page.wait_for_url(f"{base}/consultations/{ticket.number}/")
    expect(page.get_by_text(ANSWER)).to_be_visible()
    check_page(page, "consultation-detail")
    page.get_by_role("link", name="人民调解法第十七条").click()
    page.wait_for_url(re.compile(r".*/laws/.+/.+/$"))
    expect(page.get_by_text("当事人").first).to_be_visible()
    page.go_back()

    # Rating and conversion by keyboard alone.
    page.get_by_label("非常满意").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # leaves the radio group for the comment
    page.keyboard.type("解答清楚")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "提交评价"
    page.keyboard.press("Enter")
    page.get_by_role("status").get_by_text("感谢您的评价").wait_for()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.satisfaction == "very_satisfied"

    page.get_by_role("button", name="转为人民调解申请").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/apply/drafts/[0-9a-f-]+/form/1/$"))
    draft = Application.objects.get()
    assert (
        draft.entry.item.name == "人民调解申请" and draft.accepting_organisation == world["orgs"]["xh_town"]
    )
    assert draft.form_data["dispute"] == QUESTION  # prefilled from the consultation, not retyped
    expect(page.get_by_text("人民调解申请").first).to_be_visible()

    page.goto(f"{base}/me/")
    expect(page.get_by_role("link", name="邻居装修漏水如何调解")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_an_anonymous_asker_without_javascript_follows_with_the_tracking_code(
    world, live_server, nojs_page, browser_page, check_page
):
    page, base = nojs_page, live_server.url
    page.goto(f"{base}/consultations/new/")
    fill_question(page)
    # No place of their own: found by name, with what was typed kept.
    page.get_by_label("列表中没有？输入地区名称查找").fill("北山")
    page.get_by_role("button", name="查找地区").click()
    expect(page.get_by_role("status").get_by_text("找到1个地区")).to_be_visible()
    assert page.get_by_label("标题").input_value() == "邻居装修漏水如何调解"
    page.get_by_role("button", name="提交咨询").click()
    page.wait_for_url(f"{base}/consultations/new/done/")
    code = page.locator(".sifa-code").inner_text()
    number = Ticket.objects.get().number
    check_page(page, "consultation-done-anonymous-nojs", shots=False, audit=False)
    page.reload()
    assert page.locator(".sifa-code").count() == 0  # shown once

    services.answer(world["consultant"], number, text=ANSWER, citations=["人民调解法第十七条"])
    page.get_by_role("link", name="查询答复").first.click()
    page.get_by_label("工单编号").fill(number)
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.get_by_text(ANSWER)).to_be_visible()
    expect(page.get_by_text("匿名咨询不能直接转为申请")).to_be_visible()
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("status").get_by_text("感谢您的评价")).to_be_visible()

    # The same pages audited with JavaScript (axe needs it): the track page with an error, in 关怀模式.
    audited = browser_page
    audited.context.add_cookies([{"name": "sifa_care", "value": "1", "url": base}])
    audited.goto(f"{base}/consultations/track/")
    audited.get_by_label("工单编号").fill(number)
    audited.get_by_label("查询码").fill("ABCDEFGH")
    audited.get_by_role("button", name="查询", exact=True).click()
    expect(audited.locator(".sifa-error-summary").get_by_text("工单编号或查询码不正确")).to_be_visible()
    assert "sifa-care" in audited.evaluate("() => document.body.className")
    check_page(audited, "consultation-care-track-error")
    audited.goto(f"{base}/consultations/new/")
    check_page(audited, "consultation-care-ask")
