"""Where the public page cache lives: the database table ``core_pagecacheentry``, or Redis when
``SIFA_CACHE_URL`` names one, so every web process sees the same entries and one publish
invalidates them for all. (Each process keeps the public pages' hits it read for at most
:data:`NEAR_MS`, and a publish waits that long before it answers: see :class:`NearHits`.)

Both stores offer the same three operations:

* ``lookup(namespace, key, now_ms, near=False)`` → ``(generation, payload or None)``: the
  namespace's current generation and the entry stored under ``key`` for that generation, if it has
  not expired. One round trip (one SQL statement, one Redis `MGET`) — but with ``near=True`` (the
  public pages' hits, ``PublicPageCacheMiddleware``), which may answer from what this process read
  at most :data:`NEAR_MS` before (see :class:`NearHits`).
* ``save(namespace, key, generation, payload, ttl_ms)`` stores an entry made at ``generation``.
  An entry made while a publish happened carries the old generation and is never served.
* ``bump(namespace)`` adds one to the generation: every entry of the namespace is dead at once.

The database store runs on the request's connection, so a bump made inside a publishing
transaction takes effect with the commit (and not at all if it rolls back).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from typing import Protocol

from django.db import DEFAULT_DB_ALIAS, connection, connections

from sifa.core.db import first_read, fixed_cursor

PURGE_EVERY = 500
"""Expired rows are deleted by one save in this many (per process)."""
FOREVER_MS = 2**62
NEAR_MS = 10
"""How long a process may answer a ``near`` lookup from a hit it read, counted from before the read
was sent; a publish waits as long after the commit of its increment before it answers
(``sifa.core.pagecache.bump``), so no hit after the publisher's answer is of the old generation."""
NEAR_ENTRIES = 64
"""Hits each process keeps per namespace for ``near`` lookups; all are dropped when there are more."""
_saves = itertools.count(1)


def generation_key(namespace: str) -> str:
    return f"~g:{namespace}"


class NearHits:
    """The hits a process read from its store, answered again for ``near`` lookups (the public
    pages' hits) for :data:`NEAR_MS` — both stores keep one.

    Each hit is kept with the generation of the same read and stamped with ``time.monotonic()``
    taken **before** the read was sent, and is answered from here until :data:`NEAR_MS` after that
    stamp. Invalidation stays exact relative to the publisher's answer: a process's own ``bump``
    forgets the namespace's hits at once, and the commit of a public namespace's increment is
    followed by a wait of :data:`NEAR_MS` before the publisher gets its answer
    (``sifa.core.pagecache.bump``). A hit kept anywhere that showed the old generation was read
    before that commit (Redis processed the ``MGET`` before the ``INCR``; the database statement's
    snapshot, taken after it was sent, did not see the commit), so it was stamped before the
    commit and its moment is over before the wait is. From the publisher's answer on, every hit in
    every process and host is of the new generation, as with one round trip per hit. (An entry may
    so be answered up to :data:`NEAR_MS` past its expiry.) At most :data:`NEAR_ENTRIES` per
    namespace: all are dropped when there are more.
    """

    __slots__ = ("_kept",)

    def __init__(self) -> None:
        # namespace → key → (generation, answer until (monotonic), payload)
        self._kept: dict[str, dict[str, tuple[int, float, bytes]]] = {}

    def get(self, namespace: str, key: str) -> tuple[int, bytes] | None:
        kept = self._kept.get(namespace, {}).get(key)
        if kept is not None and time.monotonic() < kept[1]:
            return kept[0], kept[2]
        return None

    def keep(self, namespace: str, key: str, generation: int, asked: float, payload: bytes) -> None:
        held = self._kept.setdefault(namespace, {})
        if len(held) >= NEAR_ENTRIES:
            held.clear()
        held[key] = (generation, asked + NEAR_MS / 1000, payload)

    def forget(self, namespace: str) -> None:
        self._kept.pop(namespace, None)

    def clear(self) -> None:
        self._kept.clear()


