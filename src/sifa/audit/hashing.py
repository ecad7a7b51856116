"""What the audit chain hashes: the canonical bytes of an event and the SM3 link to its predecessor.

Pure functions, shared by the writer (:func:`sifa.audit.services.record`) and the verifier
(:mod:`sifa.audit.chain`), so both always hash the same bytes (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sifa.audit.models import AuditEvent
from sifa.core.crypto import sm3_hex

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event."""


def canonical_event(event: AuditEvent) -> bytes:
    """The exact bytes hashed for an event: sorted-key JSON of every recorded field.

    UTF-8, no spaces, keys sorted, ``occurred_at`` in UTC with microseconds (see docs/audit.md).
    ``prev_hash`` and ``hash`` are not part of it: the link is the ``prev_hash ||`` prefix.
    """
    return canonical_text(event, occurred=canonical_time(event.occurred_at)).encode()


def canonical_time(value: dt.datetime) -> str:
    """An event's ``occurred_at`` as its canonical JSON holds it."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def canonical_text(event: Any, *, occurred: str) -> str:
    """:func:`canonical_event` as text, with ``occurred`` as the time (the append encodes an event
    before its time and sequence number are known, with placeholders: ``audit.services.events``)."""
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
    return _CANONICAL.encode(payload)


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
"""What ``json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` builds
for every event, built once: the canonical JSON (UTF-8 text, keys sorted, no spaces)."""


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    """``SM3(prev_hash || canonical JSON)`` as 64 lowercase hex digits."""
    return sm3_hex(prev_hash.encode() + canonical_event(event))


def _utc(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds") if value else None


def canonical_access(row: Any, seq: int) -> bytes:
    """The exact bytes hashed for an access-log row (``PersonalDataAccess``, or a migration's
    historical copy): sorted-key JSON of every column but the chain's, times in UTC with
    microseconds, foreign keys as primary keys (docs/audit.md, "The access log's chain")."""
    payload = {
        "seq": seq,
        "id": row.pk,
        "subject": row.subject_id,
        "subject_ref": row.subject_ref,
        "reader": row.reader_id,
        "reader_organisation": row.reader_organisation_id,
        "reader_role": row.reader_role,
        "purpose": row.purpose,
        "object_type": row.object_type,
        "accessed_at": _utc(row.accessed_at),
        "scope_path": row.scope_path,
        "kind": row.kind,
        "receiver": row.receiver,
        "legal_basis": row.legal_basis,
        "case_number": row.case_number,
        "message_id": row.message_id,
        "visibility": row.visibility,
        "visible_from": _utc(row.visible_from),
    }
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def access_hash(prev_hash: str, row: Any, seq: int) -> str:
    """``SM3(prev_hash || canonical JSON)`` of an access-log row at ``seq``."""
    return sm3_hex(prev_hash.encode() + canonical_access(row, seq))
