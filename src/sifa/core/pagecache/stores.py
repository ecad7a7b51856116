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
from typing import Protocol

from django.db import connection

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


_LOOKUP = """
SELECT COALESCE((SELECT generation FROM core_pagecacheentry WHERE "key" = %s), 0),
       (SELECT body FROM core_pagecacheentry
        WHERE "key" = %s AND expires_ms > %s
          AND generation = COALESCE((SELECT generation FROM core_pagecacheentry WHERE "key" = %s), 0))
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
        with connection.cursor() as cursor:
            cursor.execute(_LOOKUP, [gen, key, now_ms, gen])
            generation, body = cursor.fetchone()
        return int(generation), (bytes(body) if body is not None else None)

    def save(self, namespace: str, key: str, generation: int, payload: bytes, ttl_ms: int) -> None:
        from sifa.core.limits.stores import now_ms

        now = now_ms()
        with connection.cursor() as cursor:
            cursor.execute(_SAVE, [key, generation, payload, now + ttl_ms])
            if next(_saves) % PURGE_EVERY == 0:
                cursor.execute(_PURGE, [now])

    def bump(self, namespace: str) -> None:
        with connection.cursor() as cursor:
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


class RedisStore:
    """Entries in Redis (``SIFA_CACHE_URL=redis://…``), under the prefix ``sifa:page:``; Redis
    drops them at their expiry."""

    name = "redis"
    prefix = "sifa:page:"

    def __init__(self, url: str) -> None:
        import redis  # only needed when Redis is configured

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._lookup = self.client.register_script(_LOOKUP_SCRIPT)

    def lookup(self, namespace: str, key: str, now_ms: int) -> tuple[int, bytes | None]:
        found = self._lookup(keys=[self.prefix + generation_key(namespace), self.prefix + key])
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
