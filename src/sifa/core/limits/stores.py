"""Where the counters of ``sifa.core.limits`` live: the database table ``core_limitcounter``, or
Redis when ``SIFA_LIMITS_URL`` names one. Never this process's memory: every web process, worker
and restart sees the same counts.

Both stores offer the same operations, each atomic on its own:

* ``incr(key, ttl_ms, cap)`` adds one unless the live value has reached ``cap`` and returns the
  new value, or ``None`` when it was at the cap (nothing counted). A key that does not exist or
  has expired starts again at 1 and lives ``ttl_ms`` from now.
* ``add_many(key, ttl_ms, n)`` adds ``n`` without a cap (a batch of requests ``limits.tally``
  already allowed), restarting an expired value at ``n``; the new value.
* ``get(key)`` the live value, 0 when absent or expired.
* ``put(key, value, ttl_ms)`` sets a value (the login back-off's "not before" moment).
* ``delete(*keys)``; ``clear()`` removes every counter (tests, and an operator starting afresh).

Beside them, each store may offer faster forms that ``sifa.core.limits`` uses when present:
``hit_window`` (a sliding-window hit in one statement or script), ``get_window`` (both windows'
counts in one read), and the database store ``hit_window_then_read`` and
``peek_window_then_read`` (a hit, or a read-only look, and a read in one statement).

The database store is one ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`` statement
(SQLite ≥ 3.35 and PostgreSQL alike), so two processes counting the same key at once never lose
an increment and never both pass a cap. It runs on the request's connection: a count made inside
a transaction that rolls back is rolled back with it.

The database store reads and counts with fixed SQL, not through the ORM: a throttle runs on every
public request (the progress query, licence verification), and compiling an ORM query there cost
more than the statement itself (docs/performance.md, "2026-12-05 evening"). On SQLite a count made
outside a transaction commits with ``synchronous=NORMAL`` (WAL: no fsync at that commit; the next
durable commit of the connection, or a checkpoint, syncs it) instead of the connection's ``FULL``:
a power cut may forget the last moments' counts, never corrupt the file. On PostgreSQL a
sliding-window hit made outside a transaction commits with ``synchronous_commit = off`` for that
transaction only (the same trade: no wait for the WAL flush; a crash may forget the last fraction
of a second's counts, never leave the table inconsistent). Counts made inside a transaction commit
with it, durably.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any, Protocol

from django.db import DEFAULT_DB_ALIAS, connection, connections

from sifa.core.db import first_read, fixed_cursor
from sifa.core.models import LimitCounter

PURGE_EVERY = 1000
"""Expired rows are deleted by one increment in this many (per process): a cheap index range."""

_increments = itertools.count(1)


def now_ms() -> int:
    return int(time.time() * 1000)


class CounterStore(Protocol):
    name: str

    def incr(self, key: str, ttl_ms: int, cap: int | None = None) -> int | None: ...

    def get(self, key: str) -> int: ...

    def put(self, key: str, value: int, ttl_ms: int) -> None: ...

    def delete(self, *keys: str) -> None: ...

    def clear(self) -> None: ...


# One statement: insert 1, or add 1 to a live value below the cap, or restart an expired one at 1.
# No row comes back when the live value is at the cap (the WHERE of DO UPDATE refused it).
_UPSERT = """
INSERT INTO core_limitcounter ("key", value, expires_ms) VALUES (%s, 1, %s)
ON CONFLICT ("key") DO UPDATE SET
  value = CASE WHEN core_limitcounter.expires_ms <= %s THEN 1 ELSE core_limitcounter.value + 1 END,
  expires_ms = CASE WHEN core_limitcounter.expires_ms <= %s
                    THEN excluded.expires_ms ELSE core_limitcounter.expires_ms END
