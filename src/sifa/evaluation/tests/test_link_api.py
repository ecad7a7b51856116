"""``POST /api/v1/ratings/links/``: staff issue the single-use rating link of a window visit (评价器
or SMS) or a 12348 call (SMS) through the same commands as the workbench. Scoped (another
organisation's window is 403, another jurisdiction's call 404), audited, the subject cannot be
forged into an application or a consultation, and the URL is only given back for the counter's
评价器."""

from __future__ import annotations

import pytest
from django.conf import settings

from sifa.audit.models import AuditEvent
from sifa.evaluation.models import RatingLink, SubjectKind
from sifa.evaluation.tests.conftest import client
from sifa.evaluation.tests.test_ratings import _answered_ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/ratings/links/"


def test_a_window_clerk_gets_the_link_for_the_counter_device(people, orgs):
    answer = client(people["hz_clerk"]).post(URL, {"subject": "visit"}, format="json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["subject"] == "visit" and body["channel"] == "window_tablet"
    assert body["number"].startswith("CK") and body["organisation"] == orgs["hz"].name
    assert body["url"].startswith(f"{settings.PUBLIC_URL}/rate/") and body["expires_at"]
    assert answer["Cache-Control"] == "no-store"
    link = RatingLink.objects.get(number=body["number"])
    assert link.subject_kind == SubjectKind.VISIT and link.staff_member == people["hz_clerk"]
    assert (
        AuditEvent.objects.filter(action="evaluation.link.issue", detail__number=body["number"]).count() == 1
    )
    # The link works: the token in the URL opens the rating page.
    from django.test import Client

    assert Client().get(body["url"].removeprefix(settings.PUBLIC_URL)).status_code == 200


def test_by_sms_the_link_goes_to_the_person_not_back_to_the_caller(people):
    sms = client(people["hz_clerk"]).post(
        URL, {"subject": "visit", "channel": "sms", "phone": "13812345678"}, format="json"
    )
    assert sms.status_code == 201 and sms.json()["url"] is None
    no_phone = client(people["hz_clerk"]).post(URL, {"subject": "visit", "channel": "sms"}, format="json")
    assert no_phone.status_code == 400 and no_phone.json()["code"] == "evaluation.bad_phone"


def test_a_forged_subject_is_refused(people):
    clerk = client(people["hz_clerk"])
    for subject in ("application", "consultation", "licence"):
        refused = clerk.post(URL, {"subject": subject, "number": "SF3301062026120400000001"}, format="json")
        codes = {refused.json()["code"], *(e["code"] for e in refused.json().get("errors", []))}
        assert refused.status_code == 400 and "evaluation.bad_subject" in codes, subject
    numbered = clerk.post(URL, {"subject": "visit", "number": "CK33010020260101000001"}, format="json")
    assert numbered.status_code == 400 and numbered.json()["code"] == "evaluation.bad_number"
    assert not RatingLink.objects.exists()


def test_wrong_role_and_other_jurisdictions(people, orgs):
    supervisor = client(people["hz_supervisor"]).post(URL, {"subject": "visit"}, format="json")
    assert supervisor.status_code == 403 and supervisor.json()["code"] == "evaluation.not_allowed"
    citizen = client(people["applicant"]).post(URL, {"subject": "visit"}, format="json")
    assert citizen.status_code == 403
    other_window = client(people["hz_clerk"]).post(
        URL, {"subject": "visit", "organisation": orgs["nb"].pk}, format="json"
    )
    assert other_window.status_code == 403
    assert client().post(URL, {"subject": "visit"}, format="json").status_code in (401, 403)

    call = _answered_ticket(people, channel="hotline", phone="13812345678", name="陈先生")
    elsewhere = client(people["bj_supervisor"]).post(
        URL, {"subject": "call", "number": call.number}, format="json"
    )
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "evaluation.not_found"
    clerk = client(people["hz_clerk"]).post(URL, {"subject": "call", "number": call.number}, format="json")
    assert clerk.status_code == 404
    assert not RatingLink.objects.filter(subject_kind=SubjectKind.CALL).exists()


def test_an_operator_sends_the_callers_link_by_sms(people):
    call = _answered_ticket(people, channel="hotline", phone="13812345678", name="陈先生")
    operator = client(people["operator"])
    tablet = operator.post(
        URL, {"subject": "call", "number": call.number, "channel": "window_tablet"}, format="json"
    )
    assert tablet.status_code == 400 and tablet.json()["code"] == "evaluation.bad_channel"
    missing = operator.post(URL, {"subject": "call"}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "evaluation.bad_number"
    sent = operator.post(URL, {"subject": "call", "number": call.number.lower()}, format="json")
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["number"] == call.number and body["channel"] == "sms" and body["url"] is None
    assert AuditEvent.objects.filter(action="evaluation.link.issue", detail__number=call.number).exists()