class PageStore(Protocol):
    name: str

    def lookup(
        self, namespace: str, key: str, now_ms: int, near: bool = False
    ) -> tuple[int, bytes | None]: ...

    def save(self, namespace: str, key: str, generation: int, payload: bytes, ttl_ms: int) -> None: ...

    def bump(self, namespace: str) -> None: ...

    def forget(self, namespace: str) -> None: ...

    def clear(self) -> None: ...


# The namespace's generation row and the entry's row, by primary key, in one statement with no
# subquery: both rows come back (the entry's only while it lives) and the generation is compared
# here. The subqueries it replaced (the generation read twice, as initplans) cost PostgreSQL about
# twice the backend CPU (docs/performance.md, "2026-12-06 (session 2)").
_LOOKUP = """
SELECT "key", generation, body FROM core_pagecacheentry
WHERE "key" = %s OR ("key" = %s AND expires_ms > %s)
"""
_SAVE = """
INSERT INTO core_pagecacheentry ("key", generation, body, expires_ms) VALUES (%s, %s, %s, %s)
ON CONFLICT ("key") DO UPDATE SET
  generation = excluded.generation, body = excluded.body, expires_ms = excluded.expires_ms
"""
_BUMP = """
INSERT INTO core_pagecacheentry ("key", generation, body, expires_ms) VALUES (%s, 1, %s, %s)
ON CONFLICT ("key") DO UPDATE SET generation = core_pagecacheentry.generation + 1
"""
_PURGE = "DELETE FROM core_pagecacheentry WHERE expires_ms <= %s AND \"key\" NOT LIKE '~g:%%'"
_CLEAR = "DELETE FROM core_pagecacheentry"


class DatabaseStore:
    """Entries in ``core_pagecacheentry`` (docs/performance.md, "Public page cache").

    A ``near`` lookup (the public pages' hits) may skip the statement: the process answers a hit it
    read at most :data:`NEAR_MS` before from :class:`NearHits`. Only a hit read outside any
    transaction is kept: its statement saw committed rows only (inside one it could see the
    transaction's own uncommitted bump and entry, which a rollback undoes). The statement's round
    trip, psycopg's execute and Django's cursor cost a hit on PostgreSQL more CPU than the rest of
    it (docs/performance.md, "session 6: the database store's hits").
    """

    name = "database"

    def __init__(self) -> None:
        self._near = NearHits()

    def lookup(self, namespace: str, key: str, now_ms: int, near: bool = False) -> tuple[int, bytes | None]:
        if near:
            kept = self._near.get(namespace, key)
            if kept is not None:
                return kept
        gen = generation_key(namespace)
        asked = time.monotonic()  # before the statement is sent: what it reads is no older
        database = connections[DEFAULT_DB_ALIAS]
        # A hit's only statement, so the request's first: the connection's health check too.
        rows = first_read(database, _LOOKUP, [gen, key, now_ms], binary=True)
        generation, stored, body = 0, -1, None
        for found, row_generation, row_body in rows:
            if found == gen:
                generation = row_generation
            else:
                stored, body = row_generation, row_body
        if stored != generation:
            return int(generation), None  # none, or made under an older generation: never served
        payload = bytes(body)
        if near and not database.in_atomic_block:
            self._near.keep(namespace, key, int(generation), asked, payload)
        return int(generation), payload

    def save(self, namespace: str, key: str, generation: int, payload: bytes, ttl_ms: int) -> None:
        from sifa.core.limits.stores import now_ms

        now = now_ms()
        with fixed_cursor(connection) as cursor:
            cursor.execute(_SAVE, [key, generation, payload, now + ttl_ms])
            if next(_saves) % PURGE_EVERY == 0:
                cursor.execute(_PURGE, [now])

    def bump(self, namespace: str) -> None:
        with fixed_cursor(connection) as cursor:
            cursor.execute(_BUMP, [generation_key(namespace), b"", FOREVER_MS])
        self._near.forget(namespace)  # this process reads the new generation at once

    def forget(self, namespace: str) -> None:
        """Forget this process's kept hits of ``namespace`` (after the commit of its bump)."""
        self._near.forget(namespace)

    def clear(self) -> None:
        self._near.clear()
        with connection.cursor() as cursor:
            cursor.execute(_CLEAR)