WHERE core_limitcounter.expires_ms <= %s OR core_limitcounter.value < %s
RETURNING value
"""
# Adds ``n`` (a batch of requests already allowed: ``sifa.core.limits.tally``) without a cap, or
# restarts an expired value at ``n``; a new key lives ``ttl`` from now. ``SELECT … WHERE`` (not
# ``VALUES``) so that PostgreSQL's form can set ``synchronous_commit`` in the same statement.
_ADD = """
INSERT INTO core_limitcounter ("key", value, expires_ms)
SELECT %s, CAST(%s AS BIGINT), CAST(%s AS BIGINT) WHERE 1 = 1
ON CONFLICT ("key") DO UPDATE SET
  value = CASE WHEN core_limitcounter.expires_ms <= %s THEN excluded.value
               ELSE core_limitcounter.value + excluded.value END,
  expires_ms = CASE WHEN core_limitcounter.expires_ms <= %s
                    THEN excluded.expires_ms ELSE core_limitcounter.expires_ms END
RETURNING value
"""
_ADD_ASYNC = _ADD.replace("WHERE 1 = 1", "WHERE set_config('synchronous_commit', 'off', true) = 'off'", 1)
_NORMAL = 1
"""SQLite's ``synchronous=NORMAL``: in WAL mode a commit writes the log without an fsync."""
_SYNCHRONOUS = {level: f"PRAGMA synchronous={level}" for level in range(4)}

_GET = 'SELECT value FROM core_limitcounter WHERE "key" = %s AND expires_ms > %s'

# A sliding-window hit in one statement (``sifa.core.limits.hit``): what the previous window still
# weighs (``ceil(previous × still_ms / length_ms)``, 0 without a live previous window) is read by a
# subquery, and the current window's count is added to only while count + weight < limit. A new or
# expired key is inserted or restarted at 1 only when the weight leaves room. No row comes back
# when the request is refused; else the new count plus the weight.
_CARRIED = (
    "COALESCE((SELECT (p.value * CAST(%s AS BIGINT) + CAST(%s AS BIGINT) - 1) / CAST(%s AS BIGINT) "
    'FROM core_limitcounter p WHERE p."key" = %s AND p.expires_ms > %s), 0)'
)
_HIT = f"""
INSERT INTO core_limitcounter ("key", value, expires_ms)
SELECT %s, 1, CAST(%s AS BIGINT) WHERE CAST(%s AS BIGINT) > {_CARRIED}
ON CONFLICT ("key") DO UPDATE SET
  value = CASE WHEN core_limitcounter.expires_ms <= %s THEN 1 ELSE core_limitcounter.value + 1 END,
  expires_ms = CASE WHEN core_limitcounter.expires_ms <= %s
                    THEN excluded.expires_ms ELSE core_limitcounter.expires_ms END
WHERE CASE WHEN core_limitcounter.expires_ms <= %s THEN 0 ELSE core_limitcounter.value END
      + {_CARRIED} < %s
RETURNING value + {_CARRIED}
"""
# The same on PostgreSQL when the count is its own transaction (autocommit): the statement also
# sets ``synchronous_commit`` off for that transaction only (``set_config(…, true)`` is
# ``SET LOCAL``), so its commit does not wait for the WAL flush. Other processes see the count at
# once; a crash may forget the last fraction of a second's counts (docs/security.md, "Shared limits").
_HIT_ASYNC = _HIT.replace(
    "WHERE CAST(%s AS BIGINT) >",
    "WHERE set_config('synchronous_commit', 'off', true) = 'off' AND CAST(%s AS BIGINT) >",
    1,
)

# The hit and a read in one PostgreSQL statement (``DatabaseStore.hit_window_then_read``): the hit
# (``_HIT`` or ``_HIT_ASYNC``) is a data-modifying ``WITH``, which PostgreSQL runs exactly once,
# whatever the rest reads; the read is joined to its one returned row, so it is made only when the
# hit counted (a refusal returns no row at all). Each row: the count, 1 (0 rows read: NULL), the
# read's columns.
_THEN_READ = (
    "WITH sifa_hit (sifa_counted) AS ({hit}) "
    "SELECT h.sifa_counted, r.* FROM sifa_hit h "
    "LEFT JOIN LATERAL (SELECT 1 AS sifa_read, q.* FROM ({read}) q) r ON TRUE{order}"
)
_then_read: dict[tuple[bool, str, tuple[int, ...]], str] = {}
"""Each read's ``_THEN_READ`` statement, built once per process (a few fixed reads use it)."""

