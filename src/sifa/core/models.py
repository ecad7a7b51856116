"""The shared kernel's tables: the counters of ``sifa.core.limits`` and the public page cache of
``sifa.core.pagecache``, each used when no Redis is configured for it."""

from __future__ import annotations

from django.db import models


class LimitCounter(models.Model):
    """One counter of a rate limit, a throttle or the login back-off, shared by every process.

    A row is a key (the limit, the client or account, and the time window) with its value and the
    moment it stops counting; an expired row counts as absent and is reset by the next increment.
    Written only by ``sifa.core.limits.stores`` with one atomic upsert (docs/security.md, "Shared
    limits").
    """

    data_class = "internal"

    key = models.CharField(
        "键",
        max_length=255,
        unique=True,
        help_text="限制名称、客户端或账户、时间窗，例如 throttle_login_10.0.0.1:29333",
    )
    value = models.BigIntegerField("计数", default=0, help_text="本时间窗内的次数（或等待截止时刻，毫秒）")
    expires_ms = models.BigIntegerField(
        "失效时刻", db_index=True, help_text="自 1970-01-01 UTC 起的毫秒数；过期的计数视为零"
    )

    class Meta:
        verbose_name = "限流计数"
        verbose_name_plural = "限流计数"

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"


class PageCacheEntry(models.Model):
    """One cached public answer (a catalogue page or list, the same for every anonymous visitor),
    or the generation of a namespace (``~g:<namespace>``), shared by every web process.

    An entry is served only while its generation is the namespace's current one and it has not
    expired; publishing in the catalogue adds one to the generation, so every older entry is dead
    at once. Written only by ``sifa.core.pagecache.stores`` (docs/performance.md, "Public page
    cache").
    """

    data_class = "public"

    key = models.CharField(
        "键", max_length=80, primary_key=True, help_text="请求的摘要（SHA-256），或 ~g:命名空间（代数）"
    )
    generation = models.BigIntegerField("代数", default=0, help_text="写入时命名空间的代数；代数行为当前代数")
    body = models.BinaryField("内容", default=b"", help_text="状态、响应头和响应体")
    expires_ms = models.BigIntegerField(
        "失效时刻", db_index=True, help_text="自 1970-01-01 UTC 起的毫秒数；过期的条目不再使用"
    )

    class Meta:
        verbose_name = "公开页面缓存"
        verbose_name_plural = "公开页面缓存"

    def __str__(self) -> str:
        return self.key
