"""Shared limits: the one interface for rate limits, throttles and the login back-off.

Every count is kept in a :mod:`store <sifa.core.limits.stores>` that all web processes share and
that survives a restart — the database table ``core_limitcounter`` by default, Redis when
``SIFA_LIMITS_URL`` names one — never in one process's memory, where a limit of N per process would
let N × processes through (docs/security.md, "Shared limits").

* :func:`hit` counts one request against a :class:`Rate` and says whether it is allowed; a refused
  request is not counted, so a client that waits is let in again at the promised rate.
  :func:`hit_then_read` also reads what the request asked for, only when it is allowed, in the
  count's own statement where the store allows it (PostgreSQL).
* :func:`peek` looks without counting; :func:`add` counts without asking (refusals, failures).
  :func:`peek_then_read` looks and, only when a request would be allowed, reads what it asked
  for, in one read-only statement with the database store (a throttle that counts failures only:
  docs/adr/0012-count-only-failed-progress-queries.md).
* :func:`tally` (and :func:`tally_then_read`) is :func:`hit` whose count reaches the store in
  batches: the decision reads the store (read-only) plus this process's allowed requests not yet
  sent; exact in one process, each other process at most ``TALLY_BATCH - 1`` per window behind —
  the licence verification's limit only (docs/adr/0015-licence-verifications-counted-in-batches.md).
* :func:`first` is true for the first call of a key in a period (log something once).
* :func:`reset` forgets a key; :func:`clear` every counter (tests; an operator starting afresh).

A rate is enforced over a **sliding window**, estimated from two fixed windows: the count of the
current window plus the previous window's count weighted by how much of it still overlaps the last
``seconds`` (rounded up, so the estimate never lets more through than the rate). A client cannot
send the rate at the end of one window and again at the start of the next.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from sifa.core.db import fixed_cursor
from sifa.core.limits import stores
from sifa.core.limits.stores import CounterStore, now_ms

__all__ = [
    "Decision",
    "Rate",
    "add",
    "clear",
    "count",
    "first",
    "forget_tallies",
    "get",
    "hit",
    "hit_then_read",
    "peek",
    "peek_then_read",
    "put",
    "reset",
    "send_tallies",
    "store",
    "tally",
    "tally_then_read",
]

UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}
RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")


@dataclass(frozen=True)
class Rate:
    """``count`` requests per ``seconds``."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"30/min"``, ``"10/hour"``, ``"5/15min"``, ``"100/day"`` (DRF's spelling and a multiple)."""
        match = RATE_RE.match(text.lower())
        unit = match and (UNITS.get(match.group(3)) or UNITS.get(match.group(3)[0]))
        if not match or not unit:
            raise ValueError(f"无法识别的频率：{text!r}")
        return cls(int(match.group(1)), int(match.group(2) or 1) * unit)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    """The estimated requests in the last ``rate.seconds``, this one included when it was counted."""
    retry_after: float
    """Seconds until a request is likely allowed again; 0 when this one was."""


_stores: dict[str, CounterStore] = {}


def store() -> CounterStore:
    """The configured store, one per process and URL (``SIFA_LIMITS_URL``)."""
    url = getattr(settings, "LIMITS_URL", "") or ""
    if url not in _stores:
        _stores[url] = stores.build(url)
    return _stores[url]


def _windows(key: str, rate: Rate) -> tuple[str, str, int, int]:
    length = rate.seconds * 1000
    now = now_ms()
    index, elapsed = divmod(now, length)
    return f"{key}:{index}", f"{key}:{index - 1}", elapsed, length


def _carried(previous: int, elapsed: int, length: int) -> int:
    """What the previous window still weighs in the sliding window (rounded up)."""
    return math.ceil(previous * (length - elapsed) / length) if previous else 0


def _retry_after(current: int, previous: int, elapsed: int, length: int, limit: int) -> float:
    room = limit - 1
    if current <= room and previous:
        # Within this window, once enough of the previous one has slid out.
        needed = (1 - (room - current) / previous) * length
        wait_ms = needed - elapsed
    else:
        # In the next window, once enough of this one has slid out.
        wait_ms = (length - elapsed) + (max(0.0, 1 - room / current) * length if current else 0)
    return max(1.0, math.ceil(wait_ms / 1000) + 1)


