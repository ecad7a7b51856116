"""Where the public page cache lives: the database table ``core_pagecacheentry``, or Redis when
``SIFA_CACHE_URL`` names one. Never this process's memory: every web process sees the same
entries, and one publish invalidates them for all.

Both stores offer the same three operations:

* ``lookup(namespace, key, now_ms)`` → ``(generation, payload or None)``: the namespace's current
  generation and the entry stored under ``key`` for that generation, if it has not expired. One
  round trip (one SQL statement, one Redis script).
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
from typing import Protocol

from django.db import DEFAULT_DB_ALIAS, connection, connections

from sifa.core.db import first_read, fixed_cursor

PURGE_EVERY = 500
"""Expired rows are deleted by one save in this many (per process)."""
FOREVER_MS = 2**62
_saves = itertools.count(1)


def generation_key(namespace: str) -> str:
    return f"~g:{namespace}"


class PageStore(Protocol):
    name: str

    def lookup(self, namespace: str, key: str, now_ms: int) -> tuple[int, bytes | None]: ...

    def save(self, namespace: str, key: str, generation: int, payload: bytes, ttl_ms: int) -> None: ...

    def bump(self, namespace: str) -> None: ...

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
    """Entries in ``core_pagecacheentry`` (docs/performance.md, "Public page cache")."""

    name = "database"

    def lookup(self, namespace: str, key: str, now_ms: int) -> tuple[int, bytes | None]:
        gen = generation_key(namespace)
        # A hit's only statement, so the request's first: the connection's health check too.
        rows = first_read(connections[DEFAULT_DB_ALIAS], _LOOKUP, [gen, key, now_ms], binary=True)
        generation, stored, body = 0, -1, None
        for found, row_generation, row_body in rows:
            if found == gen:
                generation = row_generation
            else:
                stored, body = row_generation, row_body
        if stored != generation:
            return int(generation), None  # none, or made under an older generation: never served
        return int(generation), bytes(body)

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

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_CLEAR)


# The generation and the entry stored under it, in one round trip. A missing entry leaves a
# one-element answer (a nil ends a Lua table).
_LOOKUP_SCRIPT = """
local generation = redis.call('GET', KEYS[1]) or '0'
local body = redis.call('GET', KEYS[2] .. ':' .. generation)
if not body then return {generation} end
return {generation, body}
"""


def _resp_command(*parts: bytes) -> bytes:
    """A Redis command in the protocol's own framing (what redis-py's ``pack_command`` sends)."""
    framed = [b"*%d\r\n" % len(parts)]
    for part in parts:
        framed.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(framed)


class RedisStore:
    """Entries in Redis (``SIFA_CACHE_URL=redis://…``), under the prefix ``sifa:page:``; Redis
    drops them at their expiry.

    ``lookup`` — every cacheable anonymous request makes one — runs on a connection of its own per
    thread, made once by the client's pool and kept (closed when the thread ends), and sends the script's ``EVALSHA`` framed
    by hand: redis-py's pool, command packing and ``Script`` bookkeeping cost ≈ 4 × the round trip's
    own CPU (docs/performance.md, "2026-12-06 (late): the cache hit path"). Redis's reply is read by
    redis-py's own parser. A connection that fails is dropped (the next lookup takes a new one); a
    lost connection is retried once on a new one; a server that lost the script (a restart,
    ``SCRIPT FLUSH``) gets it loaded again. The other operations go through the client as before.
    """

    name = "redis"
    prefix = "sifa:page:"

    def __init__(self, url: str) -> None:
        import redis  # only needed when Redis is configured

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._lookup = self.client.register_script(_LOOKUP_SCRIPT)
        self._evalsha = b"EVALSHA", self._lookup.sha.encode(), b"2"
        self._local = threading.local()

    def _connection(self):
        held = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid():  # none yet, or inherited across a fork
            connection = self.client.connection_pool.make_connection()  # the thread's, closed with it
            connection.connect()
            held = self._local.held = (os.getpid(), connection)
        return held[1]

    def _drop(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            held[1].disconnect()

    def _call(self, command: bytes):
        from redis.exceptions import ConnectionError, NoScriptError

        for attempt in (1, 2, 3):
            connection = self._connection()
            try:
                connection.send_packed_command([command], check_health=False)
                return connection.read_response()
            except NoScriptError:
                if attempt == 3:
                    raise
                self.client.script_load(_LOOKUP_SCRIPT)
            except ConnectionError:  # not a timeout: a lost connection is retried once, on a new one
                self._drop()
                if attempt > 1:
                    raise
            except BaseException:
                self._drop()  # a timeout or an interrupted read leaves the reply unread: never reuse
                raise
        raise AssertionError("unreachable")

    def lookup(self, namespace: str, key: str, now_ms: int) -> tuple[int, bytes | None]:
        keys = (self.prefix + generation_key(namespace)).encode(), (self.prefix + key).encode()
        found = self._call(_resp_command(*self._evalsha, *keys))
        return int(found[0]), (bytes(found[1]) if len(found) > 1 else None)

    def save(self, namespace: str, key: str, generation: int, payload: bytes, ttl_ms: int) -> None:
        self.client.set(f"{self.prefix}{key}:{generation}", payload, px=max(1, ttl_ms))

    def bump(self, namespace: str) -> None:
        self.client.incr(self.prefix + generation_key(namespace))

    def clear(self) -> None:
        for found in self.client.scan_iter(match=self.prefix + "*", count=500):
            self.client.delete(found)


def build(url: str) -> PageStore:
    """The store ``SIFA_CACHE_URL`` names: empty for the database, ``redis://``/``rediss://``/``unix://``."""
    if not url:
        return DatabaseStore()
    if url.split(":", 1)[0] in ("redis", "rediss", "unix"):
        return RedisStore(url)
    raise ValueError(f"SIFA_CACHE_URL: 不支持的缓存地址 {url.split(':', 1)[0]}:（应为空或 redis://…）")
