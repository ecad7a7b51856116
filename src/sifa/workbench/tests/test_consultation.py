"""12348 法律咨询 in the workbench, with the Django client and verified staff logins: the operator
records a call at the desk and it is routed to 北山街道司法所; the 司法所's consultant answers
citing an article (an article the library does not have is refused with the message); the caller's
rating is recorded; a ticket is transferred; the queue's tabs count; out of scope is 404."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from sifa.audit.models import PersonalDataAccess
from sifa.catalogue.tests.conftest import _laws_sample, cat, laws, loaded  # noqa: F401  (fixtures)
from sifa.consultation import selectors, services
from sifa.consultation.models import Citation, EventKind, Ticket, TicketStatus
from sifa.organisations.models import Role
from sifa.testing import CitizenFactory, StaffFactory

pytestmark = pytest.mark.django_db
DESK = "/workbench/consultations/new/"
QUEUE = "/workbench/consultations/"
CALLER = "13812345678"
ANSWER = "人民调解不收费。您可以向北山街道人民调解委员会申请调解，带上身份证明和漏水的照片等证据。"


def _staff(username, organisation, *roles):
    return StaffFactory(
        username=username, memberships=[(organisation, r) for r in roles], two_factor=True, registered=True
    )


@pytest.fixture
def desk(cat, laws):  # noqa: F811
    orgs = cat["orgs"]
    return {
        "orgs": orgs,
        "operator": _staff("hotline-zj", orgs["zj"], Role.CONSULTANT),
        "town": _staff("town-consultant", orgs["xh_town"], Role.CONSULTANT),
        "county": _staff("county-consultant", orgs["xh"], Role.CONSULTANT, Role.SUPERVISOR),
        "aid": _staff("aid-consultant", orgs["xh_aid"], Role.CONSULTANT),
        "beijing": _staff("bj-consultant", orgs["dc"], Role.CONSULTANT),
        "clerk": _staff("town-clerk", orgs["xh_town"], Role.WINDOW_CLERK),
        "reviewer": _staff("county-reviewer", orgs["xh"], Role.REVIEWER),
    }


def call(client, **overrides):
    now = timezone.localtime().replace(second=0, microsecond=0)
    page = client.get(DESK).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', page)[1]
    body = {
        "token": token,
        "channel": "hotline",
        "phone": CALLER,
        "name": "陈先生",
        "call_started_at": (now - dt.timedelta(minutes=6)).strftime("%Y-%m-%dT%H:%M"),
        "call_ended_at": "",
        "category": "mediation",
        "region": "330106001000",
        "title": "邻居装修漏水纠纷如何调解",
        "question": "楼上邻居装修导致我家天花板漏水，协商不成，想请社区调解，需要什么手续？是否收费？",
        "recording_ref": "12348-ZJ-0001",
        "wants_sms": "on",
        "organisation": "",
        **overrides,
    }
    return client.post(DESK, body), body


def test_the_operator_records_a_call_routed_to_the_judicial_office(login, desk):
    client = login(desk["operator"])
    page = client.get(DESK).content.decode()
    assert "12348热线" in page and "北山街道" in page and "自动分派（按地区和类别）" in page
    assert 'type="datetime-local"' in page
    response, body = call(client)
    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/workbench/consultations/{ticket.number}/"
    assert ticket.organisation == desk["orgs"]["xh_town"] and ticket.channel == "hotline"
    assert ticket.phone_masked == "138****5678" and ticket.recorded_by == desk["operator"]
    assert ticket.call_started_at is not None and ticket.call_ended_at is not None  # end = on submit
    assert ticket.recording_ref == "12348-ZJ-0001" and ticket.wants_sms

    shown = client.get(response["Location"]).content.decode()
    assert "已登记咨询工单" in shown and "分派至北山街道司法所" in shown and "查询码" in shown
    assert "138****5678" in shown and CALLER not in shown
    assert "楼上邻居装修" in shown  # the sealed question, opened for staff in scope

    # Submitting the same desk form twice (the same hidden token) records one ticket.
    again = client.post(DESK, body)
    assert again.status_code == 302 and again["Location"] == response["Location"]
    assert Ticket.objects.count() == 1


def test_the_desk_refuses_with_the_services_messages(login, desk):
    client = login(desk["operator"])
    refused, _ = call(client, phone="", title="身份证330106198503151234")
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "请填写来电号码" in html and 'href="#id_phone"' in html
    assert 'href="#id_title"' in html
    assert not Ticket.objects.exists()
    assert "<title>错误：" in html


def test_answering_on_the_call_records_it_answered(login, desk):
    client = login(desk["operator"])
    bad, _ = call(client, answer_now="on", answer=ANSWER, citations="人民调解法第九百条")
    assert (
        bad.status_code == 400
        and "引用的条文“人民调解法第九百条”在法律法规库中找不到" in bad.content.decode()
    )
    assert not Ticket.objects.exists()  # nothing recorded when the answer cannot be
    done, _ = call(client, answer_now="on", answer=ANSWER, citations="人民调解法第十七条", wants_sms="")
    assert done.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.ANSWERED and ticket.answered_by == desk["operator"]
    assert [c.label for c in Citation.objects.filter(ticket=ticket)] == ["人民调解法第十七条"]
    # Answered on the call by the 12348 operator: the answer is the operator's organisation's, not
    # the office the ticket was routed to (which never saw it), for the asker and on the workbench.
    province, town = desk["orgs"]["zj"].name, desk["orgs"]["xh_town"].name
    shown = selectors.view(ticket)
    assert shown["organisation"] == town and shown["answered_by_organisation"] == province
    assert selectors.view(ticket, staff=True)["answered_by_organisation"] == province
    page = client.get(f"/workbench/consultations/{ticket.number}/").content.decode()
    assert f"（{province}） 于" in page


def test_the_judicial_office_answers_citing_an_article_and_the_rating_is_recorded(login, client, desk):
    call(login(desk["operator"]))
    ticket = Ticket.objects.get()
    url = f"/workbench/consultations/{ticket.number}/"

    town = login(desk["town"])
    queue = town.get(QUEUE).content.decode()
    assert ticket.number in queue and "138****5678" in queue and "待答复（1）" in queue
    refused = town.post(
        url, {"action": "answer", "answer-answer": ANSWER, "answer-citations": "人民调解法第九百条"}
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert (
        "引用的条文“人民调解法第九百条”在法律法规库中找不到" in html and 'href="#id_answer-citations"' in html
    )
    done = town.post(
        url,
        {"action": "answer", "answer-answer": ANSWER, "answer-citations": "人民调解法第十七条\n律师法第六条"},
    )
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ANSWERED
    page = town.get(url).content.decode()
    assert "已答复，将以短信告知咨询人" in page
    assert "人民调解法第十七条" in page and "律师法第六条" in page
    assert ticket.events.filter(kind=EventKind.SMS_SENT).exists()
    assert "town-consultant" in page  # the history names who answered, for staff

    operator = login(desk["operator"])
    rated = operator.post(
        url, {"action": "rate", "rating-satisfaction": "very_satisfied", "rating-channel": "hotline"}
    )
    assert rated.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.satisfaction == "very_satisfied"
    assert ticket.rating_channel == "hotline"
    page = operator.get(url).content.decode()
    assert "已登记评价：非常满意" in page and "登记评价</button>" not in page
    assert "已评价（1）" in operator.get(QUEUE).content.decode()


def test_out_of_scope_is_404_and_citizens_do_not_see_the_workbench(login, client, desk):
    call(login(desk["operator"]))
    ticket = Ticket.objects.get()
    url = f"/workbench/consultations/{ticket.number}/"
    beijing = login(desk["beijing"])
    assert beijing.get(url).status_code == 404
    assert f">{ticket.number}</a>" not in beijing.get(QUEUE).content.decode()
    assert beijing.post(url, {"action": "answer", "answer-answer": ANSWER}).status_code == 404
    # A reviewer of the county works no queue: no page, no menu entry.
    reviewer = login(desk["reviewer"])
    assert reviewer.get(QUEUE).status_code == 404 and reviewer.get(url).status_code == 404
    assert "法律咨询" not in reviewer.get("/workbench/").content.decode()
    assert reviewer.get(DESK).status_code == 404
    client.logout()
    citizen = CitizenFactory()
    client.force_login(citizen)
    for address in (QUEUE, DESK, url):
        assert client.get(address).status_code == 404
    client.logout()
    assert client.get(QUEUE).status_code == 302  # to the login page


def test_the_hall_clerk_records_a_visit_only(login, desk):
    clerk = login(desk["clerk"])
    page = clerk.get(DESK).content.decode()
    assert 'value="hall"' in page and 'value="hotline"' not in page and "当场答复" not in page
    refused, _ = call(clerk)  # a window clerk may not record a hotline call
    assert refused.status_code == 400
    done, _ = call(clerk, channel="hall", phone="", wants_sms="", call_started_at="", recording_ref="")
    assert done.status_code == 302 and done["Location"] == DESK  # no queue of their own: the next visit
    ticket = Ticket.objects.get()
    assert ticket.channel == "hall" and ticket.organisation == desk["orgs"]["xh_town"]
    assert "已登记咨询工单" in clerk.get(DESK).content.decode()


def test_transfer_to_the_legal_aid_centre(login, desk):
    call(login(desk["operator"]), category="labour")
    ticket = Ticket.objects.get()
    url = f"/workbench/consultations/{ticket.number}/"
    town = login(desk["town"])
    aid = desk["orgs"]["xh_aid"]
    assert f'<option value="{aid.pk}">杭州市西湖区法律援助中心</option>' in town.get(url).content.decode()
    refused = town.post(
        url, {"action": "transfer", "transfer-organisation": str(aid.pk), "transfer-reason": ""}
    )
    assert refused.status_code == 400 and "请填写转办理由" in refused.content.decode()
    moved = town.post(
        url,
        {
            "action": "transfer",
            "transfer-organisation": str(aid.pk),
            "transfer-reason": "咨询人符合法律援助条件",
        },
    )
    # The 司法所 no longer holds it: back to its queue, with the message.
    assert moved.status_code == 302 and moved["Location"] == QUEUE
    ticket.refresh_from_db()
    assert ticket.organisation == aid
    assert "已转办至杭州市西湖区法律援助中心" in town.get(QUEUE).content.decode()
    assert town.get(url).status_code == 404
    assert login(desk["aid"]).get(url).status_code == 200


def test_the_transfer_form_offers_only_organisations_with_a_consultant(login, desk):
    """The city bureau and the 公共法律服务中心 have no consultant: not offered, and refused if posted anyway; without any other
    organisation that can take the ticket, the page says so instead of a form that leads nowhere."""
    call(login(desk["operator"]), category="labour")
    ticket = Ticket.objects.get()
    url = f"/workbench/consultations/{ticket.number}/"
    town = login(desk["town"])
    orgs = desk["orgs"]
    shown = town.get(url).content.decode()
    for staffed in ("xh_aid", "xh", "zj"):
        assert f'<option value="{orgs[staffed].pk}">' in shown
    for empty in ("hz", "xh_centre"):
        assert f'<option value="{orgs[empty].pk}">' not in shown
    posted = town.post(
        url,
        {
            "action": "transfer",
            "transfer-organisation": str(orgs["xh_centre"].pk),
            "transfer-reason": "属中心",
        },
    )
    assert posted.status_code == 400 and "请选择转办的机构" in posted.content.decode()
    ticket.refresh_from_db()
    assert ticket.organisation == orgs["xh_town"]
    # Beijing: 东城区 is the only staffed organisation of its province, so there is nowhere to go.
    beijing = login(desk["beijing"])
    call(beijing, region="110101", category="practice")
    far = Ticket.objects.get(organisation=orgs["dc"])
    lonely = beijing.get(f"/workbench/consultations/{far.number}/").content.decode()
    assert "data-no-transfer-target" in lonely and 'name="transfer-organisation"' not in lonely


def test_the_queue_tabs_count_and_filter(login, desk):
    operator = login(desk["operator"])
    call(operator)
    call(operator, category="labour", title="单位拖欠工资怎么办")
    call(
        operator,
        channel="hall",
        phone="",
        wants_sms="",
        call_started_at="",
        recording_ref="",
        title="来访咨询离婚手续",
    )
    overdue = Ticket.objects.get(title="单位拖欠工资怎么办")
    assert services.escalate_overdue(
        overdue.due_date + dt.timedelta(days=1)
    )  # every open one is overdue then
    county = login(desk["county"])
    page = county.get(QUEUE).content.decode()
    for label in ("待答复（3）", "已逾期（0）", "逾期升级（3）", "已答复（0）", "已评价（0）", "全部（3）"):
        assert label in page, label
    hall = county.get(QUEUE, {"status": "all", "channel": "hall"}).content.decode()
    assert "来访咨询离婚手续" in hall and "单位拖欠工资怎么办" not in hall and "全部（1）" in hall
    escalated = county.get(QUEUE, {"status": "escalated"}).content.decode()
    assert "已升级至杭州市西湖区司法局" in escalated
    assert county.get(QUEUE, {"status": "nonsense", "page": "x"}).status_code == 200


def test_a_signed_in_askers_ticket_read_by_staff_is_in_their_access_log(login, desk):
    from sifa.testing import PersonFactory

    asker = PersonFactory().user
    created = services.create_ticket(
        asker,
        channel="web",
        category="mediation",
        region="330106001000",
        title="邻居噪音扰民怎么办",
        question="楼上邻居每天深夜制造噪音，多次沟通无果，请问可以申请人民调解吗？",
    )
    town = login(desk["town"])
    assert town.get(f"/workbench/consultations/{created.ticket.number}/").status_code == 200
    row = PersonalDataAccess.objects.get(subject=asker, subject_ref=created.ticket.number)
    assert row.reader == desk["town"]


def test_the_menu_shows_consultation_by_role(login, desk):
    assert "登记来电/来访" in login(desk["operator"]).get(QUEUE).content.decode()
    town_page = login(desk["town"]).get("/workbench/").content.decode()
    assert ">法律咨询</a>" in town_page
    clerk_page = login(desk["clerk"]).get("/workbench/").content.decode()
    assert ">法律咨询</a>" not in clerk_page and ">登记来电/来访</a>" in clerk_page


def test_the_desk_previews_the_routing_without_recording(login, desk):
    client = login(desk["operator"])
    page = client.get(DESK).content.decode()
    token = re.search(r'name="token" value="([0-9a-f]+)"', page)[1]
    body = {"token": token, "channel": "hotline", "phone": CALLER, "title": "工资被拖欠", "preview": "1"}
    shown = client.post(DESK, {**body, "category": "legal_aid", "region": "330106001000"})
    html = shown.content.decode()
    assert shown.status_code == 200 and "自动分派至：杭州市西湖区法律援助中心" in html
    assert 'value="工资被拖欠"' in html and f'value="{token}"' in html  # what was typed stays
    assert "存在问题" not in html
    town = client.post(DESK, {**body, "category": "mediation", "region": "330106001000"}).content.decode()
    assert "自动分派至：北山街道司法所" in town
    chosen = client.post(DESK, {**body, "organisation": str(desk["orgs"]["xh"].pk)}).content.decode()
    assert "将由您选择的杭州市西湖区司法局承办" in chosen
    assert "请先选择咨询类别和地区" in client.post(DESK, {**body, "region": "110101001000"}).content.decode()
    assert not Ticket.objects.exists()


def test_the_desk_routes_by_hand_only_to_organisations_with_a_consultant(login, desk):
    """As the 转办 list: the desk offers 自动分派 and the organisations of the operator's jurisdiction
    with an active consultant of their own; another one is refused and nothing is recorded."""
    orgs = desk["orgs"]
    client = login(desk["operator"])
    page = client.get(DESK).content.decode()
    for staffed in ("xh", "xh_town", "xh_aid"):
        assert f'<option value="{orgs[staffed].pk}"' in page
    assert f'<option value="{orgs["xh_centre"].pk}"' not in page  # no consultant there
    response, _ = call(client, organisation=str(orgs["xh_centre"].pk))
    assert response.status_code == 400 and "请在您管辖范围内选择承办机构" in response.content.decode()
    assert not Ticket.objects.exists()
    _staff("centre-consultant", orgs["xh_centre"], Role.CONSULTANT)
    assert f'<option value="{orgs["xh_centre"].pk}"' in client.get(DESK).content.decode()
    response, _ = call(client, organisation=str(orgs["xh_centre"].pk))
    assert response.status_code == 302 and Ticket.objects.get().organisation == orgs["xh_centre"]