def hit(key: str, rate: Rate) -> Decision:
    """Count one request under ``key`` if the rate allows it."""
    counters = store()
    current_key, previous_key, elapsed, length = _windows(key, rate)
    in_one = getattr(counters, "hit_window", None)
    if in_one is not None:
        # One statement (the database store) or one script (Redis): the previous window's
        # weight is read in it; a refusal reads both windows for its wait.
        counted = in_one(current_key, previous_key, 2 * length, rate.count, elapsed, length)
        if counted is not None:
            return Decision(True, counted, 0.0)
        previous = counters.get(previous_key)
    else:
        previous = counters.get(previous_key)
        carried = _carried(previous, elapsed, length)
        counted = counters.incr(current_key, 2 * length, cap=rate.count - carried)
        if counted is not None:
            return Decision(True, counted + carried, 0.0)
    return _refused(counters, current_key, previous, elapsed, length, rate)


def _refused(
    counters: CounterStore, current_key: str, previous: int, elapsed: int, length: int, rate: Rate
) -> Decision:
    carried = _carried(previous, elapsed, length)
    current = counters.get(current_key)
    return Decision(False, current + carried, _retry_after(current, previous, elapsed, length, rate.count))


def hit_then_read(
    key: str, rate: Rate, sql: str, params: Sequence[Any], order: tuple[int, ...] = ()
) -> tuple[Decision, list[tuple]]:
    """:func:`hit`, and only when the request is allowed, the rows of the read ``sql`` (one
    ``SELECT`` on the request's database connection, without ``ORDER BY``: ``order`` gives it as
    1-based column positions). A refused request reads nothing: its rows are ``[]``.

    Where the store allows it the count and the read are **one statement**: the database store on
    PostgreSQL counts in a data-modifying ``WITH`` whose read runs only when the count was made (one
    round trip instead of two; the same count, the same cap, the same asynchronous commit outside a
    transaction as :func:`hit`). On SQLite the database store counts, then reads, on one cursor;
    with Redis the count, then the read. The read must not depend on the count (on PostgreSQL it
    does not see it: one statement, one snapshot)."""
    counters = store()
    together = getattr(counters, "hit_window_then_read", None)
    if together is not None:
        current_key, previous_key, elapsed, length = _windows(key, rate)
        answer = together(
            current_key, previous_key, 2 * length, rate.count, elapsed, length, sql, params, order
        )
        if answer is not None:
            counted, rows = answer
            if counted is not None:
                return Decision(True, counted, 0.0), rows
            return _refused(counters, current_key, counters.get(previous_key), elapsed, length, rate), []
    decision = hit(key, rate)
    if not decision.allowed:
        return decision, []
    if order:
        sql = f"{sql} ORDER BY {', '.join(str(position) for position in order)}"
    with fixed_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return decision, cursor.fetchall()


def peek(key: str, rate: Rate) -> Decision:
    """Whether a request under ``key`` would be allowed now; counts nothing."""
    counters = store()
    current_key, previous_key, elapsed, length = _windows(key, rate)
    both = getattr(counters, "get_window", None)
    if both is not None:
        current, previous = both(current_key, previous_key)
    else:
        previous = counters.get(previous_key)
        current = counters.get(current_key)
    if _tallies:  # this process's allowed requests not yet in the store (tally)
        current += _unsent(current_key)
        previous += _unsent(previous_key)
    return _looked(current, previous, elapsed, length, rate)


def _looked(current: int, previous: int, elapsed: int, length: int, rate: Rate) -> Decision:
    """:func:`peek`'s answer from the two windows' counts."""
    estimate = current + _carried(previous, elapsed, length)
    if estimate < rate.count:
        return Decision(True, estimate, 0.0)
    return Decision(False, estimate, _retry_after(current, previous, elapsed, length, rate.count))


