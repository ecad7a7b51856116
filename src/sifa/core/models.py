"""The shared kernel's one table: the counters of ``sifa.core.limits`` when no Redis is configured."""

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
