"""离线补录: a window clerk enters a rating from a paper card or an offline 评价器 record. The rating
keeps the card's date and the rectification's deadline counts from it on the working-day
calendar, while the audit event is written now with the card's date in its detail; the date is
bounded (not in the future, at most 60 days old), a card is entered once, and only the
organisation's own window clerks enter its cards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.deadlines.calendar import add_working_days
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.evaluation import services
from sifa.evaluation.models import Channel, EntrySource, Rectification

pytestmark = pytest.mark.django_db


def _enter(user, **kwargs):
    values = {
        "collected_on": timezone.localdate() - dt.timedelta(days=20),
        "source": "paper",
        "card_number": "HZ-0001",
        "level": "非常不满意",
        "comment": "排队太久",
    }
    return services.enter_card(user, **{**values, **kwargs})


def test_a_card_is_rated_on_its_date_and_audited_now(people, orgs):
    started = timezone.now()
    card_day = timezone.localdate() - dt.timedelta(days=20)
    rating = _enter(people["hz_clerk"], collected_on=card_day.isoformat())
    assert timezone.localdate(rating.created_at) == card_day
    assert rating.entry_source == EntrySource.PAPER and rating.card_number == "HZ-0001"
    assert rating.entered_by == people["hz_clerk"] and rating.entered_at >= started
    assert rating.channel == Channel.WINDOW_TERMINAL and rating.organisation == orgs["hz"]
    assert rating.number.startswith("CK") and f"{card_day:%Y%m%d}" in rating.number
    assert rating.rater is None and not rating.rater_named

    rectification = Rectification.objects.get(rating=rating)
    due = add_working_days(DatabaseCalendar(), card_day, services.rectify_days())
    assert rectification.due_date == due and rectification.callback_due is None
    assert rectification.created_at >= started  # opened now, due as of the card

    event = AuditEvent.objects.get(action="evaluation.rating.create", detail__number=rating.number)
    assert event.occurred_at >= started  # the trail is not back-dated
    assert event.detail["back_entry"] == {
        "collected_on": card_day.isoformat(),
        "source": "paper",
        "card_number": "HZ-0001",
    }


def test_the_cards_date_is_bounded(people):
    today = timezone.localdate()
    with pytest.raises(ServiceError) as future:
        _enter(people["hz_clerk"], collected_on=today + dt.timedelta(days=1))
    assert future.value.status == 400 and future.value.code == "evaluation.future_date"
    assert "不能晚于今天" in future.value.message
    with pytest.raises(ServiceError) as old:
        _enter(people["hz_clerk"], collected_on=today - dt.timedelta(days=services.BACK_ENTRY_DAYS + 1))
    assert old.value.code == "evaluation.too_old" and "60天内" in old.value.message
    with pytest.raises(ServiceError) as bad:
        _enter(people["hz_clerk"], collected_on="2026-02-30", source="fax", card_number="", level="好")
    assert bad.value.status == 400
    assert {e["field"] for e in bad.value.errors} == {"collected_on", "source", "card_number", "level"}
    edge = _enter(
        people["hz_clerk"],
        collected_on=today - dt.timedelta(days=services.BACK_ENTRY_DAYS),
        level="满意",
        source="device",
    )
    assert edge.channel == Channel.WINDOW_TABLET and not Rectification.objects.filter(rating=edge).exists()
    today_card = _enter(people["hz_clerk"], collected_on=today, card_number="HZ-0002")
    assert today_card.created_at <= timezone.now()


def test_a_card_is_entered_once(people):
    _enter(people["hz_clerk"])
    with pytest.raises(ServiceError) as twice:
        _enter(people["hz_clerk"], card_number="hz-0001", level="满意")
    assert twice.value.status == 409 and twice.value.code == "evaluation.already_entered"
    assert "HZ-0001" in twice.value.message


def test_only_the_organisations_window_clerks_enter_its_cards(people, orgs):
    with pytest.raises(ServiceError) as supervisor:
        _enter(people["hz_supervisor"])
    assert supervisor.value.status == 403 and supervisor.value.code == "evaluation.not_allowed"
    with pytest.raises(ServiceError) as elsewhere:
        _enter(people["hz_clerk"], organisation=orgs["nb"].pk)
    assert elsewhere.value.status == 403
    assert _enter(people["hz_clerk"], organisation=orgs["hz"].pk).organisation == orgs["hz"]


def _page(user):
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from sifa.accounts import services as accounts
    from sifa.testing import verified_login

    if not TOTPDevice.objects.filter(user=user).exists():
        accounts.add_totp_device(user)
    browser = Client()
    verified_login(browser, user)
    return browser


URL = "/workbench/window/rating/back-entry/"


def test_the_clerk_enters_a_card_on_the_workbench_without_javascript(people):
    clerk = _page(people["hz_clerk"])
    assert f'href="{URL}"' in clerk.get("/workbench/window/rating/").content.decode()
    form = clerk.get(URL)
    assert form.status_code == 200 and "纸质评价卡" in form.content.decode()
    card_day = timezone.localdate() - dt.timedelta(days=12)
    body = {
        "source": "paper",
        "collected_on": card_day.isoformat(),
        "card_number": "HZ-0100",
        "level": "dissatisfied",
    }
    future = clerk.post(
        URL, {**body, "collected_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat()}
    )
    assert future.status_code == 400 and "评价卡上的日期不能晚于今天" in future.content.decode()
    assert 'href="#id_collected_on"' in future.content.decode()
    empty = clerk.post(URL, {})
    assert empty.status_code == 400 and "请填写评价卡编号" in empty.content.decode()
    garbled = clerk.post(URL, {**body, "collected_on": "20.11.2026"}).content.decode()
    assert (
        "评价日期应为 年-月-日" in garbled and "YYYY" not in garbled and "YYYY" not in form.content.decode()
    )
    done = clerk.post(URL, body, follow=True)
    assert done.status_code == 200 and "已补录评价卡 HZ-0100" in done.content.decode()
    assert "期限自评价日期起算" in done.content.decode()
    rating = Rectification.objects.get(rating__card_number="HZ-0100").rating
    assert timezone.localdate(rating.created_at) == card_day and rating.entered_by == people["hz_clerk"]
    twice = clerk.post(URL, body)
    assert twice.status_code == 409 and "不能重复补录" in twice.content.decode()


def test_the_page_is_for_window_clerks_only(people):
    assert _page(people["hz_supervisor"]).get(URL).status_code == 404
    assert _page(people["town"]).post(URL, {"source": "paper"}).status_code == 404


def test_the_api_enters_a_card_and_says_it_was_entered_afterwards(people, orgs):
    from sifa.evaluation.tests.conftest import client

    card_day = timezone.localdate() - dt.timedelta(days=5)
    body = {"collected_on": card_day.isoformat(), "source": "device", "card_number": "PJQ-7", "level": "满意"}
    answer = client(people["hz_clerk"]).post("/api/v1/ratings/cards/", body, format="json")
    assert answer.status_code == 201, answer.content
    out = answer.json()
    assert out["entry_source"] == "device" and out["entered_at"] and out["channel"] == "window_tablet"
    assert timezone.localdate(dt.datetime.fromisoformat(out["created_at"])) == card_day
    again = client(people["hz_clerk"]).post("/api/v1/ratings/cards/", body, format="json")
    assert again.status_code == 409 and again.json()["code"] == "evaluation.already_entered"
    late = {**body, "card_number": "PJQ-8", "collected_on": (card_day + dt.timedelta(days=30)).isoformat()}
    future = client(people["hz_clerk"]).post("/api/v1/ratings/cards/", late, format="json")
    assert future.status_code == 400 and future.json()["code"] == "evaluation.future_date"
    other = client(people["hz_clerk"]).post(
        "/api/v1/ratings/cards/",
        {**body, "card_number": "PJQ-9", "organisation": orgs["nb"].pk},
        format="json",
    )
    assert other.status_code == 403
    supervisor = client(people["hz_supervisor"]).post("/api/v1/ratings/cards/", body, format="json")
    assert supervisor.status_code == 403 and supervisor.json()["code"] == "evaluation.not_allowed"