def _resp_command(*parts: bytes) -> bytes:
    """A Redis command in the protocol's own framing (what redis-py's ``pack_command`` sends)."""
    framed = [b"*%d\r\n" % len(parts)]
    for part in parts:
        framed.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(framed)


class _Reply(Exception):
    """Redis answered something other than the lookup's two values (an error, another type)."""


def _values(buffer: bytearray, end: int) -> list[bytes | None] | None:
    """The bulk strings of the RESP2 array reply in ``buffer[:end]`` (None for a nil), or None
    while the reply is incomplete."""
    if end < 4:
        return None
    if buffer[0] != 42:  # "*": an error ("-…") or any other reply is never a lookup's answer
        line = buffer.find(b"\r\n", 0, end)
        if line < 0:
            return None
        raise _Reply(bytes(buffer[:line]).decode("utf-8", "replace"))
    line = buffer.find(b"\r\n", 1, end)
    if line < 0:
        return None
    values: list[bytes | None] = []
    at = line + 2
    for _ in range(int(buffer[1:line])):
        line = buffer.find(b"\r\n", at, end)
        if line < 0:
            return None
        if buffer[at] != 36:  # "$"
            raise _Reply(f"unexpected reply type {chr(buffer[at])!r}")
        length = int(buffer[at + 1 : line])
        if length < 0:
            values.append(None)
            at = line + 2
            continue
        at = line + 2 + length + 2
        if at > end:
            return None
        values.append(bytes(buffer[line + 2 : at - 2]))
    if at != end:
        raise _Reply("more bytes than one reply")
    return values


class _Held:
    """A thread's lookup connection: redis-py's connection (made, authenticated and with its
    database selected by the client's pool) and a receive buffer the replies are read into."""

    __slots__ = ("buffer", "connection", "pid", "sock")

    def __init__(self, connection) -> None:
        self.pid = os.getpid()
        self.connection = connection
        self.sock = connection._sock
        self.buffer = bytearray(65536)

    def ask(self, command: bytes) -> list[bytes | None]:
        self.sock.sendall(command)
        buffer, end = self.buffer, 0
        while True:
            if end == len(buffer):
                buffer = self.buffer = buffer + bytearray(len(buffer))  # a larger page: keep the room
            got = self.sock.recv_into(memoryview(buffer)[end:])
            if not got:
                raise ConnectionResetError("Redis closed the connection")
            end += got
            values = _values(buffer, end)
            if values is not None:
                return values


