"""Concurrent copies of one message get one log row and one answer; concurrent messages and batches
never fork the message log's chain (separate connections, released together)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Count

from sifa.core.signing import KeyRing
from sifa.exchange.chain import verify_log
from sifa.exchange.models import Direction, ExchangeMessage, MessageLink, PartnerKey
from sifa.exchange.services import envelopes, log, partners
from sifa.exchange.services.inbox import receive
from sifa.testing import tree
from sifa.testing.concurrency import run_together

from .conftest import notice


@pytest.fixture
def live_world(transactional_db, tmp_path, monkeypatch):
    ring = KeyRing(tmp_path / "signing", generate=True)
    monkeypatch.setattr(envelopes, "default_keyring", lambda: ring)
    orgs = tree("zj", "hz")
    loaded = partners.load_demo_partners(tmp_path / "partners")
    for key in PartnerKey.objects.all():
        partners.add_key(
            key.partner,
            key.public_key_pem,
            key_id=key.key_id,
            valid_from=key.valid_from - dt.timedelta(days=1),
        )
    return {"orgs": orgs, "partners": loaded, "key_dir": tmp_path / "partners", "ring": ring}


def test_copies_of_one_message_arriving_together_get_one_row_and_the_same_answer(live_world):
    threads = 2 if connection.vendor == "sqlite" else 4
    wire = notice(live_world).as_wire()
    answers = run_together(lambda _i: receive(wire), threads, timeout=None)
    assert len({a.header_bytes + a.signature for a in answers}) == 1
    assert ExchangeMessage.objects.filter(direction=Direction.INBOUND).count() == 1
    assert ExchangeMessage.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_concurrent_messages_and_batches_keep_one_unforked_chain(live_world):
    threads, each = (2, 5) if connection.vendor == "sqlite" else (4, 10)

    def partner(index: int) -> None:
        for _ in range(each):
            receive(notice(live_world, ("court", "police", "procuratorate", "court")[index]).as_wire())
            log.chain_pending()

    run_together(partner, threads, timeout=None)
    log.chain_pending()
    result = verify_log()
    assert result.ok and result.unchained == 0, result.message
    assert result.count == ExchangeMessage.objects.count() == threads * each * 2
    forks = MessageLink.objects.values("prev_hash").annotate(n=Count("seq")).filter(n__gt=1)
    assert not forks.exists()


@contextmanager
def a_transaction_that_logged(live_world, settings) -> Iterator[Any]:
    """PostgreSQL only: two messages logged and waiting to be chained, and another connection's open
    transaction holding what an INSERT into the log holds (``ROW EXCLUSIVE``)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite: a batch waits for the one write lock as every writer does")
    settings.EXCHANGE_LOG_BATCH, settings.EXCHANGE_LOG_BATCH_MS = 10**6, 10**9  # no batch on its own
    log.BATCHER.__init__()
    receive(notice(live_world).as_wire())
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE exchange_exchangemessage IN ROW EXCLUSIVE MODE")
        yield other
    finally:
        other.close()


def test_a_batch_after_a_commit_gives_way_to_an_open_transaction_that_logged(live_world, settings):
    """PostgreSQL: a batch is the log's only writer (``LOCK TABLE … SHARE ROW EXCLUSIVE``, ADR 0023).
    Another transaction holding what an INSERT holds (``ROW EXCLUSIVE``) makes a batch after a commit
    give up after its short wait and leave the rows waiting; the next batch chains them."""
    with a_transaction_that_logged(live_world, settings) as other:
        started = time.monotonic()
        assert log.chain_pending(wait=False) == 0
        assert time.monotonic() - started < 5
        assert not connection.in_atomic_block and MessageLink.objects.count() == 0
        other.rollback()
    assert log.chain_pending(wait=False) == 2
    assert verify_log().ok


def test_relays_running_together_never_send_one_message_twice(live_world, settings):
    """Two (SQLite) or four (PostgreSQL, ``FOR UPDATE SKIP LOCKED``) relays drain one outbox: every
    message is sent exactly once and confirmed once."""
    import threading

    from sifa.exchange.models import OutboxItem, OutboxStatus
    from sifa.exchange.services import outbox
    from sifa.exchange.tests.test_outbox import ENDPOINT, FakeCourt

    court = live_world["partners"]["court"]
    settings.EXCHANGE_ENDPOINTS = [f"{court.uscc}={ENDPOINT}"]
    threads, count = (2, 12) if connection.vendor == "sqlite" else (4, 40)
    for index in range(count):
        outbox.send(
            organisation=live_world["orgs"]["hz"],
            partner=court,
            service=("judicial-confirmation.refer", "1"),
            body={"n": index},
            purpose="调解协议申请司法确认",
            official="调解员张某",
        )
    fake = FakeCourt(live_world)
    lock = threading.Lock()
    original = fake.send

    def send(endpoint, envelope, *, timeout):
        with lock:  # the fake's own bookkeeping is not what is under test
            return original(endpoint, envelope, timeout=timeout)

    fake.send = send  # type: ignore[method-assign]
    run_together(lambda _i: outbox.relay_once(fake, limit=3, max_batches=None), threads, timeout=None)
    assert len(fake.calls) == count == len(set(fake.calls)) and fake.duplicates == 0
    assert OutboxItem.objects.filter(status=OutboxStatus.CONFIRMED).count() == count


def test_a_batch_that_must_chain_asks_again_without_queueing_the_log_s_inserts(live_world, settings):
    """PostgreSQL: ``sifa exchange chain`` and the scheduler (``chain_pending()``) wait for an open
    transaction that logged a message, but never longer than 100 ms at a time in the lock queue, so
    other inserts into the log are not held behind its request meanwhile (ADR 0023)."""
    import threading

    chained: list[int] = []
    with a_transaction_that_logged(live_world, settings) as other:

        def chain() -> None:
            try:
                chained.append(log.chain_pending())
            finally:
                connections.close_all()

        waiting = threading.Thread(target=chain)
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive() and not chained
        third = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with third.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
                # What an INSERT into the log takes: granted within the batch's 100 ms pauses.
                cursor.execute("BEGIN; LOCK TABLE exchange_exchangemessage IN ROW EXCLUSIVE MODE; ROLLBACK")
        finally:
            third.close()
        other.rollback()
        waiting.join(10)
        assert not waiting.is_alive()
    assert chained == [2]
    assert verify_log().ok