# Both windows' live counts in one read (``sifa.core.limits.peek``), 0 for an absent or expired one.
_COUNTS = (
    'SELECT COALESCE((SELECT c.value FROM core_limitcounter c WHERE c."key" = %s AND c.expires_ms > %s), 0) '
    "AS sifa_current, "
    'COALESCE((SELECT p.value FROM core_limitcounter p WHERE p."key" = %s AND p.expires_ms > %s), 0) '
    "AS sifa_previous"
)

# The look and a read in one read-only statement (``DatabaseStore.peek_window_then_read``): both
# windows' counts, and the read joined to them only while count + the previous window's weight
# (``_CARRIED``'s rounding) stays below the limit. Each row: the two counts, 1 (no row read: NULL),
# the read's columns. On PostgreSQL the read is ``LATERAL`` with the condition inside, a one-time
# filter: a refused look reads nothing. Both sides are fenced (``OFFSET 0``): the counts' subquery
# is not pulled up, so each window's count is read once (pulled up, each scalar subquery ran twice:
# for the returned count and again in the filter); the read's is not pulled up either, so the
# condition stays a one-time filter of the read and is not made the join's (which would read the
# case even when refused) — both checked with ``EXPLAIN ANALYZE``: two index probes of the
# counters, and a refused look's read "never executed". SQLite has no ``LATERAL``: the condition
# is the join's. The parameters in both: the counts' four, the read's, then the condition's four.
_ROOM = (
    "k.sifa_current + (k.sifa_previous * CAST(%s AS BIGINT) + CAST(%s AS BIGINT) - 1) / CAST(%s AS BIGINT) "
    "< CAST(%s AS BIGINT)"
)
_PEEK_THEN_READ = {
    "postgresql": (
        f"SELECT k.sifa_current, k.sifa_previous, r.* FROM ({_COUNTS} OFFSET 0) k "  # noqa: S608
        f"LEFT JOIN LATERAL (SELECT 1 AS sifa_read, q.* FROM ({{read}}) q WHERE {_ROOM} OFFSET 0) r ON TRUE"
    ),
    "sqlite": (
        f"SELECT k.sifa_current, k.sifa_previous, r.* FROM ({_COUNTS}) k "  # noqa: S608
        f"LEFT JOIN (SELECT 1 AS sifa_read, q.* FROM ({{read}}) q) r ON {_ROOM}"
    ),
}
# On SQLite, for a read of a known width (``peek_window_then_read``'s ``width``): the counts in a
# row of their own (padded with NULLs to the read's width: SQLite's columns have no type), then
# the read's rows, which are dropped in Python when the counts leave no room (``_ROOM``'s
# arithmetic) — instead of the two counts and the join's flag on every row of the read and the
# read's rows materialised for the join. SQLite ran the read under the join's condition when
# refused too (the condition is tested on the materialised rows): a refusal now also fetches them
# (docs/performance.md, "session 8"). The counts' row is first: SQLite returns a ``UNION ALL``'s
# arms in order. The parameters: the counts' four, then the read's.
_PEEK_THEN_READ_APART = (
    f"SELECT k.sifa_current, k.sifa_previous{{padding}} FROM ({_COUNTS}) k "  # noqa: S608
    "UNION ALL SELECT * FROM ({read})"
)
_peek_then_read: dict[tuple[str, str], str] = {}
"""Each read's ``_PEEK_THEN_READ`` statement, built once per process and vendor (and width)."""


def _hit_params(
    key: str, previous_key: str, ttl_ms: int, limit: int, elapsed_ms: int, length_ms: int
) -> list:
    """The parameters of ``_HIT`` (and ``_HIT_ASYNC``)."""
    now = now_ms()
    carried = [length_ms - elapsed_ms, length_ms, length_ms, previous_key, now]
    return [key, now + ttl_ms, limit, *carried, now, now, now, *carried, limit, *carried]