class RedisStore:
    """Entries in Redis (``SIFA_CACHE_URL=redis://…``), under the prefix ``sifa:page:``; Redis
    drops them at their expiry. An entry's value is its generation, a newline and the payload.

    ``lookup`` — every cacheable anonymous request makes one — is one ``MGET`` of the namespace's
    generation and the entry, the generation compared here (an entry of an older generation is a
    miss, as in the database store): a Lua script doing the same cost Redis ≈ 2.5 × the CPU
    (docs/performance.md, "2026-12-06 (session 3)"). It runs on a connection of its own per thread,
    made once by the client's pool (RESP2, authenticated, its database selected) and kept (closed
    when the thread ends); the command is framed once and the reply read from the socket into the
    thread's buffer and parsed here: redis-py's pool, command packing and reply parser cost more
    CPU than the round trip itself. A connection that fails is dropped (the next lookup takes a new
    one); a lost connection is retried once on a new one; a timeout or any other failure drops the
    connection (its reply may be unread) and is raised. The other operations go through the client.

    A ``near`` lookup (the public pages' hits) may skip the round trip: each process keeps the hits
    it read — the entry and the generation of the same ``MGET`` — for :data:`NEAR_MS`
    (:class:`NearHits`; ``bump`` forgets the namespace's kept hits in its own process at once, a
    publish waits :data:`NEAR_MS` after the commit's increment before it answers). The round trip
    cost a hit ≈ 200 µs of CPU on a loaded machine, more than the rest of the hit
    (docs/performance.md, "2026-12-06 (session 4)").
    """

    name = "redis"
    prefix = "sifa:page:"

    def __init__(self, url: str) -> None:
        import redis  # only needed when Redis is configured

        # RESP2: no push messages on the lookup's connection, nils as "$-1".
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, protocol=2)
        self._local = threading.local()
        self._near = NearHits()

    def _held(self) -> _Held:
        held = getattr(self._local, "held", None)
        if held is None or held.pid != os.getpid():  # none yet, or inherited across a fork
            connection = self.client.connection_pool.make_connection()  # the thread's, closed with it
            connection.connect()
            held = self._local.held = _Held(connection)
        return held

    def _drop(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held.pid == os.getpid():
            held.connection.disconnect()

    def _ask(self, command: bytes) -> list[bytes | None]:
        from redis import exceptions

        for attempt in (1, 2):
            held = self._held()
            try:
                return held.ask(command)
            except _Reply as error:
                self._drop()
                raise exceptions.ResponseError(str(error)) from None
            except TimeoutError as error:  # the reply may still come: never reuse the connection
                self._drop()
                raise exceptions.TimeoutError("Redis did not answer the page cache in time") from error
            except OSError as error:  # a lost connection is retried once, on a new one
                self._drop()
                if attempt > 1:
                    raise exceptions.ConnectionError(f"Redis connection lost: {error}") from error
            except BaseException:
                self._drop()  # an interrupted read leaves the reply unread: never reuse
                raise
        raise AssertionError("unreachable")

    def lookup(self, namespace: str, key: str, now_ms: int, near: bool = False) -> tuple[int, bytes | None]:
        if near:
            kept = self._near.get(namespace, key)
            if kept is not None:
                return kept
        asked = time.monotonic()  # before the command is sent: what it reads is no older
        generation, entry = self._ask(
            _resp_command(
                b"MGET", (self.prefix + generation_key(namespace)).encode(), (self.prefix + key).encode()
            )
        )
        current = int(generation) if generation is not None else 0
        if entry is None:
            return current, None
        stored, _, payload = entry.partition(b"\n")
        if int(stored) != current:
            return current, None  # made under an older generation: never served
        if near:
            self._near.keep(namespace, key, current, asked, payload)
        return current, payload

    def save(self, namespace: str, key: str, generation: int, payload: bytes, ttl_ms: int) -> None:
        self.client.set(self.prefix + key, b"%d\n" % generation + payload, px=max(1, ttl_ms))

    def bump(self, namespace: str) -> None:
        self.client.incr(self.prefix + generation_key(namespace))
        self._near.forget(namespace)  # this process reads the new generation at once

    def forget(self, namespace: str) -> None:
        self._near.forget(namespace)

    def clear(self) -> None:
        self._near.clear()
        for found in self.client.scan_iter(match=self.prefix + "*", count=500):
            self.client.delete(found)


def build(url: str) -> PageStore:
    """The store ``SIFA_CACHE_URL`` names: empty for the database, ``redis://``/``rediss://``/``unix://``."""
    if not url:
        return DatabaseStore()
    if url.split(":", 1)[0] in ("redis", "rediss", "unix"):
        return RedisStore(url)
    raise ValueError(f"SIFA_CACHE_URL: 不支持的缓存地址 {url.split(':', 1)[0]}:（应为空或 redis://…）")
