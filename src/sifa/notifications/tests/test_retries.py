"""Failing channels: back-off with jitter, dead after the last attempt, permanent errors, lost workers."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sifa.accounts import sms
from sifa.accounts.models import SmsMessage
from sifa.notifications import services
from sifa.notifications.models import Delivery, DeliveryStatus
from sifa.notifications.redaction import redact
from sifa.notifications.services import MAX_ATTEMPTS, deliver_due, notify, retry_delay
from sifa.notifications.tests.conftest import CITIZEN_PHONE, CONTEXT

START = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


class DownGateway(sms.SmsGateway):
    """A carrier that is down and, like real ones, echoes the number in its error."""

    calls = 0

    def send(self, phone, template, params, *, recipient=None):
        DownGateway.calls += 1
        raise sms.SmsGatewayError(f"carrier timeout sending to {phone}")


@pytest.fixture
def down_gateway(settings):
    DownGateway.calls = 0
    with sms.gateways.override("down", DownGateway()):
        settings.SMS_BACKEND = "down"
        yield DownGateway
    settings.SMS_BACKEND = "local"


def sms_delivery() -> Delivery:
    return Delivery.objects.select_related("notification").get(channel="sms")


def test_failing_sms_retries_with_backoff_then_dies(
    citizen, down_gateway, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            notify(citizen, "application.accepted", CONTEXT, channels=["sms"])
        delivery = sms_delivery()
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.attempts == 1
        waits = [delivery.next_attempt_at - START]

        for attempt in range(2, MAX_ATTEMPTS + 1):
            # Not yet due: the sweep leaves it alone.
            traveller.move_to(delivery.next_attempt_at - dt.timedelta(seconds=1))
            assert deliver_due().attempted == 0
            traveller.move_to(delivery.next_attempt_at)
            result = deliver_due()
            assert result.attempted == 1
            previous = delivery.next_attempt_at
            delivery = sms_delivery()
            assert delivery.attempts == attempt
            if attempt < MAX_ATTEMPTS:
                assert delivery.status == DeliveryStatus.FAILED
                waits.append(delivery.next_attempt_at - previous)

        assert delivery.status == DeliveryStatus.DEAD
        assert down_gateway.calls == MAX_ATTEMPTS
        # Nothing more happens to a dead delivery, however long we wait.
        traveller.shift(dt.timedelta(days=30))
        assert deliver_due().attempted == 0

    nominal = [1, 5, 25, 125, 360]  # minutes; capped at 6 hours
    for wait, minutes in zip(waits, nominal, strict=True):
        assert dt.timedelta(minutes=minutes * 0.8) <= wait <= dt.timedelta(minutes=minutes * 1.2)
    assert "短信网关发送失败" in delivery.last_error
    assert CITIZEN_PHONE not in delivery.last_error
    assert "138****5678" in delivery.last_error


def test_permanent_error_goes_straight_to_dead(citizen, django_capture_on_commit_callbacks):
    notification = notify(citizen, "application.accepted", CONTEXT, channels=["email"])
    # The address disappears before the worker runs: retrying cannot help.
    type(citizen).objects.filter(pk=citizen.pk).update(email="")
    deliver_due()
    delivery = notification.deliveries.get()
    assert delivery.status == DeliveryStatus.DEAD
    assert delivery.attempts == 1
    assert delivery.last_error == "接收人未登记电子邮箱"


def test_a_crashing_channel_is_retried_not_lost(citizen, monkeypatch):
    def crash(self, delivery):
        raise RuntimeError(f"bug while sending to {CITIZEN_PHONE}")

    monkeypatch.setattr("sifa.notifications.channels.SmsChannel.send", crash)
    notify(citizen, "application.accepted", CONTEXT, channels=["sms"])
    deliver_due()
    delivery = sms_delivery()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "发送通道内部错误（RuntimeError）"


def test_sweep_sends_deliveries_whose_enqueue_was_lost(citizen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        notify(citizen, "application.accepted", CONTEXT)
    assert not SmsMessage.objects.exists()
    call_command("deliver-notifications")
    assert SmsMessage.objects.count() == 1
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()


def test_a_delivery_is_claimed_once(citizen):
    notify(citizen, "application.accepted", CONTEXT, channels=["sms"])
    first = services.claim()
    assert [d.channel for d in first] == ["sms"]
    assert services.claim() == []
    assert services.deliver_ids([first[0].pk]).attempted == 0


def test_stale_claim_of_a_dead_worker_is_retried(citizen):
    with time_machine.travel(START, tick=False) as traveller:
        notify(citizen, "application.accepted", CONTEXT, channels=["sms"])
        assert len(services.claim()) == 1  # the worker takes it, then dies before sending
        traveller.shift(services.CLAIM_LEASE - dt.timedelta(seconds=1))
        assert deliver_due().recovered == 0
        traveller.shift(dt.timedelta(seconds=2))
        result = deliver_due()
    assert result.recovered == 1 and result.sent == 1
    delivery = sms_delivery()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2


@given(attempts=st.integers(min_value=1, max_value=50), seed=st.integers())
def test_backoff_grows_and_stays_within_jitter(attempts, seed):
    delay = retry_delay(attempts, random.Random(seed))
    nominal = dt.timedelta(minutes=min(5 ** (attempts - 1), 360))
    assert nominal * 0.8 <= delay <= nominal * 1.2


@given(
    prefix=st.text(max_size=40),
    phone=st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    suffix=st.text(max_size=40),
)
def test_redacted_errors_never_hold_a_full_phone_number(prefix, phone, suffix):
    text = redact(f"{prefix} {phone} {suffix}")
    assert phone not in text


def test_redaction_masks_id_numbers_and_addresses():
    text = redact("rejected 11010519491231002X for li.si@example.com")
    assert "11010519491231002X" not in text and "li.si@example.com" not in text
    assert "l***@example.com" in text


def test_sent_at_is_when_it_was_sent(citizen):
    with time_machine.travel(START, tick=False):
        notify(citizen, "application.accepted", CONTEXT, channels=["sms"])
        deliver_due()
    assert sms_delivery().sent_at == START
    assert timezone.is_aware(sms_delivery().sent_at)
