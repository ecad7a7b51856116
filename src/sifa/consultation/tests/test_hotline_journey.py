"""The 12348 journey through the channel API: a hotline operator records a call, it is routed to
北山街道司法所, the consultant answers citing an article, the caller gets the answer by SMS and rates
it; an overdue ticket escalates to the county. Plus the web asker's own journey and conversion."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
from django.utils import timezone

from sifa.accounts.sms import latest_local_message
from sifa.applications.models import Application
from sifa.audit.models import AuditEvent, PersonalDataAccess
from sifa.consultation import services
from sifa.consultation.models import EventKind, Ticket, TicketStatus
from sifa.consultation.tests.conftest import client
from sifa.notifications.models import Notification

pytestmark = pytest.mark.django_db
URL = "/api/v1/consultations/"
CALLER = "13812345678"


CALL_END = timezone.now().replace(microsecond=0)


def hotline_call(operator, **overrides):
    now = CALL_END
    body = {
        "channel": "hotline",
        "category": "mediation",
        "region": "330106001000",
        "title": "邻居装修漏水纠纷如何调解",
        "question": "楼上邻居装修导致我家天花板漏水，协商不成，想请社区调解，需要什么手续？是否收费？",
        "name": "陈先生",
        "phone": CALLER,
        "wants_sms": True,
        "call_started_at": (now - dt.timedelta(minutes=6)).isoformat(),
        "call_ended_at": now.isoformat(),
        "recording_ref": "12348-ZJ-20261204-0001",
        **overrides,
    }
    return client(operator).post(
        URL, body, format="json", HTTP_IDEMPOTENCY_KEY=f"call-{body['recording_ref']}"
    )


def test_a_hotline_call_is_routed_answered_by_sms_and_rated(cat, people):
    created = hotline_call(people["operator"])
    assert created.status_code == 201, created.json()
    body = created.json()
    number = body["number"]
    assert body["organisation"] == "北山街道司法所"
    assert number.startswith("ZX330106")
    ticket = Ticket.objects.get(number=number)
    assert ticket.phone_masked == "138****5678" and CALLER.encode() not in bytes(ticket.phone_enc)
    assert ticket.reveal_question().startswith("楼上邻居")
    assert ticket.recorded_by == people["operator"]

    # The operator's retry (same Idempotency-Key, same call) gets the same ticket, not a second one.
    again = hotline_call(people["operator"])
    assert again.status_code == 200 and again.json()["number"] == number
    assert Ticket.objects.count() == 1

    # The 司法所's consultant sees it in the queue and answers, citing an article of the library.
    queue = client(people["town"]).get(URL).json()
    assert [row["number"] for row in queue["results"]] == [number]
    assert queue["results"][0]["phone_masked"] == "138****5678"
    answered = client(people["town"]).post(
        f"{URL}{number}/answer/",
        {
            "answer": "人民调解不收费。您可以向北山街道人民调解委员会口头或书面申请调解，带上身份证明和漏水的照片等证据。",
            "citations": ["人民调解法第四条", "《中华人民共和国人民调解法》第十七条"],
        },
        format="json",
    )
    assert answered.status_code == 200, answered.json()
    assert [c["label"] for c in answered.json()["citations"]] == ["人民调解法第四条", "人民调解法第十七条"]
    assert unquote(answered.json()["citations"][0]["url"]) == "/laws/人民调解法-2010-08-28/4/"

    # The caller has no account: the answer goes by SMS to the number of the call.
    sms = Notification.objects.get(event="consultation.answered")
    assert sms.recipient is None and sms.phone_masked == "138****5678"
    from sifa.notifications.services import deliver_due

    deliver_due()
    message = latest_local_message(CALLER)
    assert message is not None and number in message.body and "人民调解不收费" in message.body
    assert ticket.events.filter(kind=EventKind.SMS_SENT).exists()

    # The caller rates it on the phone; the operator records it. Once only.
    rated = client(people["operator"]).post(
        f"{URL}{number}/rating/", {"satisfaction": "very_satisfied", "channel": "hotline"}, format="json"
    )
    assert rated.status_code == 200, rated.json()
    assert rated.json()["satisfaction_label"] == "非常满意"
    twice = client(people["operator"]).post(
        f"{URL}{number}/rating/", {"satisfaction": "satisfied", "channel": "hotline"}, format="json"
    )
    assert twice.status_code == 409 and twice.json()["code"] == "consultation.already_rated"
    actions = set(AuditEvent.objects.filter(object_id=number).values_list("action", flat=True))
    assert {"consultation.ticket.create", "consultation.ticket.answer", "consultation.ticket.rate"} <= actions


def test_an_overdue_ticket_escalates_to_the_county(cat, people):
    number = hotline_call(people["operator"]).json()["number"]
    ticket = Ticket.objects.get(number=number)
    assert services.escalate_overdue(ticket.due_date) == []  # due today: not overdue yet
    done = services.escalate_overdue(ticket.due_date + dt.timedelta(days=1))
    assert done == [number]
    ticket.refresh_from_db()
    assert ticket.escalated_to == cat["orgs"]["xh"] and ticket.status == TicketStatus.OPEN
    assert services.escalate_overdue(ticket.due_date + dt.timedelta(days=2)) == []  # once only
    told = Notification.objects.filter(event="consultation.escalated", recipient=people["county"])
    assert told.count() == 1
    # The county's consultant finds it under 逾期升级 and may answer it.
    escalated = client(people["county"]).get(URL, {"status": "escalated"}).json()["results"]
    assert [row["number"] for row in escalated] == [number]
    answered = client(people["county"]).post(
        f"{URL}{number}/answer/", {"answer": "已督促北山街道司法所联系您，人民调解不收费。"}, format="json"
    )
    assert answered.status_code == 200


def test_the_time_limit_counts_working_days(cat, people):
    number = hotline_call(people["operator"]).json()["number"]
    ticket = Ticket.objects.get(number=number)
    from sifa.deadlines.calendar import working_days_between
    from sifa.deadlines.db_calendar import DatabaseCalendar

    received = timezone.localtime(ticket.created_at).date()
    assert working_days_between(DatabaseCalendar(), received, ticket.due_date) == services.answer_days()


def test_a_citizen_asks_on_the_web_follows_rates_and_turns_it_into_mediation(cat, people):
    citizen = people["citizen"]
    created = client(citizen).post(
        URL,
        {
            "channel": "web",
            "category": "mediation",
            "region": "330106001000",
            "title": "物业费纠纷能否申请调解",
            "question": "小区物业长期不维修电梯，我拒交物业费后被起诉威胁，能否先申请人民调解？",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    assert created.json()["tracking_code"] == ""  # signed in: followed in my space
    mine = client(citizen).get(URL).json()["results"]
    assert [row["number"] for row in mine] == [number]
    assert client(people["other_citizen"]).get(f"{URL}{number}/").status_code == 404
    client(people["town"]).post(
        f"{URL}{number}/answer/",
        {"answer": "可以。物业服务纠纷可以申请人民调解，调解不收费。", "citations": ["人民调解法第十七条"]},
        format="json",
    )
    seen = client(citizen).get(f"{URL}{number}/").json()
    assert seen["status"] == "answered" and seen["citations"][0]["label"] == "人民调解法第十七条"
    assert "actor" not in seen["history"][0]  # staff names are not shown to the asker
    assert Notification.objects.filter(recipient=citizen, event="consultation.answered").exists()
    converted = client(citizen).post(f"{URL}{number}/convert/", {"kind": "mediation"}, format="json")
    assert converted.status_code == 200, converted.json()
    draft = Application.objects.get(pk=converted.json()["application"])
    assert draft.entry.item.name == "人民调解申请" and draft.accepting_organisation == cat["orgs"]["xh_town"]
    assert draft.form_data["dispute"].startswith("小区物业长期不维修电梯")
    again = client(citizen).post(f"{URL}{number}/convert/", {"kind": "mediation"}, format="json")
    assert again.json()["application"] == converted.json()["application"]
    rated = client(citizen).post(f"{URL}{number}/rating/", {"satisfaction": "satisfied"}, format="json")
    assert rated.status_code == 200


def test_an_anonymous_asker_follows_with_the_tracking_code(cat, people):
    created = client().post(
        URL,
        {
            "channel": "wechat",
            "category": "legal_aid",
            "region": "330106001000",
            "title": "工伤赔偿能否申请法律援助",
            "question": "我在工地受伤，老板不给赔偿，家里经济困难，能不能申请法律援助？",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="wx-7f3a",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["organisation"] == "杭州市西湖区法律援助中心"
    code = body["tracking_code"]
    assert len(code) == 8
    replay = client().post(
        URL,
        {
            "channel": "wechat",
            "category": "legal_aid",
            "region": "330106001000",
            "title": "工伤赔偿能否申请法律援助",
            "question": "我在工地受伤，老板不给赔偿，家里经济困难，能不能申请法律援助？",
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="wx-7f3a",
    )
    assert replay.json() == body
    url = f"{URL}{body['number']}/"
    assert client().get(url).status_code == 404
    assert client().get(url, {"code": "ABCDEFGH"}).status_code == 404
    seen = client().get(url, {"code": code})
    assert seen.status_code == 200 and seen.json()["organisation"] == "杭州市西湖区法律援助中心"
    not_yet = client().post(
        f"{url}rating/", {"satisfaction": "satisfied", "tracking_code": code}, format="json"
    )
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "consultation.not_answered"


def test_staff_reads_are_in_the_askers_access_log(cat, people):
    citizen = people["citizen"]
    number = (
        client(citizen)
        .post(
            URL,
            {
                "channel": "web",
                "category": "marriage_family",
                "region": "330106001000",
                "title": "离婚后孩子抚养费问题",
                "question": "离婚后对方一直不支付孩子抚养费，我应该怎么办？",
            },
            format="json",
        )
        .json()["number"]
    )
    client(people["town"]).get(f"{URL}{number}/")
    log = PersonalDataAccess.objects.get(subject=citizen)
    assert log.subject_ref == number and log.reader == people["town"]
    assert log.reader_organisation_id == cat["orgs"]["xh_town"].pk


def test_a_call_recorded_late_counts_from_the_day_of_the_call(cat, people):
    started = CALL_END - dt.timedelta(days=10)
    late = hotline_call(
        people["operator"],
        call_started_at=started.isoformat(),
        call_ended_at=(started + dt.timedelta(minutes=5)).isoformat(),
        recording_ref="12348-LATE",
    )
    assert late.status_code == 201, late.json()
    ticket = Ticket.objects.get(number=late.json()["number"])
    assert ticket.created_at == started
    assert ticket.is_overdue  # three working days after a call ten days ago
    assert services.escalate_overdue() == [ticket.number]
    too_old = hotline_call(
        people["operator"],
        call_started_at=(CALL_END - dt.timedelta(days=31)).isoformat(),
        call_ended_at=(CALL_END - dt.timedelta(days=31, minutes=-5)).isoformat(),
        recording_ref="12348-OLD",
    )
    assert too_old.status_code == 400
    assert "consultation.call_too_old" in {e["code"] for e in too_old.json()["errors"]}, too_old.json()
