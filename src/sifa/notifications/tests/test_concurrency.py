"""Several workers at once (PostgreSQL): every delivery is sent exactly once."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from sifa.accounts import sms
from sifa.notifications.models import Delivery, DeliveryStatus
from sifa.notifications.services import deliver_due, notify
from sifa.notifications.tests.conftest import CONTEXT, make_citizen
from sifa.testing.concurrency import run_together

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED needs PostgreSQL"),
]

WORKERS = 4
MESSAGES = 24


class CountingGateway(sms.SmsGateway):
    """A slow carrier that counts how often each message text reaches it."""

    lock = threading.Lock()
    sent: Counter[str] = Counter()

    def send(self, phone, template, params, *, recipient=None):
        time.sleep(0.02)  # long enough for the workers' claims to interleave
        with self.lock:
            self.sent[params["text"]] += 1
        return params["text"]


@pytest.fixture
def counting_gateway(settings):
    CountingGateway.sent.clear()
    with sms.gateways.override("counting", CountingGateway()):
        settings.SMS_BACKEND = "counting"
        yield CountingGateway


def test_concurrent_workers_never_send_a_delivery_twice(counting_gateway, orgs, monkeypatch):
    # Leave the rows for the workers (the test backend would otherwise send them on commit).
    monkeypatch.setattr("sifa.notifications.tasks.enqueue_delivery", lambda ids: None)
    citizen = make_citizen("many", "/1/2/3/4/", phone="13812345678")
    for index in range(MESSAGES):
        # Distinct numbers give distinct texts, so the gateway can tell messages apart.
        notify(citizen, "application.accepted", {**CONTEXT, "number": f"N{index:04d}"}, channels=["sms"])

    per_worker = run_together(lambda _index: deliver_due(limit=3).sent, WORKERS)
    assert len(per_worker) == WORKERS and all(per_worker), "every worker should have taken some"
    assert len(CountingGateway.sent) == MESSAGES
    assert set(CountingGateway.sent.values()) == {1}
    assert Delivery.objects.filter(status=DeliveryStatus.SENT, attempts=1).count() == MESSAGES
