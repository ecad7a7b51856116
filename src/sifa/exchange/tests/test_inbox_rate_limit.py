"""The inbox's rate limits (docs/exchange.md, "Rate limits"): an address that sent too many refused
envelopes, or too many messages, is answered 429 with a stable code before any check, and a flood
is logged as one Rejection per address and window, not one per request."""

from __future__ import annotations

import time

import pytest
import time_machine

from sifa.exchange.envelope import Envelope
from sifa.exchange.models import Rejection

from .conftest import client, notice, tampered

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/exchange/inbox/"


def post(envelope: Envelope | dict, addr: str = "10.0.0.7"):
    data = envelope.as_wire() if isinstance(envelope, Envelope) else envelope
    return client().post(INBOX, data, format="json", REMOTE_ADDR=addr)


def forged(world) -> Envelope:
    envelope = notice(world)
    signature = bytearray(envelope.signature)
    signature[-3] ^= 0x01
    return tampered(envelope, signature=bytes(signature))


@pytest.fixture
def clock():
    """The clock stopped 40 s into a minute (the shared limits count in windows of a minute), then
    moved by the test; envelopes are stamped and checked on the same clock."""
    now = time.time()
    with time_machine.travel(now - now % 60 + 40, tick=False) as traveller:
        yield traveller


def test_an_address_with_too_many_refusals_is_stopped_and_logged_once_per_window(world, settings, clock):
    settings.EXCHANGE_INBOX_REFUSED_RATE = "3/min"
    before = Rejection.objects.count()
    for _ in range(3):
        response = post(forged(world))
        assert response.status_code == 403 and response.json()["code"] == "exchange.bad_signature"
    assert Rejection.objects.count() == before + 3

    # Over the limit: even a well-signed message waits, and nothing is checked or parsed.
    blocked = post(notice(world))
    assert blocked.status_code == 429
    body = blocked.json()
    assert body["code"] == "exchange.too_many_refused" and "秒后重试" in body["message"]
    assert 1 <= body["retry_after"] <= 61 and blocked["Retry-After"] == str(body["retry_after"])
    assert post({"header": "junk"}).status_code == 429
    assert post(forged(world)).status_code == 429
    # A client-supplied X-Forwarded-For does not make a new address (SIFA_TRUSTED_PROXIES is 0).
    spoofed = client().post(
        INBOX, notice(world).as_wire(), format="json", REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="10.9.9.9"
    )
    assert spoofed.status_code == 429
    rows = Rejection.objects.filter(code="exchange.too_many_refused")
    assert rows.count() == 1  # one row for the window, not one per request
    assert rows.get().remote_addr == "10.0.0.7" and "不再逐条记录" in rows.get().reason
    assert Rejection.objects.count() == before + 4

    # Another address is not affected.
    assert post(notice(world), addr="10.0.0.8").status_code == 200

    # Once the window has passed, the address is heard again.
    clock.shift(61)
    assert post(notice(world)).status_code == 200


def test_accepted_messages_and_duplicates_do_not_count_as_refusals(world, settings, clock):
    settings.EXCHANGE_INBOX_REFUSED_RATE = "1/min"
    envelope = notice(world)
    for _ in range(3):
        assert post(envelope).status_code == 200  # the first, then duplicates (same answer)
    assert post(notice(world)).status_code == 200
    assert post({"header": {}, "body": {}, "signature": "AAAA"}).status_code == 400  # one refusal
    assert post(notice(world)).json()["code"] == "exchange.too_many_refused"


def test_the_overall_limit_per_address(world, settings, clock):
    settings.EXCHANGE_INBOX_RATE = "2/min"
    assert post(notice(world)).status_code == 200
    assert post(notice(world)).status_code == 200
    before = Rejection.objects.count()
    for _ in range(3):
        response = post(notice(world))
        assert response.status_code == 429 and response.json()["code"] == "exchange.rate_limited"
    assert Rejection.objects.count() == before + 1
    assert post(notice(world), addr="10.0.0.9").status_code == 200
    clock.shift(61)
    assert post(notice(world)).status_code == 200


def test_a_bad_rate_setting_is_refused_at_start() -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "SIFA_EXCHANGE_INBOX_REFUSED_RATE": "lots",
        "DJANGO_SETTINGS_MODULE": "sifa.conf.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "SIFA_EXCHANGE_INBOX_REFUSED_RATE should be" in result.stderr