def peek_then_read(
    key: str, rate: Rate, sql: str, params: Sequence[Any], *, width: int | None = None
) -> tuple[Decision, list[tuple]]:
    """:func:`peek`, and only when a request would be allowed, the rows of the read ``sql`` (one
    ``SELECT`` on the request's database connection, in no particular order). Counts nothing and
    writes nothing: a refused request reads nothing (its rows are ``[]``).

    With the database store the look and the read are **one read-only statement**, on PostgreSQL
    and SQLite alike (no write, no commit to wait for); with Redis the look (one round trip for both
    windows), then the read. The read must not depend on the count. ``width``: the read's number
    of columns, when every row has that many (the database store may then send the counts apart
    from the rows: ``DatabaseStore.peek_window_then_read``)."""
    counters = store()
    current_key, previous_key, elapsed, length = _windows(key, rate)
    together = getattr(counters, "peek_window_then_read", None)
    if together is not None:
        current, previous, rows = together(
            current_key, previous_key, rate.count, elapsed, length, sql, params, width
        )
        decision = _looked(current, previous, elapsed, length, rate)
        return decision, rows if decision.allowed else []
    decision = peek(key, rate)
    if not decision.allowed:
        return decision, []
    with fixed_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return decision, cursor.fetchall()


# --- Counts sent in batches (docs/adr/0015-licence-verifications-counted-in-batches.md) ----------

TALLY_BATCH = 8
"""A process sends the requests it allowed under a tallied key to the store once this many are
waiting (:func:`tally`): one write per this many requests of one client under load."""
TALLY_MS = 1000
"""… and at its next tallied request once the oldest waiting one is this old (milliseconds)."""


@dataclass
class _Tally:
    """One window's requests allowed by this process under a tallied key."""

    ttl_ms: int
    ends_ms: int
    """When the window (its key) stops being the current or the previous one: forgotten then."""
    allowed: int = 0
    sent: int = 0
    """Of ``allowed``, added to the store (committed)."""
    sending: int = 0
    """Of ``allowed``, being added now."""
    since_ms: int = 0
    """When the oldest of those not yet sent was allowed."""


_tallies: dict[str, _Tally] = {}
_tally_lock = threading.Lock()
_next_sweep_ms = 0


def _unsent(window_key: str) -> int:
    entry = _tallies.get(window_key)
    return entry.allowed - entry.sent if entry is not None else 0


def _sent(window_key: str) -> int:
    entry = _tallies.get(window_key)
    return entry.sent if entry is not None else 0


def tally(key: str, rate: Rate) -> Decision:
    """:func:`hit` for a key whose count may reach the store in batches: the store's count (one
    read-only look) plus this process's allowed requests not yet sent decides, and an allowed request
    is counted in the process, sent with others (:data:`TALLY_BATCH`, :data:`TALLY_MS`).
    Exact within one process; across processes each other process may hold up to
    ``TALLY_BATCH - 1`` of the key's requests unsent per window (docs/security.md, "Shared limits")."""
    return tally_then_read(key, rate, None, ())[0]


def tally_then_read(
    key: str, rate: Rate, sql: str | None, params: Sequence[Any]
) -> tuple[Decision, list[tuple]]:
    """:func:`tally`, and only when the request is allowed, the rows of the read ``sql`` (one
    ``SELECT`` on the request's connection, in no particular order; ``None``: nothing to read).
    With the database store the look and the read are **one read-only statement**
    (``peek_window_then_read``, as :func:`peek_then_read`: a look that leaves no room reads
    nothing); the batch, when one is due, is one more statement (an uncapped add). With Redis the
    look (one round trip), then the read. A refused request is not counted and its rows are ``[]``."""
    global _next_sweep_ms
    counters = store()
    current_key, previous_key, elapsed, length = _windows(key, rate)
    with _tally_lock:  # what the store held of this process's counts before the look
        sent_current, sent_previous = _sent(current_key), _sent(previous_key)
    together = getattr(counters, "peek_window_then_read", None) if sql is not None else None
    if together is not None:
        current, previous, rows = together(
            current_key, previous_key, rate.count, elapsed, length, sql, params
        )
    else:
        both = getattr(counters, "get_window", None)
        current, previous = (
            both(current_key, previous_key)
            if both is not None
            else (
                counters.get(current_key),
                counters.get(previous_key),
            )
        )
        rows = None
    now = now_ms()
    sends: list[tuple[str, _Tally, int]] = []
    with _tally_lock:
        # A batch sent after the look is counted here as unsent: at worst once too often, never missed.
        entry = _tallies.get(current_key)
        earlier = _tallies.get(previous_key)
        current += entry.allowed - sent_current if entry is not None else 0
        previous += earlier.allowed - sent_previous if earlier is not None else 0
        decision = _looked(current, previous, elapsed, length, rate)
        if decision.allowed:
            if entry is None:
                entry = _tallies[current_key] = _Tally(2 * length, now - elapsed + 2 * length)
            if entry.allowed == entry.sent + entry.sending:
                entry.since_ms = now
            entry.allowed += 1
            decision = Decision(True, decision.count + 1, 0.0)
            waiting = entry.allowed - entry.sent - entry.sending
            if waiting >= TALLY_BATCH:
                entry.sending += waiting
                sends.append((current_key, entry, waiting))
        if now >= _next_sweep_ms:
            _next_sweep_ms = now + TALLY_MS
            sends.extend(_due(now))
    _send(counters, sends)
    if not decision.allowed:
        return decision, []
    if rows is None and sql is not None:
        with fixed_cursor(connection) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return decision, rows or []


