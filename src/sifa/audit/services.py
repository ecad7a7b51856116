"""Writing the audit trail: one hash-chained event per command, and the personal-data access log.

Call :func:`record` inside the command's transaction so the event commits (or rolls back) with
the change it describes. The request's address and the acting membership come from
``sifa.audit.context`` when the caller does not pass them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from sifa.audit import context
from sifa.audit.models import AuditEvent, AuditResult, PersonalDataAccess
from sifa.core.crypto import sm3_hex
from sifa.organisations.scope import Actor, actor_for, attributed_membership

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event."""

_PG_LOCK_KEY = 0x5F1FA  # pg_advisory_xact_lock key reserved for audit appends
_NUL_REPLACEMENT = "\ufffd"  # PostgreSQL text and jsonb cannot hold NUL; the same on SQLite


def canonical_event(event: AuditEvent) -> bytes:
    """The exact bytes hashed for an event: sorted-key JSON of every recorded field.

    UTF-8, no spaces, keys sorted, ``occurred_at`` in UTC with microseconds (see docs/audit.md).
    ``prev_hash`` and ``hash`` are not part of it: the link is the ``prev_hash ||`` prefix.
    """
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
    """``SM3(prev_hash || canonical JSON)`` as 64 lowercase hex digits."""
    return sm3_hex(prev_hash.encode() + canonical_event(event))


def _lock_chain() -> None:
    """Serialize appends: concurrent writers must never read the same chain head."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # SQLite: settings open every atomic block with BEGIN IMMEDIATE, which already holds the
    # database's single write lock for the whole transaction. On both, ``seq`` is the primary
    # key, so even a writer that skipped the lock could not fork the chain, only fail.


def _fit(model: type, field: str, value: Any) -> str:
    """The value as stored: a string cut to the column's length (so hashed == stored on every
    database, and an over-long object id from user input never turns into a 500)."""
    text = str(value or "").replace("\x00", _NUL_REPLACEMENT)
    return text[: model._meta.get_field(field).max_length]


def _stored_ip(value: str | None) -> str | None:
    """The address exactly as the column returns it (IPv6 compressed), or None if not an address."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    return clean_ipv6_address(str(address)) if address.version == 6 else str(address)


def _stored_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """``detail`` as the JSON column will give it back, so a fresh event hashes like its row.

    After a JSON round trip (string keys; dates, decimals and UUIDs as strings), values that
    PostgreSQL's jsonb would not return unchanged are normalised: an integral float comes back
    as an integer (``1e16``, ``-0.0``), NaN and infinities are not JSON, and NUL cannot be stored.
    """
    if not detail:
        return {}
    return _jsonb_stable(json.loads(json.dumps(detail, cls=DjangoJSONEncoder, ensure_ascii=False)))


def _jsonb_stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key.replace("\x00", _NUL_REPLACEMENT): _jsonb_stable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonb_stable(item) for item in value]
    if isinstance(value, str):
        return value.replace("\x00", _NUL_REPLACEMENT)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return int(value)
    return value


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
    """Append one event to the chain (inside the caller's transaction, or its own).

    ``actor`` defaults to the request's authenticated user, ``ip_address`` to its peer address
    and ``scope_path`` to the actor's. ``result`` must be an :class:`AuditResult` value.
    """
    if result not in AuditResult.values:
        raise ValueError(f"audit result must be one of {AuditResult.values}, got {result!r}")
    if not action:
        raise ValueError("audit action is required")
    ctx = context.current()
    if actor is None and ctx.user is not None and getattr(ctx.user, "is_authenticated", False):
        actor = ctx.user
    actor = actor if getattr(actor, "pk", None) else None
    event = AuditEvent(
        actor=actor,
        actor_username=_fit(AuditEvent, "actor_username", getattr(actor, "username", "")),
        role=_fit(AuditEvent, "role", role),
        action=_fit(AuditEvent, "action", action),
        object_type=_fit(AuditEvent, "object_type", object_type),
        object_id=_fit(AuditEvent, "object_id", object_id),
        result=str(result),
        ip_address=_stored_ip(ip_address if ip_address is not None else ctx.ip_address),
        # Without an explicit jurisdiction the event belongs to the actor's (an account's scope
        # path is its 司法所/司法局, a staff member's their organisation).
        scope_path=scope_path or getattr(actor, "scope_path", "") or "",
        detail=_stored_detail(detail),
    )
    # Callers hold either the organisation or just its id.
    event.organisation_id = getattr(organisation, "pk", organisation)
    with transaction.atomic():
        _lock_chain()
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        prev_seq, prev_hash = head if head else (0, GENESIS_HASH)
        event.seq = prev_seq + 1
        # The time is taken under the lock so it never runs backwards along the chain.
        event.occurred_at = timezone.now()
        event.prev_hash = prev_hash
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
    actor: Actor | None = None,
    roles: Iterable[str] | None = None,
    from_below: Iterable[str] = (),
) -> PersonalDataAccess:
    """Log a staff read of someone's personal data (the subject can list these).

    ``subject`` is the subject's account (None for a walk-in person without one); ``purpose``
    is shown to the subject, so write it for them (e.g. "受理律师执业许可申请"). The organisation
    and role the read is credited to are decided here, by the one rule
    :func:`~sifa.organisations.scope.attributed_membership` over the reader's memberships
    (``actor``, built from ``reader`` when not given; ``roles`` and ``from_below`` as there): the
    membership nearest above the data, never an unrelated organisation.
    """
    if not purpose or not str(purpose).strip():
        raise ValueError("a personal-data read needs a purpose (个人信息保护法 §6 目的限定)")
    grant = attributed_membership(
        actor if actor is not None else actor_for(reader), scope_path, roles=roles, from_below=from_below
    )
    return PersonalDataAccess.objects.create(
        subject=subject,
        subject_ref=_fit(PersonalDataAccess, "subject_ref", subject_ref),
        reader=reader,
        reader_organisation_id=grant.organisation_id if grant else None,
        reader_role=_fit(PersonalDataAccess, "reader_role", grant.role if grant else ""),
        purpose=_fit(PersonalDataAccess, "purpose", str(purpose).strip()),
        object_type=_fit(PersonalDataAccess, "object_type", object_type),
        accessed_at=timezone.now(),
        scope_path=scope_path,
    )
