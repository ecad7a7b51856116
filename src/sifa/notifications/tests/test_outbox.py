"""The outbox: written with the caller's transaction, delivered only after it commits."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from sifa.accounts.models import SmsMessage
from sifa.notifications.events import SMS_SEGMENT_CHARS, NotificationError, registered_events, render
from sifa.notifications.models import Delivery, DeliveryStatus, Notification
from sifa.notifications.services import notify
from sifa.notifications.tests.conftest import CITIZEN_PHONE, CONTEXT, make_citizen
from sifa.notifications.textfilters import sms_length


class Boom(Exception):
    pass


def test_notify_in_rolled_back_transaction_sends_nothing(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Boom), transaction.atomic():
            notify(citizen, "application.accepted", CONTEXT)
            raise Boom

    assert callbacks == []
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()
    assert mail.outbox == []
    assert not SmsMessage.objects.exists()


def test_committed_notify_delivers_on_every_channel(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            notification = notify(citizen, "application.accepted", CONTEXT, link="/me/applications/1/")

    deliveries = {d.channel: d for d in notification.deliveries.all()}
    assert {c: d.status for c, d in deliveries.items()} == {
        "in_app": DeliveryStatus.SENT,
        "email": DeliveryStatus.SENT,
        "sms": DeliveryStatus.SENT,
    }
    assert all(d.attempts == 1 and d.sent_at for d in deliveries.values())

    [email] = mail.outbox
    assert email.to == ["zhang@example.com"]
    assert email.subject == "申请已受理"
    assert "律师执业许可" in email.body and "330106202500000001" in email.body
    assert "http://" in email.body or "https://" in email.body
    assert deliveries["email"].provider_message_id == email.extra_headers["Message-ID"]

    sms = SmsMessage.objects.get()
    assert sms.reveal_phone() == CITIZEN_PHONE
    assert sms.body.startswith("【司法行政】")
    assert "330106202500000001" in sms.body
    assert str(sms.id) == deliveries["sms"].provider_message_id

    assert notification.title == "申请已受理"
    assert notification.read_at is None


def test_nothing_is_sent_before_commit(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(citizen, "application.submitted", CONTEXT)
    assert mail.outbox == [] and not SmsMessage.objects.exists()
    assert len(callbacks) == 1
    # The in-app message needs no worker: it is the row itself.
    assert Delivery.objects.get(channel="in_app").status == DeliveryStatus.SENT
    assert set(Delivery.objects.filter(status="pending").values_list("channel", flat=True)) == {
        "email",
        "sms",
    }


def test_channels_the_recipient_cannot_receive_are_skipped(orgs, django_capture_on_commit_callbacks):
    no_contact = make_citizen("nocontact", "/1/2/3/4/")
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(no_contact, "application.accepted", CONTEXT)
    assert list(notification.deliveries.values_list("channel", flat=True)) == ["in_app"]


def test_explicit_channels_limit_the_deliveries(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(citizen, "application.accepted", CONTEXT, channels=["in_app", "sms"])
    assert sorted(notification.deliveries.values_list("channel", flat=True)) == ["in_app", "sms"]
    assert mail.outbox == []


def test_unknown_event_fails_at_notify_time(citizen):
    with pytest.raises(NotificationError) as error:
        notify(citizen, "application.teleported", CONTEXT)
    assert error.value.code == "notifications.unknown_event"
    assert not Notification.objects.exists()


def test_missing_context_and_unknown_channel_fail_at_notify_time(citizen):
    with pytest.raises(NotificationError) as missing:
        notify(citizen, "application.accepted", {"number": "X1"})
    assert missing.value.code == "notifications.context_missing"
    assert "item_name" in missing.value.message
    with pytest.raises(NotificationError) as channel:
        notify(citizen, "application.accepted", CONTEXT, channels=["fax"])
    assert channel.value.code == "notifications.unknown_channel"
    assert not Notification.objects.exists()


def test_notification_copies_scope_and_related(citizen):
    notification = notify(
        citizen, "application.accepted", CONTEXT, related=("applications.application", "A1")
    )
    assert notification.scope_path == "/1/2/3/4/"
    assert (notification.related_type, notification.related_id) == ("applications.application", "A1")


def test_email_html_escapes_context(citizen, django_capture_on_commit_callbacks):
    context = {**CONTEXT, "item_name": '<script>alert("x")</script>'}
    with django_capture_on_commit_callbacks(execute=True):
        notify(citizen, "application.accepted", context, channels=["email"])
    [email] = mail.outbox
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    # The plain-text part is plain text: not escaped.
    assert '<script>alert("x")</script>' in email.body


def test_correction_notice_lists_every_problem(citizen):
    problems = ["身份证明复印件不清晰", "缺少实习考核合格证明", "申请表未签名"]
    notification = notify(citizen, "application.correction_requested", {**CONTEXT, "problems": problems})
    assert "以下3项" in notification.body
    for index, problem in enumerate(problems, start=1):
        assert f"{index}. {problem}" in notification.body


@pytest.mark.parametrize("template", registered_events(), ids=lambda t: t.code)
def test_every_event_has_chinese_texts_and_a_one_segment_sms(template):
    rendered = render(template.code, {**dict.fromkeys(template.fields, "x"), **template.sample})
    assert rendered.title and rendered.body
    assert rendered.sms.startswith("【司法行政】")
    assert sms_length(rendered.sms) <= SMS_SEGMENT_CHARS


@given(item_name=st.text(min_size=1, max_size=300), decision=st.text(min_size=1, max_size=50))
def test_sms_fits_one_segment_whatever_the_names(item_name, decision):
    number = "3301062025LSZY000000000000000001"
    for code in ("application.submitted", "application.decided"):
        sms = render(code, {"number": number, "item_name": item_name, "decision": decision}).sms
        assert sms_length(sms) <= SMS_SEGMENT_CHARS, sms
