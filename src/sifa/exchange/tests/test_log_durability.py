"""Which message-log rows wait for their own fsync (ADR 0018): only the answer to Sifa's own
request committed by itself does not; the connection's durability is back right after it, and a
row written in the caller's transaction is as durable as that transaction."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from sifa.exchange.envelope import Envelope
from sifa.exchange.models import ExchangeMessage
from sifa.exchange.services import log


def durability() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT current_setting('synchronous_commit')")
        else:
            cursor.execute("PRAGMA synchronous")
        return str(cursor.fetchone()[0])


def append(message_id: str = "", **options) -> ExchangeMessage:
    header = {
        "message_id": message_id or str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
        "kind": "response",
        "issue": "",
        "purpose": "身份核验",
        "service": {"code": "identity.verify", "version": "1"},
        "sender": "11330100MB0000000X",
        "receiver": "11330100002500000Y",
        "timestamp": "2026-12-07T08:00:00.000+08:00",
        "key_id": "k",
        "body_digest": "0" * 64,
    }
    return log.append(
        Envelope(b"{}", b'{"match":true}', b"s"),
        header,
        {"match": True},
        direction="in",
        status="received",
        partner=None,
        scope_path="/1/",
        **options,
    )


@pytest.fixture
def strict():
    """The connection as production runs it: ``synchronous_commit = on`` (the test database's
    default is ``off``), SQLite's ``synchronous=FULL`` (2, from the settings)."""
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
        yield "on", "off"
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
    else:
        yield "2", "1"


RELAXED = "set_config('synchronous_commit', 'off', true)"


@pytest.mark.django_db(transaction=True)
def test_only_an_answer_committed_by_itself_skips_its_own_fsync(strict, monkeypatch):
    durable, relaxed = strict
    assert durability() == durable
    during: list[str] = []
    insert = log._insert

    def spy(row, **options):
        # SQLite: the connection's setting during the INSERT; PostgreSQL: the INSERT sets it for
        # its own transaction (RETURNING … set_config(…, true)).
        with CaptureQueriesContext(connection) as queries:
            before = durability()
            insert(row, **options)
        if connection.vendor == "postgresql":
            during.append(relaxed if RELAXED in queries.captured_queries[-1]["sql"] else before)
        else:
            during.append(before)

    monkeypatch.setattr(log, "_insert", spy)
    answer = append(own_fsync=False)
    assert durability() == durable  # restored at once, before the batch is chained
    append()
    with transaction.atomic():
        append(own_fsync=False)  # in the caller's transaction: its commit decides
    assert during == [relaxed, durable, durable]
    assert ExchangeMessage.objects.count() == 3
    assert str(ExchangeMessage.objects.get(pk=answer.pk).message_id) == str(answer.message_id)


@pytest.mark.django_db(transaction=True)
def test_a_refused_insert_restores_the_durability_too(strict):
    durable, _ = strict
    first = append(own_fsync=False)
    with pytest.raises(IntegrityError):
        append(str(first.message_id), own_fsync=False)  # the sender used this id already
    assert durability() == durable
    assert not connection.in_atomic_block and ExchangeMessage.objects.count() == 1
