"""The retention purge: removing an expired prefix of the audit chain, so that it still verifies.

网络安全法 第二十一条（三） asks that network logs be kept at least six months
(:data:`~sifa.audit.triggers.RETENTION_MIN_DAYS` = 180 days); archive older months with their
anchors first. :func:`purge_through` then, in one transaction:

1. appends an ``audit.purged`` event (清除到期审计事件) naming the last purged row's ``seq`` and
   ``hash`` — the event is itself in the chain, and ``verify`` starts after the purged prefix
   from exactly that hash (:func:`sifa.audit.chain.purge_checkpoint`);
2. deletes events ``1 … through``: on PostgreSQL through the owner's ``SECURITY DEFINER``
   function ``sifa_audit_purge_through`` (the only way past the delete guard for a role that is
   not the owner, and only for a recorded prefix older than 180 days — the function checks both
   itself); on SQLite with the connection's purge switch.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from sifa.audit import triggers
from sifa.audit.models import AuditEvent
from sifa.audit.services.events import record
from sifa.core.errors import ServiceError


class PurgeRefused(ServiceError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"audit.purge.{code}", message, status=409)


def oldest_allowed_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Events older than this may be purged; nothing younger, whatever is asked."""
    return (now or timezone.now()) - dt.timedelta(days=triggers.RETENTION_MIN_DAYS)


def purge_before(cutoff: dt.datetime, *, actor: Any = None) -> int:
    """Purge every event that occurred before ``cutoff`` (a prefix: times never run backwards along
    the chain). Returns how many were deleted; 0 when there is nothing that old."""
    if cutoff > oldest_allowed_cutoff():
        raise PurgeRefused(
            "too_young", f"审计事件至少保存 {triggers.RETENTION_MIN_DAYS} 天，不能清除此日期之后的事件"
        )
    through = (
        AuditEvent.objects.filter(occurred_at__lt=cutoff)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return purge_through(through, actor=actor) if through else 0


def purge_through(through_seq: int, *, actor: Any = None) -> int:
    """Record, then delete, events ``1 … through_seq`` (see the module docstring)."""
    with transaction.atomic():
        row = AuditEvent.objects.filter(seq=through_seq).values_list("hash", "occurred_at").first()
        if row is None:
            raise PurgeRefused("unknown_seq", f"审计链中没有第 {through_seq} 条")
        through_hash, occurred_at = row
        if occurred_at >= oldest_allowed_cutoff():
            raise PurgeRefused("too_young", triggers.PURGE_TOO_YOUNG)
        first = AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first()
        record(
            triggers.PURGE_ACTION,
            actor=actor,
            detail={
                "through_seq": through_seq,
                "through_hash": through_hash,
                "from_seq": first,
                "through_time": occurred_at.isoformat(),
                "count": through_seq - (first or 1) + 1,
            },
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {triggers.PURGE_FUNCTION}(%s)", [through_seq])
                return int(cursor.fetchone()[0])
        with triggers.purge_allowed(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE seq <= %s", [through_seq])
            return cursor.rowcount
