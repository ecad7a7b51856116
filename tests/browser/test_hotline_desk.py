"""The 12348 hotline in real Chromium: the province's operator records a call at the desk (with the
keyboard) and sees it routed to 北山街道司法所; the 司法所's consultant answers citing 人民调解法第十七条;
the caller gets the answer by SMS; the operator records the caller's rating; an overdue ticket is
escalated and shows under 逾期升级 for the county's consultant. axe-core reports nothing on the
desk, the ticket page and the queue, and none scrolls sideways at 375 px.

Each staff member works in their own browser context (as at their own desk), so nobody logs in
twice with the same TOTP code.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from test_staff_journey import log_in

from sifa.accounts.sms import latest_local_message
from sifa.consultation import services
from sifa.consultation.models import Ticket, TicketStatus
from sifa.laws.services import import_sample
from sifa.notifications.services import deliver_due
from sifa.organisations.models import Role
from sifa.testing import tree
from sifa.workbench.tests import world as W

pytestmark = pytest.mark.browser
CALLER = "13812345678"
DESKTOP = {"width": 1280, "height": 900}


def desk_page(browser):
    context = browser.new_context(bypass_csp=True, locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.mark.django_db(transaction=True)
def test_a_hotline_call_is_recorded_answered_rated_and_escalated(browser, check_page, live_server):
    orgs = tree("ministry", "zj", "hz", "xh", "xh_aid", "xh_town")
    import_sample()
    operator = W.staff("hotline-zj", (orgs["zj"], Role.CONSULTANT))
    consultant = W.staff("town-consultant", (orgs["xh_town"], Role.CONSULTANT))
    county = W.staff("county-consultant", (orgs["xh"], Role.CONSULTANT))
    base = live_server.url
    contexts = []
    try:
        # The hotline system opens the desk with the caller's number.
        context, desk = desk_page(browser)
        contexts.append(context)
        log_in(desk, base, operator, f"/workbench/consultations/new/?phone={CALLER}")
        desk.wait_for_url(f"{base}/workbench/consultations/new/?phone={CALLER}")
        check_page(desk, "workbench-hotline-desk")
        assert desk.get_by_label("来电号码").input_value() == CALLER
        assert desk.get_by_label("12348热线").is_checked()
        assert desk.get_by_label("通话开始时间").input_value()  # when the page opened

        # The operator works the form with the keyboard: Tab moves through it, Enter submits.
        desk.get_by_label("来电（来访）人称呼（选填）").focus()
        desk.keyboard.type("陈先生")
        desk.get_by_label("录音编号（选填）").fill("12348-ZJ-0001")
        desk.get_by_label("咨询类别").select_option(label="人民调解和矛盾纠纷")
        desk.get_by_label("咨询事项发生地或来电人所在地").select_option(label="北山街道")
        desk.get_by_label("标题（问题概要）").focus()
        desk.keyboard.type("邻居装修漏水纠纷如何调解")
        desk.keyboard.press("Tab")
        assert desk.evaluate("() => document.activeElement.id") == "id_question"
        desk.keyboard.type("楼上邻居装修导致我家天花板漏水，协商不成，想请社区调解，需要什么手续？是否收费？")
        desk.keyboard.press("Tab")
        assert desk.evaluate("() => document.activeElement.id") == "id_wants_sms"
        desk.keyboard.press("Space")
        assert desk.get_by_label("答复后以短信告知来电人").is_checked()
        assert desk.get_by_label("承办机构").input_value() == ""  # 自动分派
        desk.get_by_role("button", name="保存工单").focus()
        desk.keyboard.press("Enter")
        desk.wait_for_url(f"{base}/workbench/consultations/ZX*/")
        status = desk.get_by_role("status")
        expect(status.get_by_text("分派至北山街道司法所")).to_be_visible()
        ticket = Ticket.objects.get()
        assert ticket.organisation == orgs["xh_town"] and ticket.phone_masked == "138****5678"
        expect(desk.get_by_text("138****5678").first).to_be_visible()
        check_page(desk, "workbench-consultation-ticket", shots=False)

        # The 司法所's consultant finds it in the queue and answers, citing the article.
        context, town = desk_page(browser)
        contexts.append(context)
        log_in(town, base, consultant, "/workbench/consultations/")
        town.wait_for_url(f"{base}/workbench/consultations/")
        check_page(town, "workbench-consultation-queue")
        town.get_by_role("link", name=ticket.number).click()
        town.get_by_label("答复内容").fill(
            "人民调解不收费。您可以向北山街道人民调解委员会口头或书面申请调解，带上身份证明和漏水的照片等证据。"
        )
        town.get_by_label("引用的法律条文（每行一条）").fill("人民调解法第十七条")
        town.get_by_role("button", name="提交答复").click()
        expect(town.get_by_role("status").get_by_text("已答复，将以短信告知咨询人")).to_be_visible()
        expect(town.get_by_role("link", name="人民调解法第十七条")).to_be_visible()
        check_page(town, "workbench-consultation-answered")

        # The caller has no account: the answer goes by SMS to the number of the call.
        deliver_due()
        sms = latest_local_message(CALLER)
        assert sms is not None and ticket.number in sms.body and "人民调解不收费" in sms.body

        # The caller rates it on the phone; the operator records it.
        desk.reload()
        desk.get_by_label("非常满意").check()
        desk.get_by_role("button", name="登记评价").click()
        expect(desk.get_by_role("status").get_by_text("已登记评价：非常满意")).to_be_visible()
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.CLOSED and ticket.rating_channel == "hotline"

        # Another call nobody answers in time: the scheduler escalates it to the county.
        late = services.create_ticket(
            operator,
            channel="hotline",
            category="labour",
            region="330106001000",
            title="单位拖欠工资怎么办",
            question="公司已经三个月没有发工资，老板一直拖延，请问应该怎么维权？",
            phone="13900000000",
        ).ticket
        assert services.escalate_overdue(late.due_date + dt.timedelta(days=1)) == [late.number]
        context, bureau = desk_page(browser)
        contexts.append(context)
        log_in(bureau, base, county, "/workbench/consultations/?status=escalated")
        bureau.wait_for_url(f"{base}/workbench/consultations/?status=escalated")
        assert bureau.get_by_role("link", name="逾期升级（1）").get_attribute("aria-current") == "page"
        row = bureau.get_by_role("row", name=late.number)
        expect(row.get_by_text("已升级至杭州市西湖区司法局")).to_be_visible()
        check_page(bureau, "workbench-consultation-escalated", shots=False)
    finally:
        for context in contexts:
            context.close()