def _sqlite_synchronous(db, cursor) -> int:
    """The connection's ``synchronous`` level when a count would be its own SQLite commit, else 0."""
    if db.vendor != "sqlite" or not db.get_autocommit():
        return 0
    level = getattr(db, "sifa_synchronous", None)  # set by init_command: read it once
    if level is None:
        cursor.execute("PRAGMA synchronous")
        level = db.sifa_synchronous = int(cursor.fetchone()[0])
    return level


def _counted(db, cursor, sql: str, params: Sequence[Any]) -> tuple | None:
    """Run the counting statement ``sql`` on ``cursor`` (of ``db``, the request's connection) and
    return its row. On SQLite, when it is its own commit, with ``synchronous=NORMAL`` for that
    commit (the module's docstring says why), set and restored on the SQLite connection itself:
    a setting of the connection, not a statement of the request (no parameters, no I/O), so it
    does not go through Django's cursor wrapper, its logging and its error translation."""
    level = _sqlite_synchronous(db, cursor)
    if level <= _NORMAL:
        cursor.execute(sql, params)
        return cursor.fetchone()
    raw = db.connection
    raw.execute(_SYNCHRONOUS[_NORMAL])
    try:
        cursor.execute(sql, params)
        return cursor.fetchone()
    finally:
        raw.execute(_SYNCHRONOUS.get(level) or f"PRAGMA synchronous={int(level)}")


