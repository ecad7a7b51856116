"""Shared limits (issue 14 point 3): one interface, counted in the database or Redis, the same
answers from both stores; a rate holds over a sliding window."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import time_machine

from sifa.core import limits
from sifa.core.limits import Rate, stores
from sifa.core.models import LimitCounter
from sifa.testing.concurrency import run_together

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A throw-away redis-server of our own on a free port, or a skip when there is none."""
    binary = shutil.which("redis-server")
    try:
        import redis  # noqa: F401
    except ImportError:
        binary = None
    if binary is None:
        pytest.skip("redis-server or the redis package is not installed (CI installs both)")
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(params=["database", "redis"])
def store(request, settings):
    settings.LIMITS_URL = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    chosen = limits.store()
    assert chosen.name == request.param
    chosen.clear()
    yield chosen
    chosen.clear()


def test_rates_are_read_as_drf_writes_them():
    assert Rate.parse("30/min") == Rate(30, 60)
    assert Rate.parse("30/m") == Rate(30, 60)
    assert Rate.parse("10/hour") == Rate(10, 3600)
    assert Rate.parse("5/15min") == Rate(5, 900)
    assert Rate.parse("100/day") == Rate(100, 86400)
    with pytest.raises(ValueError, match="无法识别"):
        Rate.parse("fast")


def test_an_increment_stops_at_the_cap_and_an_expired_key_starts_again(store):
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        assert [store.incr("k", 10_000, cap=3) for _ in range(5)] == [1, 2, 3, None, None]
        assert store.get("k") == 3
        assert store.incr("k", 10_000) == 4  # no cap: always counted
        if store.name == "database":  # Redis expires keys by its own clock, not the test's
            clock.shift(11)
            assert store.get("k") == 0
            assert store.incr("k", 10_000, cap=3) == 1
    assert store.incr("other", 10_000, cap=0) is None


def test_put_get_delete_and_clear(store):
    store.put("until", 123, 60_000)
    store.put("until", 456, 60_000)
    assert store.get("until") == 456
    store.delete("until")
    assert store.get("until") == 0
    store.incr("a", 60_000)
    store.clear()
    assert store.get("a") == 0


def test_a_rate_allows_n_then_says_when_to_come_back(store):
    rate = Rate(3, 60)
    with time_machine.travel(1_800_000_000 - 1_800_000_000 % 60, tick=False):  # the start of a window
        decisions = [limits.hit("throttle_x_1.2.3.4", rate) for _ in range(5)]
        assert [d.allowed for d in decisions] == [True, True, True, False, False]
        assert decisions[3].retry_after >= 60
        assert limits.hit("throttle_x_5.6.7.8", rate).allowed  # another client has its own count
        assert not limits.peek("throttle_x_1.2.3.4", rate).allowed
    assert store.get(f"throttle_x_1.2.3.4:{1_800_000_000 // 60}") == 3  # refusals are not counted


def test_the_window_slides_a_burst_at_a_boundary_gets_no_second_helping(store):
    rate = Rate(10, 60)
    start = 1_800_000_000 - 1_800_000_000 % 60
    with time_machine.travel(start + 55, tick=False) as clock:
        assert all(limits.hit("burst", rate).allowed for _ in range(10))
        clock.shift(6)  # a second into the next fixed window: the last minute still holds 10
        assert not limits.hit("burst", rate).allowed
        clock.shift(30)  # half the previous window has slid out: about half the rate again
        allowed = sum(limits.hit("burst", rate).allowed for _ in range(10))
        assert 4 <= allowed <= 5


def test_refusals_are_counted_apart_with_peek_and_add(store):
    rate = Rate(2, 60)
    with time_machine.travel(1_800_000_000 - 1_800_000_000 % 60, tick=False):
        assert limits.peek("refused", rate).allowed
        limits.add("refused", rate)
        assert limits.peek("refused", rate).allowed  # looking counts nothing
        limits.add("refused", rate)
        assert not limits.peek("refused", rate).allowed


def test_first_is_true_once_per_period(store):
    assert limits.first("log-once", 60)
    assert not limits.first("log-once", 60)
    assert limits.first("log-once-other", 60)


def test_the_database_store_purges_expired_rows(settings):
    settings.LIMITS_URL = ""
    database = limits.store()
    with time_machine.travel(1_800_000_000, tick=False) as clock:
        database.incr("old", 1_000)
        database.incr("young", 100_000)
        clock.shift(5)
        assert database.purge() == 1
    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["young"]


