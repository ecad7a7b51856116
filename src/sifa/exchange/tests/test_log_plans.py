"""The message log's per-message statements keep their cost whatever the log's size (PostgreSQL).

A log that grew from empty has no statistics until something analyses it (autovacuum, when it is
on), and a statement prepared on a connection keeps the generic plan it was given when the log was
small for as long as the connection lives. Both made a round trip's cost grow with the number of
messages ever logged (docs/performance.md, "session 15: W9 on PostgreSQL as the log grows"): the
chaining batch read the whole log under the table lock every insert waits for, and the lookup of
an answer's request was a sequential scan on a connection opened while the log was empty. These
tests read the plans PostgreSQL gives those statements on the test database's log, which was never
analysed, and fail on any sequential scan of the log or of its chain."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sifa.exchange.services import envelopes, log
from sifa.exchange.services.inbox import receive

from .conftest import notice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner"),
]

SEQUENTIAL = re.compile(r"Seq Scan on exchange_(exchangemessage|messagelink)\b")


def _plan(sql: str, params: Any = None) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_a_batch_reads_the_waiting_rows_through_the_primary_key_on_an_unanalysed_log(world):
    """Every statement of a batch, explained as it ran: none scans the log or the chain. Before,
    ``WHERE id > last chained`` alone was estimated at a third of an unanalysed log: a sequential
    scan and a sort of the whole log per batch (≈ 90 ms at 100 k rows) under the table lock."""
    for _ in range(3):
        receive(notice(world).as_wire())
    log.chain_pending()
    for _ in range(2):
        receive(notice(world).as_wire())
    with CaptureQueriesContext(connection) as queries:
        assert log.chain_pending() == 4
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert any("exchange_exchangemessage" in sql and "ORDER BY id" in sql for sql in reads)
    for sql in reads:
        plan = _plan(sql)
        assert not SEQUENTIAL.search(plan), f"{sql}\n{plan}"


def test_the_answer_s_lookup_keeps_index_plans_when_prepared_on_an_empty_log():
    """``envelopes._seen_and_answered`` is a prepared statement of the connection (``first_read``);
    after five executions PostgreSQL may keep a generic plan, made for the log as it was then, for
    the connection's life. As an ``OR`` of the two lookups, its generic plan on an empty log was a
    sequential scan (≈ 140 ms per answer at 53 k rows on a connection opened while it was empty);
    as a ``UNION ALL`` of two lookups by the unique key, each branch is an index scan."""
    captured: list[tuple[str, list[Any]]] = []
    original = envelopes.first_read

    def capture(db, sql, params, **kwargs):
        captured.append((sql, list(params)))
        return original(db, sql, params, **kwargs)

    header = {
        "kind": "response",
        "sender": "11330100002493988P",
        "receiver": "11100000J100000027",
        "message_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(envelopes, "first_read", capture)
        assert envelopes._seen_and_answered(header) == (None, None)
    ((sql, params),) = captured
    numbered = iter(range(1, len(params) + 1))
    prepared = re.sub(r"%s", lambda _match: f"${next(numbered)}", sql)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE sifa_seen_and_answered AS {prepared}")
        try:
            marks = ", ".join(["%s"] * len(params))
            plan = _plan(f"EXECUTE sifa_seen_and_answered({marks})", params)
        finally:
            cursor.execute("DEALLOCATE sifa_seen_and_answered")
            cursor.execute("RESET plan_cache_mode")
    assert "Seq Scan" not in plan, plan
    assert "exchange_message_copy_once" in plan, plan
