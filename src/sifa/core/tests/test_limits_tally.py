"""``limits.tally`` and ``limits.tally_then_read``: a count kept in the process and sent to the
store in batches (docs/adr/0015-licence-verifications-counted-in-batches.md)."""

from __future__ import annotations

import pytest
import time_machine

from sifa.core import limits
from sifa.core.tests.test_limits import redis_url  # noqa: F401 (the fixture)

READ = "SELECT %s, 2 UNION ALL SELECT %s, 1"


@pytest.fixture(params=["database", "redis"])
def store(request, settings):
    settings.LIMITS_URL = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    chosen = limits.store()
    limits.clear()
    yield chosen
    limits.clear()


def _statements(connection, seen):
    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    return connection.execute_wrapper(note)


@pytest.mark.django_db
def test_a_tally_decides_as_hit_in_one_process_and_reads_only_when_allowed(store):
    """In one process a tally lets through exactly what ``hit`` lets through (the count in the
    process included), reads the rows only for an allowed request, and a refusal counts nothing."""
    from django.db import connection

    rate = limits.Rate(10, 60)
    with time_machine.travel(1_800_000_000 - 1_800_000_000 % 60 + 5, tick=False):
        answers = [limits.tally_then_read("t", rate, READ, ["b", "a"]) for _ in range(12)]
        assert [decision.allowed for decision, _rows in answers] == [True] * 10 + [False] * 2
        assert [decision.count for decision, _rows in answers[:10]] == list(range(1, 11))
        assert all(sorted(tuple(row) for row in rows) == [("a", 1), ("b", 2)] for _d, rows in answers[:10])
        assert [rows for _decision, rows in answers[10:]] == [[], []]
        assert answers[10][0].retry_after >= 1
        assert limits.peek("t", rate).count == 10
        # One batch of TALLY_BATCH sent, the rest waiting in the process.
        current_key, _previous_key, _elapsed, _length = limits._windows("t", rate)
        assert store.get(current_key) == limits.TALLY_BATCH
        limits.send_tallies()
        assert store.get(current_key) == 10
        assert limits.peek("t", rate).count == 10
        assert not limits.tally("t", rate).allowed
    if store.name == "database":
        seen: list[str] = []
        limits.clear()
        with _statements(connection, seen):
            for _ in range(limits.TALLY_BATCH):
                limits.tally_then_read("t", rate, READ, ["b", "a"])
        # One read-only statement per request, and the batch's one add.
        assert len(seen) == limits.TALLY_BATCH + 1
        assert sum(not sql.lstrip().upper().startswith("SELECT") for sql in seen) == 1


@pytest.mark.django_db
def test_other_processes_batches_count_and_a_batch_sent_meanwhile_is_not_missed(store):
    """What other processes sent is in the store's count; this process adds its own unsent ones.
    A batch of this process sent between a request's look and its decision is counted (at worst
    twice, never not at all)."""
    rate = limits.Rate(10, 60)
    with time_machine.travel(1_800_000_000 - 1_800_000_000 % 60 + 5, tick=False):
        current_key, _previous_key, _elapsed, length = limits._windows("o", rate)
        store.add_many(current_key, 2 * length, 6)  # another process's batch
        allowed = [limits.tally("o", rate).allowed for _ in range(6)]
        assert allowed == [True] * 4 + [False] * 2
        limits.clear()
        for _ in range(3):
            assert limits.tally("o", rate).allowed
        limits.send_tallies()  # sent: the store holds them, the process no longer counts them apart
        assert store.get(current_key) == 3
        assert limits.peek("o", rate).count == 3
        for _ in range(7):
            assert limits.tally("o", rate).allowed
        assert not limits.tally("o", rate).allowed


@pytest.mark.django_db
def test_an_old_batch_is_sent_by_the_next_request_and_an_ended_window_forgotten(store):
    rate = limits.Rate(100, 60)
    start = 1_800_000_000 - 1_800_000_000 % 60 + 5
    with time_machine.travel(start, tick=False) as clock:
        limits._next_sweep_ms = 0
        assert limits.tally("a", rate).allowed
        current_key, _previous_key, _elapsed, _length = limits._windows("a", rate)
        assert store.get(current_key) == 0
        clock.move_to(start + limits.TALLY_MS / 1000)
        assert limits.tally("b", rate).allowed  # another key's request sends the old batch
        assert store.get(current_key) == 1
        clock.move_to(start + 125)  # two windows later: neither current nor previous
        limits.tally("b", rate)
        assert current_key not in limits._tallies


@pytest.mark.django_db
def test_a_batch_that_fails_is_sent_with_the_next(store, monkeypatch):
    rate = limits.Rate(100, 60)
    with time_machine.travel(1_800_000_000 - 1_800_000_000 % 60 + 5, tick=False):
        for _ in range(limits.TALLY_BATCH - 1):
            limits.tally("f", rate)

        def fails(*args):
            raise ConnectionError("down")

        monkeypatch.setattr(type(store), "add_many", fails)
        with pytest.raises(ConnectionError):
            limits.tally("f", rate)
        monkeypatch.undo()
        assert limits.peek("f", rate).count == limits.TALLY_BATCH
        limits.send_tallies()
        current_key, _previous_key, _elapsed, _length = limits._windows("f", rate)
        assert store.get(current_key) == limits.TALLY_BATCH
