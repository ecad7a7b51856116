"""``POST /api/v1/ratings/`` for a window visit or a 12348 call: the rating link's token stands for
the rater (no account), with the link page's checks, rating and audit; the token must be the
service's own; no token, a wrong or expired one, a second rating and a flood are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.audit.models import AuditEvent
from sifa.consultation.models import Ticket, TicketStatus
from sifa.evaluation import services
from sifa.evaluation.api import LINK_RATE
from sifa.evaluation.models import Rating, RatingLink, SubjectKind
from sifa.evaluation.tests.conftest import client, lawyer_case
from sifa.evaluation.tests.test_ratings import _answered_ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/ratings/"


def _rate(subject, number, token=None, level="满意", user=None, addr="10.9.8.7", **extra):
    body = {"subject": subject, "number": number, "level": level, **extra}
    if token is not None:
        body["token"] = token
    return client(user).post(URL, body, format="json", REMOTE_ADDR=addr)


def test_a_window_visit_is_rated_through_the_api_with_its_token_once(orgs, people):
    issued = services.invite_visit(people["hz_clerk"], channel="window_tablet")
    number = issued.link.number
    answer = _rate("visit", number, issued.token, "非常不满意", comment="排队太久")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["subject"] == "visit" and body["number"] == number and body["level"] == "very_dissatisfied"
    assert body["channel"] == "window_tablet" and body["organisation"] == orgs["hz"].name
    assert body["staff_member"] == "" and not body["rater_named"]  # never shown to the rater
    rating = Rating.objects.get(number=number)
    assert rating.rater is None and rating.staff_member == people["hz_clerk"] and rating.stage == "窗口受理"
    assert rating.rectification.organisation == orgs["hz"]
    assert RatingLink.objects.get(pk=issued.link.pk).rating == rating
    assert AuditEvent.objects.filter(action="evaluation.link.use").count() == 1

    again = _rate("visit", number, issued.token, "非常满意")
    assert again.status_code == 409 and again.json()["code"] == "evaluation.already_rated"
    assert Rating.objects.filter(number=number).count() == 1


def test_a_hotline_call_is_rated_through_the_api_and_closes_its_ticket(orgs, people):
    ticket = _answered_ticket(people, channel="hotline", phone="13812345678", name="陈先生")
    issued = services.invite_call(people["operator"], ticket.number)
    answer = _rate("call", ticket.number.lower(), issued.token, "satisfied", user=people["applicant"])
    assert answer.status_code == 201, answer.content
    rating = Rating.objects.get(number=ticket.number)
    assert rating.subject_kind == SubjectKind.CALL and rating.channel == "sms" and rating.rater_named
    assert Ticket.objects.get(number=ticket.number).status == TicketStatus.CLOSED
    again = _rate("call", ticket.number, issued.token)
    assert again.status_code == 409 and again.json()["code"] == "evaluation.already_rated"
    assert Rating.objects.filter(number=ticket.number).count() == 1


def test_wrong_expired_or_foreign_tokens_are_refused(orgs, people):
    issued = services.invite_visit(people["hz_clerk"], channel="sms", phone="13812345678")
    other = services.invite_visit(people["hz_clerk"], channel="window_tablet")
    number = issued.link.number
    flipped = issued.token[:-1] + ("A" if issued.token[-1] != "A" else "B")
    for token, subject, at in (
        (flipped, "visit", number),
        ("x" * 28, "visit", number),
        (other.token, "visit", number),
        (issued.token, "call", number),
    ):
        answer = _rate(subject, at, token)
        assert answer.status_code == 404 and answer.json()["code"] == "evaluation.link_invalid", token
        assert "评价链接无效" in answer.json()["message"]
    too_long = _rate("visit", number, "a" * 101)
    codes = {too_long.json()["code"], *(e["code"] for e in too_long.json().get("errors", []))}
    assert too_long.status_code == 400 and "evaluation.bad_token" in codes, too_long.content
    RatingLink.objects.filter(pk=issued.link.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    expired = _rate("visit", number, issued.token)
    assert expired.status_code == 410 and expired.json()["code"] == "evaluation.link_expired"
    assert Rating.objects.count() == 0


def test_a_visit_or_call_without_its_token_and_a_token_for_a_case(orgs, people):
    issued = services.invite_visit(people["hz_clerk"], channel="window_tablet")
    for user in (None, people["applicant"]):
        for subject in ("visit", "call"):
            answer = _rate(subject, issued.link.number, user=user)
            assert answer.status_code == 400, (user, subject, answer.content)
            assert answer.json()["code"] == "evaluation.token_required"
            assert "评价码" in answer.json()["message"]
            assert (
                _rate(subject, issued.link.number, "", user=user).json()["code"]
                == "evaluation.token_required"
            )
    case = lawyer_case(orgs, people["applicant"])
    with_token = _rate("application", case.number, issued.token, user=people["applicant"])
    assert with_token.status_code == 400 and with_token.json()["code"] == "evaluation.token_unexpected"
    # Without an account an application or a consultation is still a login question (401).
    assert _rate("application", case.number).status_code == 401
    assert _rate("application", case.number, issued.token).status_code == 401
    assert Rating.objects.count() == 0


def test_a_flood_of_token_ratings_is_limited_per_address(orgs, people):
    limit = int(LINK_RATE.split("/")[0])
    statuses = [_rate("visit", f"CK{i}", "x" * 28, addr="10.1.2.3").status_code for i in range(limit + 1)]
    assert statuses[:limit] == [404] * limit and statuses[-1] == 429
    assert _rate("visit", "CK1", "x" * 28, addr="10.1.2.4").status_code == 404  # another address
