"""Writing the audit trail: one hash-chained event per command, and the personal-data access log.

Call :func:`record` inside the command's transaction so the event commits (or rolls back) with
the change it describes. The request's address and the acting membership come from
``sifa.audit.context`` when the caller does not pass them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from sifa.audit import context
from sifa.audit.models import AuditEvent, AuditResult, PersonalDataAccess
from sifa.core.crypto import sm3_hex

GENESIS_HASH = "0" * 64
_PG_LOCK_KEY = 0x5F1FA  # pg_advisory_xact_lock key reserved for audit appends


def canonical_event(event: AuditEvent) -> bytes:
    """The exact bytes hashed for an event: sorted-key JSON of every recorded field."""
    occurred = event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    payload = {
        "seq": event.seq,
        "occurred_at": occurred,
        "actor": event.actor_id,
        "actor_username": event.actor_username,
        "organisation": event.organisation_id,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "result": event.result,
        "ip_address": event.ip_address,
        "scope_path": event.scope_path,
        "detail": event.detail,
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return sm3_hex(prev_hash.encode() + canonical_event(event))


def _lock_chain() -> None:
    """Serialize appends: concurrent writers must never read the same chain head."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # SQLite: settings open every atomic block with BEGIN IMMEDIATE, which already holds the
    # database's single write lock for the whole transaction.


def record(
    action: str,
    *,
    actor: Any = None,
    organisation: Any = None,
    role: str = "",
    object_type: str = "",
    object_id: str = "",
    result: str = AuditResult.SUCCESS,
    detail: dict[str, Any] | None = None,
    ip_address: str | None = None,
    scope_path: str = "",
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction, or its own)."""
    ctx = context.current()
    if actor is None and ctx.user is not None and getattr(ctx.user, "is_authenticated", False):
        actor = ctx.user
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        prev_seq, prev_hash = head if head else (0, GENESIS_HASH)
        event = AuditEvent(
            seq=prev_seq + 1,
            occurred_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_username=getattr(actor, "username", "") or "",
            organisation=organisation,
            role=str(role or ""),
            action=action,
            object_type=object_type,
            object_id=str(object_id or ""),
            result=str(result),
            ip_address=ip_address if ip_address is not None else ctx.ip_address,
            scope_path=scope_path or "",
            detail=detail or {},
            prev_hash=prev_hash,
        )
        event.hash = chain_hash(prev_hash, event)
        event.save(force_insert=True)
    return event


def record_access(
    *,
    reader: Any,
    subject: Any,
    subject_ref: str,
    object_type: str,
    purpose: str,
    scope_path: str,
    reader_organisation: Any = None,
    reader_role: str = "",
) -> PersonalDataAccess:
    """Log a staff read of someone's personal data (the subject can list these)."""
    return PersonalDataAccess.objects.create(
        subject=subject,
        subject_ref=str(subject_ref),
        reader=reader,
        reader_organisation=reader_organisation,
        reader_role=str(reader_role or ""),
        purpose=purpose,
        object_type=object_type,
        accessed_at=timezone.now(),
        scope_path=scope_path,
    )