class DatabaseStore:
    """Counters in ``core_limitcounter`` (docs/security.md, "Shared limits")."""

    name = "database"

    def incr(self, key: str, ttl_ms: int, cap: int | None = None) -> int | None:
        if cap is not None and cap <= 0:
            return None
        now = now_ms()
        cap_value = cap if cap is not None else 2**62
        return self._count(_UPSERT, [key, now + ttl_ms, now, now, now, cap_value])

    def hit_window(
        self, key: str, previous_key: str, ttl_ms: int, limit: int, elapsed_ms: int, length_ms: int
    ) -> int | None:
        """Count one under ``key`` if ``key``'s count plus the weight of ``previous_key`` (the
        previous window, ``elapsed_ms`` into a window of ``length_ms``) stays below ``limit``: one
        statement, the same answer as ``get(previous_key)`` then ``incr(key, cap=limit - weight)``.
        The estimate with this request (count + weight), or ``None`` when refused (nothing counted)."""
        params = _hit_params(key, previous_key, ttl_ms, limit, elapsed_ms, length_ms)
        asynchronous = connection.vendor == "postgresql" and connection.get_autocommit()
        return self._count(_HIT_ASYNC if asynchronous else _HIT, params)

    def add_many(self, key: str, ttl_ms: int, n: int) -> int:
        """Add ``n`` to ``key`` without a cap (``incr`` ``n`` times in one statement); the new
        value. On PostgreSQL, as its own transaction, committed without waiting for the WAL flush
        (the trade of :meth:`hit_window`)."""
        now = now_ms()
        asynchronous = connection.vendor == "postgresql" and connection.get_autocommit()
        row = self._count(_ADD_ASYNC if asynchronous else _ADD, [key, n, now + ttl_ms, now, now])
        return row or 0

    def hit_window_then_read(
        self,
        key: str,
        previous_key: str,
        ttl_ms: int,
        limit: int,
        elapsed_ms: int,
        length_ms: int,
        sql: str,
        params: Sequence[Any],
        order: tuple[int, ...] = (),
    ) -> tuple[int | None, list[tuple]] | None:
        """:meth:`hit_window`, and when it counted, the rows of the read ``sql`` (in ``order``,
        1-based column positions of ``sql``). On PostgreSQL one statement (the count in a
        data-modifying ``WITH``); on SQLite, which cannot write in a ``WITH`` and where a statement
        is a function call, not a round trip, the count then the read on one cursor. Refused:
        ``(None, [])``, nothing read."""
        db = connections[DEFAULT_DB_ALIAS]
        hit_params = _hit_params(key, previous_key, ttl_ms, limit, elapsed_ms, length_ms)
        if db.vendor != "postgresql":
            read = f"{sql} ORDER BY {', '.join(str(position) for position in order)}" if order else sql
            with fixed_cursor(db) as cursor:
                counted = _counted(db, cursor, _HIT, hit_params)
                rows = None
                if counted is not None:
                    cursor.execute(read, params)
                    rows = cursor.fetchall()
            if next(_increments) % PURGE_EVERY == 0:
                self.purge()
            return (None, []) if counted is None else (int(counted[0]), rows)
        asynchronous = db.get_autocommit()
        statement = _then_read.get((asynchronous, sql, order))
        if statement is None:
            statement = _then_read[asynchronous, sql, order] = _THEN_READ.format(
                hit=(_HIT_ASYNC if asynchronous else _HIT).strip(),
                read=sql,
                order=f" ORDER BY {', '.join(str(position + 2) for position in order)}" if order else "",
            )
        with fixed_cursor(db) as cursor:
            cursor.execute(statement, [*hit_params, *params])
            rows = cursor.fetchall()
        if next(_increments) % PURGE_EVERY == 0:
            self.purge()
        if not rows:
            return None, []
        return int(rows[0][0]), [row[2:] for row in rows if row[1] is not None]

    def peek_window_then_read(
        self,
        key: str,
        previous_key: str,
        limit: int,
        elapsed_ms: int,
        length_ms: int,
        sql: str,
        params: Sequence[Any],
        width: int | None = None,
    ) -> tuple[int, int, list[tuple]]:
        """``key``'s and ``previous_key``'s live counts (the current and the previous window,
        ``elapsed_ms`` into a window of ``length_ms``) and, only while the count plus the previous
        window's weight stays below ``limit``, the rows of the read ``sql``: one read-only
        statement (no write, no commit), which is also the request's connection health check when
        it is its first statement (``first_read``: no ``SELECT 1`` before it on PostgreSQL).
        Refused: the counts and ``[]``. ``width``: the read's number of columns (at least 2),
        when known: on SQLite the counts then come in a row of their own
        (``_PEEK_THEN_READ_APART``)."""
        db = connections[DEFAULT_DB_ALIAS]
        vendor = "postgresql" if db.vendor == "postgresql" else "sqlite"
        now = now_ms()
        room = [length_ms - elapsed_ms, length_ms, length_ms, limit]
        if vendor == "sqlite" and width is not None and width >= 2:
            statement = _peek_then_read.get((f"sqlite-{width}", sql))
            if statement is None:
                statement = _peek_then_read[f"sqlite-{width}", sql] = _PEEK_THEN_READ_APART.format(
                    padding=", NULL" * (width - 2), read=sql
                )
            rows = first_read(db, statement, [key, now, previous_key, now, *params])
            current, previous = int(rows[0][0]), int(rows[0][1])
            if current + (previous * room[0] + length_ms - 1) // length_ms >= limit:  # not _ROOM
                return current, previous, []
            return current, previous, rows[1:]
        statement = _peek_then_read.get((vendor, sql))
        if statement is None:
            statement = _peek_then_read[vendor, sql] = _PEEK_THEN_READ[vendor].format(read=sql)
        rows = first_read(db, statement, [key, now, previous_key, now, *params, *room])
        first = rows[0]
        return int(first[0]), int(first[1]), [row[3:] for row in rows if row[2] is not None]

    def get_window(self, key: str, previous_key: str) -> tuple[int, int]:
        """``get(key)`` and ``get(previous_key)`` in one statement."""
        now = now_ms()
        with fixed_cursor(connection) as cursor:
            cursor.execute(_COUNTS, [key, now, previous_key, now])
            current, previous = cursor.fetchone()
        return int(current), int(previous)

    def _count(self, sql: str, params: list) -> int | None:
        db = connections[DEFAULT_DB_ALIAS]
        with fixed_cursor(db) as cursor:
            row = _counted(db, cursor, sql, params)
        if next(_increments) % PURGE_EVERY == 0:
            self.purge()
        return int(row[0]) if row else None

    def get(self, key: str) -> int:
        with fixed_cursor(connection) as cursor:
            cursor.execute(_GET, [key, now_ms()])
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def put(self, key: str, value: int, ttl_ms: int) -> None:
        LimitCounter.objects.update_or_create(
            key=key, defaults={"value": value, "expires_ms": now_ms() + ttl_ms}
        )

    def delete(self, *keys: str) -> None:
        LimitCounter.objects.filter(key__in=keys).delete()

    def clear(self) -> None:
        LimitCounter.objects.all().delete()

    def purge(self) -> int:
        deleted, _ = LimitCounter.objects.filter(expires_ms__lte=now_ms()).delete()
        return deleted


