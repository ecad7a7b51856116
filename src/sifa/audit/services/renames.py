"""Renaming the objects of old audit events to the one rule, keeping the hash chain valid.

Before the rule of :mod:`sifa.audit.subjects`, events named their objects in several ways
(``Application``, ``document``, ``seal_certificate``, ``ClockState``, ``catalogue.item`` …).
Migration ``audit.0003_object_names`` calls :func:`rewrite_object_names`, which, in the
migration's one transaction:

1. takes the chain lock and checks the **old** chain, links, hashes and anchors
   (:func:`~sifa.audit.chain.verify_chain`): a broken chain is refused, never re-hashed, so a
   rewrite cannot launder tampering;
2. lifts the append-only triggers (:func:`sifa.audit.triggers.uninstall`), renames each event's
   ``object_type``/``object_id`` by :data:`LEGACY_TYPES` / :func:`renamed`, recomputes
   ``prev_hash`` and ``hash`` of every row from the first renamed one on, and puts the triggers
   back (:func:`~sifa.audit.triggers.install`) — a failure anywhere rolls all of it back;
3. appends one ``audit.chain_rewritten`` event (重写审计链) stating why, how many rows changed, the
   old head (seq, hash), the new hash of that same row, and for every anchor found on a rewritten
   row its old and new hash — so ``verify`` can still account for every anchor written before;
4. re-anchors after commit: appends the new head to the anchor file (ship it off-box like every
   anchor).

An empty chain (a new database) is left alone: no event, no anchor.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.audit import triggers
from sifa.audit.chain import REWRITE_ACTION, read_anchors, verify_chain, write_anchor
from sifa.audit.hashing import GENESIS_HASH, chain_hash
from sifa.audit.subjects import OBJECT_TYPES

BATCH_SIZE = 2000
MIGRATION = "audit.0003_object_names"
REASON = "审计对象统一命名为“应用.模型”与公开标识（docs/audit.md）"

LEGACY_TYPES: dict[str, str] = {
    "Application": "applications.Application",
    "document": "documents.Document",
    "seal_certificate": "documents.SealCertificate",
    "CalendarNotice": "deadlines.CalendarNotice",
    "CalendarDay": "deadlines.CalendarDay",
    "CalendarYear": "deadlines.CalendarYear",
    "ClockState": "deadlines.ClockState",
    "catalogue.catalogue": "catalogue.Catalogue",
}
"""Old names whose new name does not depend on the event; ``catalogue.item`` and
``mediation.roster`` are decided by :func:`renamed` from the id or the action."""


def renamed(action: str, object_type: str, object_id: str, detail: Any) -> tuple[str, str, Any]:
    """The ``(object_type, object_id, detail)`` an old event gets under the rule (unchanged when
    it already follows it or is unknown). Every id kept is already the object's public id."""
    if object_type == "CalendarYear" and action == "deadlines.calendar.seed":
        # A seed covers a range of years: the batch names the type, the range moves to the detail.
        return "deadlines.CalendarYear", "", {**(detail or {}), "years": object_id}
    if object_type in LEGACY_TYPES:
        return LEGACY_TYPES[object_type], object_id, detail
    if object_type == "catalogue.item":  # an item by its basic code, a version as code/vN
        return (
            ("catalogue.ItemVersion" if "/v" in object_id else "catalogue.CatalogueItem"),
            object_id,
            detail,
        )
    if object_type == "mediation.roster":
        if action.startswith("mediation.committee."):
            return "mediation.MediationCommittee", object_id, detail
        if action.startswith("mediation.mediator."):
            return "mediation.Mediator", object_id, detail
    return object_type, object_id, detail


class ChainBroken(Exception):
    """The chain was already broken: it is not rewritten (that would hide the tampering)."""


@dataclass(frozen=True)
class RewriteResult:
    renamed: int
    first_changed_seq: int | None
    old_head: tuple[int, str]
    new_head: tuple[int, str]
    event_seq: int | None
    unmapped: dict[str, int]


def rewrite_object_names(
    model: Any, connection: Any, *, anchors_path: Path | None = None, batch_size: int = BATCH_SIZE
) -> RewriteResult | None:
    """Rename old events' objects and re-hash the chain (see the module docstring).

    ``model`` is the ``AuditEvent`` class (a migration passes its historical one); ``connection``
    the database connection it lives on; ``anchors_path`` the anchor file (default
    ``SIFA_VAR_DIR/audit-anchors/anchors.jsonl``). Returns None for an empty chain.
    """
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [0x5F1FA])  # the chain lock
        head = model.objects.order_by("-seq").values_list("seq", "hash").first()
        if head is None:
            return None
        anchors = read_anchors(anchors_path) if anchors_path else read_anchors()
        before = verify_chain(model=model, anchors=anchors, batch_size=batch_size)
        if not before.ok:
            raise ChainBroken(f"审计链已断裂，不予重写：{before.message}")

        by_seq: dict[int, list[str]] = {}
        for anchor in anchors:
            by_seq.setdefault(anchor.seq, []).append(anchor.hash)
        triggers.uninstall(connection)
        count, first_changed, expected_prev, last_seq = 0, None, GENESIS_HASH, 0
        anchor_rows: list[dict[str, Any]] = []
        unmapped: Counter[str] = Counter()
        while True:
            batch = list(model.objects.filter(seq__gt=last_seq).order_by("seq")[:batch_size])
            if not batch:
                break
            changed = []
            for event in batch:
                old_hash = event.hash
                new = renamed(event.action, event.object_type, event.object_id, event.detail)
                if new != (event.object_type, event.object_id, event.detail):
                    event.object_type, event.object_id, event.detail = new
                    count += 1
                    first_changed = first_changed or event.seq
                elif event.object_type and event.object_type not in OBJECT_TYPES:
                    unmapped[event.object_type] += 1
                event.prev_hash = expected_prev
                event.hash = chain_hash(expected_prev, event)
                if event.hash != old_hash:
                    changed.append(event)
                    anchor_rows += [
                        {"seq": event.seq, "old_hash": anchored, "new_hash": event.hash}
                        for anchored in by_seq.get(event.seq, ())
                    ]
                expected_prev, last_seq = event.hash, event.seq
            model.objects.bulk_update(changed, ["object_type", "object_id", "detail", "prev_hash", "hash"])
        triggers.install(connection)
        if not count:
            return RewriteResult(0, None, head, head, None, dict(unmapped))

        event = model(
            seq=last_seq + 1,
            occurred_at=timezone.now(),
            actor_username="",
            role="",
            action=REWRITE_ACTION,
            object_type="",
            object_id="",
            result="success",
            ip_address=None,
            scope_path="",
            detail={
                "reason": REASON,
                "migration": MIGRATION,
                "renamed": count,
                "first_changed_seq": first_changed,
                "old_head": {"seq": head[0], "hash": head[1]},
                "new_head": {"seq": last_seq, "hash": expected_prev},
                "anchors": anchor_rows,
                "unmapped": dict(sorted(unmapped.items())),
            },
            prev_hash=expected_prev,
        )
        event.hash = chain_hash(expected_prev, event)
        event.save(force_insert=True)
        # Re-anchor once the rewrite is committed (never for a head that could still roll back).
        transaction.on_commit(lambda: write_anchor(anchors_path, model=model), using=connection.alias)
    return RewriteResult(count, first_changed, head, (last_seq, expected_prev), event.seq, dict(unmapped))
