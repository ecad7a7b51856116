"""What the audit chain hashes: the canonical bytes of an event and the SM3 link to its predecessor.

Pure functions, shared by the writer (:func:`sifa.audit.services.record`) and the verifier
(:mod:`sifa.audit.chain`), so both always hash the same bytes (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import json

from sifa.audit.models import AuditEvent
from sifa.core.crypto import sm3_hex

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first event."""


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