# Adds one unless at the cap; the expiry is set when the key is new. -1: at the cap.
_INCR_SCRIPT = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value >= tonumber(ARGV[2]) then return -1 end
value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value
"""

# A sliding-window hit (``DatabaseStore.hit_window``'s answer) in one round trip: the previous
# window's weight, ceil(previous × still_ms / length_ms), then the capped increment. -1: refused.
_HIT_SCRIPT = """
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
local carried = 0
if previous > 0 then
  carried = math.floor((previous * tonumber(ARGV[3]) + tonumber(ARGV[4]) - 1) / tonumber(ARGV[4]))
end
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value + carried >= tonumber(ARGV[2]) then return -1 end
value = redis.call('INCR', KEYS[1])
if value == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value + carried
"""


# Adds ARGV[2] without a cap; the expiry is set when the key is new. The new value.
_ADD_SCRIPT = """
local value = redis.call('INCRBY', KEYS[1], ARGV[2])
if value == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value
"""


class RedisStore:
    """Counters in Redis (``SIFA_LIMITS_URL=redis://…``), under the prefix ``sifa:limit:``."""

    name = "redis"
    prefix = "sifa:limit:"

    def __init__(self, url: str) -> None:
        import redis  # only needed when Redis is configured

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._incr = self.client.register_script(_INCR_SCRIPT)
        self._hit = self.client.register_script(_HIT_SCRIPT)
        self._add = self.client.register_script(_ADD_SCRIPT)

    def incr(self, key: str, ttl_ms: int, cap: int | None = None) -> int | None:
        if cap is not None and cap <= 0:
            return None
        value = int(self._incr(keys=[self.prefix + key], args=[ttl_ms, cap if cap is not None else 2**62]))
        return None if value < 0 else value

    def add_many(self, key: str, ttl_ms: int, n: int) -> int:
        """``DatabaseStore.add_many``: ``n`` added in one script."""
        return int(self._add(keys=[self.prefix + key], args=[ttl_ms, n]))

    def hit_window(
        self, key: str, previous_key: str, ttl_ms: int, limit: int, elapsed_ms: int, length_ms: int
    ) -> int | None:
        """``DatabaseStore.hit_window`` in one script (one round trip instead of a read and a
        capped increment)."""
        keys = [self.prefix + key, self.prefix + previous_key]
        value = int(self._hit(keys=keys, args=[ttl_ms, limit, length_ms - elapsed_ms, length_ms]))
        return None if value < 0 else value

    def get(self, key: str) -> int:
        return int(self.client.get(self.prefix + key) or 0)

    def get_window(self, key: str, previous_key: str) -> tuple[int, int]:
        """``get(key)`` and ``get(previous_key)`` in one round trip."""
        current, previous = self.client.mget(self.prefix + key, self.prefix + previous_key)
        return int(current or 0), int(previous or 0)

    def put(self, key: str, value: int, ttl_ms: int) -> None:
        self.client.set(self.prefix + key, value, px=max(1, ttl_ms))

    def delete(self, *keys: str) -> None:
        if keys:
            self.client.delete(*(self.prefix + key for key in keys))

    def clear(self) -> None:
        for found in self.client.scan_iter(match=self.prefix + "*", count=500):
            self.client.delete(found)


def build(url: str) -> CounterStore:
    """The store ``SIFA_LIMITS_URL`` names: empty for the database, ``redis://``/``rediss://``/``unix://``."""
    if not url:
        return DatabaseStore()
    if url.split(":", 1)[0] in ("redis", "rediss", "unix"):
        return RedisStore(url)
    raise ValueError(f"SIFA_LIMITS_URL: 不支持的计数存储地址 {url.split(':', 1)[0]}:（应为空或 redis://…）")
