"""One message per person per recount: after a change of the working calendar moved several
complaints' 答复期限, a signed-in complainant gets one message listing their complaints, each
supervisor one message listing the complaints they handle — never one naming the complaint about
themselves, never one naming a complainant — and an anonymous complainant's SMS stays one per
tracking code, naming that complaint only (even when two complaints gave the same number)."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.complaints.models import Complaint
from sifa.complaints.tests.conftest import body, client
from sifa.complaints.tests.test_calendar_follow import MADE, official_2026  # noqa: F401  (fixture)
from sifa.deadlines.stored import MAX_LINES, Item, Letters
from sifa.notifications.models import Notification
from sifa.testing.calendar_change import correct_a_day
from sifa.testing.clock import travel

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def submit(orgs, user=None, **overrides) -> tuple[Complaint, dict]:
    with travel(MADE):
        response = client(user).post(URL, body(orgs, **overrides), format="json")
    assert response.status_code == 201, response.content
    return Complaint.objects.get(number=response.json()["number"]), response.json()


def test_each_person_is_told_once_listing_their_complaints(cat, people):
    orgs, citizen, accused, county = cat["orgs"], people["citizen"], people["accused"], people["county"]
    about_accused, _ = submit(
        orgs,
        citizen,
        subject_kind="conduct",
        organisation=orgs["xh"].pk,
        staff_member=accused.username,
        name="陈明",
        phone="13812345678",
        wants_sms=True,
    )
    service, _ = submit(orgs, citizen, name="陈明")
    other, _ = submit(orgs, people["other_citizen"], name="王五")
    assert about_accused.handler_id == service.handler_id == other.handler_id
    Notification.objects.all().delete()

    with travel(dt.date(2026, 11, 3)):
        correct_a_day()

    mine = Notification.objects.filter(event="complaints.due_moved", recipient=citizen)
    assert mine.count() == 1
    told = mine.get()
    assert told.title == "您的2件投诉举报答复期限已调整" and told.link == "/me/complaints/"
    for complaint in (about_accused, service):
        assert f"{complaint.number}：2026年11月23日 → 2026年11月24日（法定节假日调整）" in told.body
    assert other.number not in told.body
    # Told by SMS as for the complaint that asked for it; the SMS names no one else's complaint.
    assert told.deliveries.filter(channel="sms").exists() and "2件" in told.sms_text
    # The other citizen: one message, their own complaint only.
    theirs = Notification.objects.get(event="complaints.due_moved", recipient=people["other_citizen"])
    assert theirs.body.count("TS") == 1 and other.number in theirs.body
    assert not theirs.deliveries.filter(channel="sms").exists()

    staff = Notification.objects.filter(event="complaints.due_moved_staff")
    assert staff.filter(recipient=county).count() == 1
    listed = staff.get(recipient=county)
    assert listed.title == "3件投诉举报答复期限已调整" and listed.link == "/workbench/complaints/"
    assert all(c.number in listed.body for c in (about_accused, service, other))
    # The one complained about is told of the other complaints, never of the one about them.
    own = staff.get(recipient=accused)
    assert about_accused.number not in own.body + own.title
    assert service.number in own.body and other.number in own.body
    for message in Notification.objects.filter(event__startswith="complaints."):
        text = message.title + message.body + message.sms_text
        assert "陈明" not in text and "王五" not in text and "5678" not in text


def test_an_anonymous_sms_names_its_own_complaint_only(cat, people):
    orgs = cat["orgs"]
    first, _ = submit(orgs, anonymous=True, phone="13900001111", wants_sms=True)
    second, _ = submit(orgs, anonymous=True, phone="13900001111", wants_sms=True)
    Notification.objects.all().delete()

    with travel(dt.date(2026, 11, 3)):
        correct_a_day()

    sms = list(Notification.objects.filter(event="complaints.due_moved", recipient__isnull=True))
    assert len(sms) == 2
    for message, complaint, other in ((sms[0], first, second), (sms[1], second, first)):
        assert complaint.number in message.sms_text and other.number not in message.sms_text + message.body
        assert message.related_id == str(complaint.public_id)
    listed = Notification.objects.get(event="complaints.due_moved_staff", recipient=people["county"])
    assert first.number in listed.body and second.number in listed.body
    assert "13900001111" not in listed.body and "1111" not in listed.body


class _Person:
    def __init__(self, pk: int) -> None:
        self.pk = pk


def test_a_letter_lists_its_items_in_order_and_caps_the_lines():
    letters, one, two = Letters(), _Person(1), _Person(2)
    for n in range(MAX_LINES + 3):
        letters.add(one, Item(f"N{n}", f"line {n}", f"/n/{n}/", values={"after": "x"}), sms=n == 1)
    letters.add(two, Item("M", "line m", "/m/"))
    first, second = list(letters)
    assert (first.recipient, second.recipient, len(letters)) == (one, two, 2)
    context = first.context(reason="R")
    assert context["count"] == MAX_LINES + 3 and context["items"][-1] == "……另有 3 件"
    assert context["items"][:2] == ["line 0", "line 1"] and context["number"] == "N0"
    assert (first.sms, second.sms) == (True, False)
    assert first.link("/all/") == "/all/" and second.link("/all/") == "/m/"
    assert first.related() is None


def test_letters_are_sent_through_the_sender_passed_in():
    """``Letters.send`` (deadlines cannot import notifications): one call per person, SMS only to
    the one who asked, the common values in the context, the item's link or the list's."""
    letters, one, two, sent = Letters(), _Person(1), _Person(2), []
    letters.add(one, Item("N1", "line 1", "/n/1/", related="r1", values={"after": "x"}), sms=True)
    letters.add(one, Item("N2", "line 2", "/n/2/"))
    letters.add(two, Item("M", "line m", "/m/", related="rm"))

    def sender(recipient, event, context, *, channels, related, link):
        sent.append((recipient, event, context, channels, related, link))

    letters.send(sender, "x.due_moved", many="/all/", channels=["in_app"], sms="sms", reason="R")
    (first, second) = sent
    assert first[:2] == (one, "x.due_moved") and first[3:] == (["in_app", "sms"], None, "/all/")
    assert first[2]["reason"] == "R" and first[2]["count"] == 2 and first[2]["items"] == ["line 1", "line 2"]
    assert second[3:] == (["in_app"], "rm", "/m/") and second[2]["number"] == "M"
    letters.send(sender, "x.withdrawn", many="/all/", channels=["in_app"])
    assert "reason" not in sent[-1][2] and sent[-1][3] == ["in_app"]
