"""Which message-log rows wait for their own fsync (ADR 0018): only the answer to Sifa's own
request committed by itself does not; the connection's durability is back right after it, and a
row written in the caller's transaction is as durable as that transaction."""

from __future__ import annotations

import os
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


# --- a request that leaves as soon as it is committed (ADR 0020) ----------------------------------


@pytest.fixture
def order(monkeypatch, settings):
    """What happens, in order: each INSERT of the log (the connection's durability during it,
    whether in a transaction), each ``fdatasync`` (the file, whether in a transaction, the
    durability then), and the send. No chaining batch falls due on its own (it syncs too:
    ``test_a_chaining_batch_commits_at_normal_and_is_synced_after_the_commit``)."""
    settings.EXCHANGE_LOG_BATCH, settings.EXCHANGE_LOG_BATCH_MS = 10**6, 10**9
    log.BATCHER.__init__()
    events: list[tuple] = []
    insert, fdatasync = log._insert, os.fdatasync

    def spy_insert(row, **options):
        events.append(("insert", durability(), connection.in_atomic_block))
        insert(row, **options)

    def spy_fdatasync(descriptor):
        events.append(("fdatasync", os.readlink(f"/proc/self/fd/{descriptor}"), connection.in_atomic_block))
        fdatasync(descriptor)

    monkeypatch.setattr(log, "_insert", spy_insert)
    monkeypatch.setattr(os, "fdatasync", spy_fdatasync)
    return events


def wal_path() -> str:
    return f"{connection.settings_dict['NAME']}-wal"


@pytest.mark.django_db(transaction=True)
def test_a_chaining_batch_commits_at_normal_and_is_synced_after_the_commit(strict, order, monkeypatch):
    """SQLite: the batch that inserts the links commits at ``synchronous=NORMAL`` (no fsync under the
    write lock), then the ``-wal`` is ``fdatasync``-ed outside the transaction and the level
    restored, before ``chain_pending`` returns (ADR 0023). PostgreSQL: a plain durable commit."""
    durable, relaxed = strict
    append()
    order.clear()
    during: list[tuple[str, bool]] = []
    lock = log._lock_chain

    def spy(db, table):
        during.append((durability(), connection.in_atomic_block))
        lock(db, table)

    monkeypatch.setattr(log, "_lock_chain", spy)
    assert log.chain_pending() == 1
    if connection.vendor == "sqlite":
        assert during == [(relaxed, True)]
        assert order == [("fdatasync", os.path.realpath(wal_path()), False)]
    else:
        assert during == [(durable, True)] and order == []
    assert durability() == durable
    assert ExchangeMessage.objects.get().seq == 1


@pytest.mark.django_db(transaction=True)
def test_a_request_commits_at_normal_and_its_wal_is_synced_after_the_commit_before_it_leaves(strict, order):
    """SQLite: the request's transaction commits at ``synchronous=NORMAL`` (no fsync under the write
    lock), then, outside the transaction and before the transport is called, the ``-wal`` file is
    ``fdatasync``-ed and the connection's level restored. PostgreSQL: a plain durable commit."""
    durable, relaxed = strict

    class Transport:
        def deliver(self, endpoint, envelope, *, timeout):
            order.append(("send", durability(), connection.in_atomic_block))

    with log.durable_before_sending():
        row = append()
    Transport().deliver("https://police.example.test/", None, timeout=1)
    if connection.vendor == "sqlite":
        wal = os.path.realpath(wal_path())
        assert order == [("insert", relaxed, True), ("fdatasync", wal, False), ("send", durable, False)]
    else:
        assert order == [("insert", durable, True), ("send", durable, False)]
    assert ExchangeMessage.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_inside_the_callers_transaction_or_rolled_back_nothing_is_relaxed_nor_synced(strict, order):
    durable, _ = strict
    with transaction.atomic():
        with log.durable_before_sending():  # the caller's commit decides, durably
            append()
    with pytest.raises(IntegrityError):
        with log.durable_before_sending():
            first = append()
            append(str(first.message_id))  # refused: the block rolls back, nothing to sync
    assert durability() == durable and not connection.in_atomic_block
    # The first INSERT in the caller's transaction at its level; the refused block's at NORMAL, and
    # no fdatasync: nothing committed, nothing leaves.
    assert [event[0] for event in order] == ["insert", "insert", "insert"]
    assert order[0] == ("insert", durable, True)
    assert ExchangeMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_the_wal_descriptor_is_kept_per_connection_and_opened_again_for_a_new_one(strict):
    connection.ensure_connection()
    first = log._wal_descriptor(connection, connection.connection)
    assert first is not None and log._wal_descriptor(connection, connection.connection) == first
    assert os.path.samefile(f"/proc/self/fd/{first}", wal_path())
    connection.close()
    connection.ensure_connection()
    second = log._wal_descriptor(connection, connection.connection)
    assert second is not None and os.path.samefile(f"/proc/self/fd/{second}", wal_path())
    assert connection.sifa_wal[0] is connection.connection


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_without_a_wal_file_to_sync_the_commit_is_durable_by_itself(strict, order, monkeypatch):
    durable, _ = strict
    connection.ensure_connection()
    log._wal_descriptor(connection, connection.connection)
    connection.sifa_wal[1] = wal_path() + "-not-there"  # as if the WAL were gone or renamed
    with log.durable_before_sending():
        append()
    assert order == [("insert", durable, True)]
    connection.close()  # the next connection looks for its WAL again


# --- the same, as one statement committed by itself (ADR 0022) ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_request_appended_before_sending_is_one_statement_durable_when_append_returns(strict, order):
    """``append(before_sending=True)`` outside a transaction: SQLite: the INSERT commits by itself
    at ``synchronous=NORMAL`` (no transaction block), then the ``-wal`` file is ``fdatasync``-ed and
    the level restored, all before ``append`` returns; PostgreSQL: the one INSERT, autocommitted,
    durable (no ``BEGIN``, no ``COMMIT``)."""
    durable, relaxed = strict
    with CaptureQueriesContext(connection) as queries:
        row = append(before_sending=True)
    order.append(("send", durability(), connection.in_atomic_block))
    if connection.vendor == "sqlite":
        wal = os.path.realpath(wal_path())
        assert order == [("insert", relaxed, False), ("fdatasync", wal, False), ("send", durable, False)]
    else:
        # Outside any atomic block, so autocommitted: its own transaction, committed durably.
        assert order == [("insert", durable, False), ("send", durable, False)]
        inserts = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("INSERT")]
        assert len(inserts) == 1 and RELAXED not in inserts[0]
    assert ExchangeMessage.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_appended_before_sending_a_refused_insert_syncs_nothing_and_a_transaction_decides(strict, order):
    durable, _ = strict
    first = append(before_sending=True)
    del order[:]
    with pytest.raises(IntegrityError):
        append(str(first.message_id), before_sending=True)  # the sender used this id already
    assert durability() == durable and not connection.in_atomic_block
    assert [event[0] for event in order] == ["insert"]  # refused: nothing committed, nothing synced
    del order[:]
    with transaction.atomic():
        append(before_sending=True)  # in the caller's transaction: its commit decides, durably
    assert order == [("insert", durable, True)]
    assert durability() == durable and ExchangeMessage.objects.count() == 2