def _due(now: int) -> list[tuple[str, _Tally, int]]:
    """The batches older than :data:`TALLY_MS` (marked as being sent), and the windows that ended
    forgotten (under ``_tally_lock``)."""
    due = []
    for window_key, entry in list(_tallies.items()):
        waiting = entry.allowed - entry.sent - entry.sending
        if now >= entry.ends_ms:
            if not entry.sending:
                del _tallies[window_key]  # no longer read: neither the current nor the previous window
        elif waiting and now - entry.since_ms >= TALLY_MS:
            entry.sending += waiting
            due.append((window_key, entry, waiting))
    return due


def _send(counters: CounterStore, sends: list[tuple[str, _Tally, int]]) -> None:
    """Add each batch to the store; a batch that fails is left waiting (sent with the next)."""
    for position, (window_key, entry, count) in enumerate(sends):
        try:
            counters.add_many(window_key, entry.ttl_ms, count)
        except BaseException:
            with _tally_lock:
                for _key, failed, n in sends[position:]:
                    failed.sending -= n
            raise
        with _tally_lock:
            entry.sending -= count
            entry.sent += count


def send_tallies() -> None:
    """Send every waiting batch now (tests; a process that stops)."""
    with _tally_lock:
        sends = []
        for window_key, entry in _tallies.items():
            waiting = entry.allowed - entry.sent - entry.sending
            if waiting:
                entry.sending += waiting
                sends.append((window_key, entry, waiting))
    _send(store(), sends)


def add(key: str, rate: Rate) -> int:
    """Count one under ``key`` whatever the rate says; the new estimate."""
    counters = store()
    current_key, previous_key, elapsed, length = _windows(key, rate)
    counted = counters.incr(current_key, 2 * length) or 0
    return counted + _carried(counters.get(previous_key), elapsed, length)


def first(key: str, seconds: int) -> bool:
    """True for the first call with ``key`` in ``seconds`` (from that call), False after."""
    return store().incr(f"once:{key}", max(1, seconds) * 1000, cap=1) is not None


def count(key: str, seconds: int) -> int:
    """A plain counter that lives ``seconds`` from its first count: add one, the new value."""
    return store().incr(key, max(1, seconds) * 1000) or 0


def get(key: str) -> int:
    return store().get(key)


def put(key: str, value: int, seconds: float) -> None:
    store().put(key, value, max(1, int(seconds * 1000)))


def reset(*keys: str) -> None:
    """Forget plain counters and values (:func:`count`, :func:`put`)."""
    store().delete(*keys)


def forget_tallies() -> None:
    """Forget this process's unsent counts (:func:`tally`) without sending them: a test whose
    transaction rolled back the batches it sent starts from nothing, as the store's rows do."""
    global _next_sweep_ms
    with _tally_lock:
        _tallies.clear()
        _next_sweep_ms = 0


def clear() -> None:
    forget_tallies()
    store().clear()
