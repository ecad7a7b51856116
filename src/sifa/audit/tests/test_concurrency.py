"""Concurrent writers on separate connections never fork the chain."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count

from sifa.audit import services
from sifa.audit.chain import verify_chain
from sifa.audit.models import AuditEvent
from sifa.audit.tests.conftest import case
from sifa.testing.concurrency import run_together

THREADS = 4
APPENDS = 25


@pytest.mark.django_db(transaction=True)
def test_four_writers_append_one_unforked_chain():
    if connection.vendor == "sqlite":
        # SQLite serializes every writer on its one database lock; a light run still proves
        # that IMMEDIATE transactions keep the head read and the insert together.
        threads, appends = 2, 10
    else:
        threads, appends = THREADS, APPENDS

    def writer(number: int) -> None:
        for i in range(appends):
            services.record("test.concurrent", subject=case(f"{number}-{i}"))

    run_together(writer, threads, timeout=None)
    result = verify_chain()
    assert result.ok, result.message
    assert result.count == AuditEvent.objects.count() == threads * appends
    forks = AuditEvent.objects.values("prev_hash").annotate(n=Count("seq")).filter(n__gt=1)
    assert not forks.exists()