def test_an_unknown_store_address_is_refused_in_chinese():
    with pytest.raises(ValueError, match="不支持的计数存储地址"):
        stores.build("memcached://localhost")


@pytest.mark.django_db(transaction=True)
def test_counts_made_at_once_never_pass_the_cap_nor_lose_one(settings):
    """Twelve connections counting the same key at the same moment (the database store)."""
    settings.LIMITS_URL = ""
    capped = run_together(lambda _: limits.store().incr("race", 60_000, cap=5), 12)
    assert sorted(value for value in capped if value is not None) == [1, 2, 3, 4, 5]
    assert capped.count(None) == 7
    free = run_together(lambda _: limits.store().incr("race-free", 60_000), 12)
    assert sorted(free) == list(range(1, 13))


@pytest.mark.django_db(transaction=True)
def test_a_count_of_its_own_commits_without_fsync_on_sqlite_and_restores_the_level(settings):
    """On SQLite a count outside a transaction commits with ``synchronous=NORMAL`` (no fsync of the
    WAL for a counter), then the connection is back at its own level; inside a transaction the
    count commits with it, at the connection's level. PostgreSQL is not touched."""
    from django.db import connection, transaction

    settings.LIMITS_URL = ""
    seen: list[str] = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    # The level is set on the SQLite connection itself, not through Django's cursor: SQLite's
    # own trace of the statements it runs sees it.
    connection.ensure_connection()
    traced = connection.vendor == "sqlite"
    if traced:
        connection.connection.set_trace_callback(seen.append)
    try:
        with connection.execute_wrapper(note):
            assert limits.store().incr("own-commit", 60_000) == 1
            with transaction.atomic():
                assert limits.store().incr("own-commit", 60_000) == 2
    finally:
        if traced:
            connection.connection.set_trace_callback(None)
    assert limits.get("own-commit") == 2
    lowered = [sql for sql in seen if sql.startswith("PRAGMA synchronous=")]
    if connection.vendor != "sqlite":
        assert lowered == []
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        level = cursor.fetchone()[0]
    assert level == 2  # FULL, as the settings' init_command says
    assert lowered == ["PRAGMA synchronous=1", "PRAGMA synchronous=2"]  # the first count only


