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

The personal-data access log is purged the same way (:func:`purge_access_through`,
:func:`purge_access_before`): an ``audit.access_purged`` event in the *audit* chain names the
access log's last purged ``seq`` and ``hash`` (``verify-access`` starts after it:
:func:`sifa.audit.chain.access_purge_checkpoint`), then the owner's function
``sifa_access_purge_through`` deletes the prefix.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from sifa.audit import triggers
from sifa.audit.models import AuditEvent, PersonalDataAccess
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


def purge_access_before(cutoff: dt.datetime, *, actor: Any = None, dry_run: bool = False) -> int:
    """Purge the access log's chained rows read before ``cutoff`` (a prefix of the chain: rows are
    chained in ``id`` order, and times only move forward), except the chain's head. Returns how
    many were (or, with ``dry_run``, would be) deleted. Rows not chained yet are never touched."""
    if cutoff > oldest_allowed_cutoff():
        raise PurgeRefused(
            "too_young",
            f"个人数据查看记录至少保存 {triggers.RETENTION_MIN_DAYS} 天，不能清除此日期之后的记录",
        )
    chained = PersonalDataAccess.objects.filter(seq__isnull=False)
    # The prefix ends before the first chained row that is not old enough.
    young = chained.filter(accessed_at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    expired = chained.filter(accessed_at__lt=cutoff)
    if young is not None:
        expired = expired.filter(seq__lt=young)
    through = expired.order_by("-seq").values_list("seq", flat=True).first()
    # The chain's head is always kept: chaining goes on from it (and the anchors' seqs stay
    # meaningful) even when every row has expired.
    head = chained.order_by("-seq").values_list("seq", flat=True).first()
    if through and head and through >= head:
        through = head - 1
    if not through:
        return 0
    if dry_run:
        return chained.filter(seq__lte=through).count()
    return purge_access_through(through, actor=actor)


def purge_access_through(through_seq: int, *, actor: Any = None) -> int:
    """Record (in the audit chain), then delete, access-log rows ``… through_seq``."""
    with transaction.atomic():
        row = (
            PersonalDataAccess.objects.filter(seq=through_seq)
            .exclude(hash="")
            .values_list("hash", "accessed_at")
            .first()
        )
        if row is None:
            raise PurgeRefused("unknown_seq", f"个人数据查看记录链中没有第 {through_seq} 条")
        through_hash, accessed_at = row
        if accessed_at >= oldest_allowed_cutoff():
            raise PurgeRefused("too_young", triggers.ACCESS_PURGE_TOO_YOUNG)
        first = (
            PersonalDataAccess.objects.filter(seq__isnull=False)
            .order_by("seq")
            .values_list("seq", flat=True)
            .first()
        )
        record(
            triggers.ACCESS_PURGE_ACTION,
            actor=actor,
            detail={
                "through_seq": through_seq,
                "through_hash": through_hash,
                "from_seq": first,
                "through_time": accessed_at.isoformat(),
                "count": through_seq - (first or 1) + 1,
            },
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {triggers.ACCESS_PURGE_FUNCTION}(%s)", [through_seq])
                return int(cursor.fetchone()[0])
        with triggers.purge_allowed(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_personaldataaccess WHERE seq <= %s", [through_seq])
            return cursor.rowcount