@pytest.mark.django_db
@pytest.mark.parametrize("previous", [0, 3, 10, 40])
@pytest.mark.parametrize("elapsed_ms", [0, 1, 29_999, 30_000, 59_999])
def test_one_statement_hit_counts_as_get_then_capped_incr(store, previous, elapsed_ms):
    """``hit_window`` (one statement on the database, one script on Redis) lets through exactly
    what ``get`` of the previous window then ``incr`` with the cap left by its weight let through,
    for new, live and expired keys, and counts nothing when it refuses."""
    length, limit = 60_000, 10
    carried = -(-previous * (length - elapsed_ms) // length)
    for key_state in ("new", "live", "expired"):
        store.clear()
        if previous:
            store.put("prev", previous, 120_000)
        if key_state == "live":
            store.put("cur", 2, 120_000)
        elif key_state == "expired":
            store.put("cur", 9, 1)
            time.sleep(0.005)
        start = store.get("cur")
        allowed = []
        for _ in range(limit + 2):
            counted = store.hit_window("cur", "prev", 120_000, limit, elapsed_ms, length)
            allowed.append(counted)
        expected_room = max(0, limit - carried - start)
        assert [c is not None for c in allowed] == [True] * expected_room + [False] * (
            limit + 2 - expected_room
        )
        assert [c for c in allowed if c is not None] == [
            start + i + 1 + carried for i in range(expected_room)
        ]
        assert store.get("cur") == start + expected_room


@pytest.mark.django_db(transaction=True)
def test_a_hit_of_its_own_commits_asynchronously_on_postgresql_only(settings):
    """On PostgreSQL a sliding-window hit outside a transaction turns ``synchronous_commit`` off for
    its own transaction only (``set_config(…, true)``): the connection's setting is unchanged
    after it, and a hit inside a transaction leaves that transaction's durability alone."""
    from django.db import connection, transaction

    settings.LIMITS_URL = ""
    seen: list[str] = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    rate = limits.Rate.parse("5/min")
    if connection.vendor == "postgresql":
        # The connection as production's: the test database commits asynchronously (the root
        # conftest.py), which would hide a hit that turned the setting off for the session.
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = on")
    try:
        with connection.execute_wrapper(note):
            assert limits.hit("async-commit", rate).allowed
            with transaction.atomic():
                assert limits.hit("async-commit", rate).allowed
        assert limits.peek("async-commit", rate).count == 2
        asynchronous = ["set_config('synchronous_commit'" in sql for sql in seen if "INSERT" in sql]
        if connection.vendor != "postgresql":
            assert asynchronous == [False, False]
            return
        assert asynchronous == [True, False]
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


@pytest.mark.django_db
def test_hit_then_read_counts_as_hit_and_reads_only_when_allowed(settings):
    """``hit_then_read`` (one statement on PostgreSQL, the count then the read elsewhere) lets
    through exactly what ``hit`` lets through, counts the same, reads in the given order, and reads
    nothing for a refused request."""
    from django.db import connection

    settings.LIMITS_URL = ""
    limits.clear()
    rate = limits.Rate.parse("3/min")
    read = "SELECT %s, 2 UNION ALL SELECT %s, 1"
    seen: list[str] = []

    def note(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    answers = []
    with connection.execute_wrapper(note):
        for _ in range(5):
            answers.append(limits.hit_then_read("read-key", rate, read, ["b", "a"], order=(2,)))
    assert [decision.allowed for decision, _rows in answers] == [True, True, True, False, False]
    assert [decision.count for decision, _rows in answers[:3]] == [1, 2, 3]
    assert [[tuple(row) for row in rows] for _decision, rows in answers[:3]] == [[("a", 1), ("b", 2)]] * 3
    assert [rows for _decision, rows in answers[3:]] == [[], []]
    assert answers[3][0].retry_after >= 1
    assert limits.peek("read-key", rate).count == 3
    assert ("WITH sifa_hit" in seen[0]) is (connection.vendor == "postgresql")
    # An empty read of an allowed request: no rows, the count made.
    limits.clear()
    decision, rows = limits.hit_then_read("read-key", rate, "SELECT %s WHERE 1 = 0", ["x"])
    assert decision.allowed and decision.count == 1 and rows == []
    limits.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("previous", [0, 3, 10, 40])
@pytest.mark.parametrize("elapsed_ms", [0, 1, 29_999, 59_999])
@pytest.mark.parametrize("width", [None, 2])
def test_peek_then_read_looks_as_peek_reads_only_when_allowed_and_writes_nothing(
    store, previous, elapsed_ms, width
):
    """``peek_then_read`` (one read-only statement with the database store on SQLite and
    PostgreSQL, the look then the read with Redis) decides as ``peek`` does, for live, expired and
    absent windows and every weight of the previous window, reads the rows only when allowed, and
    writes nothing — with the read's width given too (on SQLite the counts then come in a row of
    their own)."""
    from django.db import connection

    rate = limits.Rate(10, 60)
    read = "SELECT %s, 2 UNION ALL SELECT %s, 1"
    moment = 1_800_000_000 - 1_800_000_000 % 60 + elapsed_ms / 1000
    for current in (0, 5, 9, 10, 12, -1):  # -1: an expired current window
        store.clear()
        with time_machine.travel(moment, tick=False) as clock:
            current_key, previous_key, _elapsed, _length = limits._windows("look", rate)
            if current < 0:
                clock.move_to(moment - 10)
                store.put(current_key, 9, 1)  # expired 10 s before the look
                time.sleep(0.005)
                clock.move_to(moment)
            if previous:
                store.put(previous_key, previous, 600_000)
            if current > 0:
                store.put(current_key, current, 600_000)
            seen: list[str] = []

            def note(execute, sql, params, many, context, seen=seen):
                seen.append(sql)
                return execute(sql, params, many, context)

            expected = limits.peek("look", rate)
            with connection.execute_wrapper(note):
                decision, rows = limits.peek_then_read("look", rate, read, ["b", "a"], width=width)
            assert decision == expected, (current, previous, elapsed_ms)
            if decision.allowed:
                assert sorted(tuple(row) for row in rows) == [("a", 1), ("b", 2)]
            else:
                assert rows == [] and decision.retry_after >= 1
            assert store.get(current_key) == max(current, 0)
        assert all(sql.lstrip().upper().startswith("SELECT") for sql in seen)
        if store.name == "database":
            assert len(seen) == 1
