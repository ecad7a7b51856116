"""Migration ``audit.0003_object_names``: old events get the naming rule and the chain stays valid.

The chain is built the old way (rows inserted with the names the code used to write), anchored
twice, then rewritten by :func:`sifa.audit.services.renames.rewrite_object_names` — what the migration
runs. Runs on SQLite and on PostgreSQL (``DATABASE_URL``), triggers and all.
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sifa.audit.chain import REWRITE_ACTION, Anchor, read_anchors, verify_chain, write_anchor
from sifa.audit.hashing import GENESIS_HASH, chain_hash
from sifa.audit.models import AuditEvent
from sifa.audit.services.renames import ChainBroken, rewrite_object_names
from sifa.audit.subjects import OBJECT_TYPES
from sifa.audit.tests.conftest import raw, triggers_dropped

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]

USER = str(uuid.UUID(int=1))
DOCUMENT = str(uuid.UUID(int=2))

# (action, old object_type, old object_id, detail) → expected (object_type, object_id, detail)
OLD_EVENTS = [
    (("auth.login", "accounts.User", USER, {}), ("accounts.User", USER, {})),
    (
        ("workflow.accept", "Application", "SF3301002026120400001", {}),
        ("applications.Application", "SF3301002026120400001", {}),
    ),
    (
        ("documents.issue", "document", DOCUMENT, {"kind": "x"}),
        ("documents.Document", DOCUMENT, {"kind": "x"}),
    ),
    (("documents.seal.rotate", "seal_certificate", "1a2b", {}), ("documents.SealCertificate", "1a2b", {})),
    (
        ("deadlines.calendar.seed", "CalendarYear", "2025-2027", {"created": 3}),
        ("deadlines.CalendarYear", "", {"created": 3, "years": "2025-2027"}),
    ),
    (("deadlines.calendar_year.define", "CalendarYear", "2028", {}), ("deadlines.CalendarYear", "2028", {})),
    (
        ("deadlines.calendar_day.set", "CalendarDay", "2027-01-01", {}),
        ("deadlines.CalendarDay", "2027-01-01", {}),
    ),
    (("deadlines.calendar_notice.save", "CalendarNotice", "5", {}), ("deadlines.CalendarNotice", "5", {})),
    (("deadlines.clock.start", "ClockState", "12", {}), ("deadlines.ClockState", "12", {})),
    (("catalogue.item.create", "catalogue.item", "BASIC", {}), ("catalogue.CatalogueItem", "BASIC", {})),
    (
        ("catalogue.version.publish", "catalogue.item", "BASIC/v2", {}),
        ("catalogue.ItemVersion", "BASIC/v2", {}),
    ),
    (
        ("catalogue.import", "catalogue.catalogue", "2026-11-01T00:00:00+08:00", {}),
        ("catalogue.Catalogue", "2026-11-01T00:00:00+08:00", {}),
    ),
    (("mediation.committee.create", "mediation.roster", "3", {}), ("mediation.MediationCommittee", "3", {})),
    (("mediation.mediator.add", "mediation.roster", "4", {}), ("mediation.Mediator", "4", {})),
    (("legacy.unknown", "case", "C1", {}), ("case", "C1", {})),
    (("audit.events_read", "", "", {}), ("", "", {})),
]


def append_old(action: str, object_type: str, object_id: str, detail: dict) -> AuditEvent:
    """Insert an event exactly as the old code stored it (INSERT is allowed: only UPDATE/DELETE are not)."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = head if head else (0, GENESIS_HASH)
    event = AuditEvent(
        seq=seq + 1,
        occurred_at=timezone.now(),
        action=action,
        object_type=object_type,
        object_id=object_id,
        result="success",
        scope_path="",
        detail=detail,
        prev_hash=prev,
    )
    event.hash = chain_hash(prev, event)
    event.save(force_insert=True)
    return event


@pytest.fixture
def anchors(tmp_path):
    return tmp_path / "anchors.jsonl"


@pytest.fixture
def old_chain(anchors):
    """The old events, anchored after the fourth and after the last (as cron would have)."""
    for number, (old, _new) in enumerate(OLD_EVENTS, start=1):
        append_old(*old)
        if number in (4, len(OLD_EVENTS)):
            write_anchor(anchors)
    assert verify_chain(anchors=read_anchors(anchors)).ok
    return {event.seq: event.hash for event in AuditEvent.objects.all()}


def rewrite(anchors, capture):
    with capture(execute=True):
        return rewrite_object_names(AuditEvent, connection, anchors_path=anchors, batch_size=5)


def test_old_names_follow_the_rule_and_the_chain_still_verifies(
    old_chain, anchors, django_capture_on_commit_callbacks
):
    result = rewrite(anchors, django_capture_on_commit_callbacks)

    rows = list(AuditEvent.objects.filter(seq__lte=len(OLD_EVENTS)).order_by("seq"))
    assert [(e.object_type, e.object_id, e.detail) for e in rows] == [new for _old, new in OLD_EVENTS]
    assert all(e.object_type in OBJECT_TYPES for e in rows if e.object_type not in ("", "case"))
    # Rows before the first renamed one keep their hashes; every later one was re-hashed.
    assert result.first_changed_seq == 2 and rows[0].hash == old_chain[1]
    assert all(e.hash != old_chain[e.seq] for e in rows[1:])
    assert result.renamed == len(OLD_EVENTS) - 3  # three rows already follow the rule or are unknown
    assert result.unmapped == {"case": 1}

    # One event says what happened, with the old and the new head and every rewritten anchor.
    event = AuditEvent.objects.get(action=REWRITE_ACTION)
    assert event.seq == len(OLD_EVENTS) + 1 == result.event_seq
    detail = event.detail
    assert detail["old_head"] == {"seq": len(OLD_EVENTS), "hash": old_chain[len(OLD_EVENTS)]}
    assert detail["new_head"] == {"seq": len(OLD_EVENTS), "hash": rows[-1].hash}
    assert detail["anchors"] == [
        {"seq": 4, "old_hash": old_chain[4], "new_hash": rows[3].hash},
        {"seq": len(OLD_EVENTS), "old_hash": old_chain[len(OLD_EVENTS)], "new_hash": rows[-1].hash},
    ]
    assert detail["unmapped"] == {"case": 1} and detail["renamed"] == result.renamed

    # Re-anchored after commit, and verify accounts for every anchor written before.
    written = read_anchors(anchors)
    assert len(written) == 3 and (written[-1].seq, written[-1].hash) == (event.seq, event.hash)
    verified = verify_chain(anchors=written)
    assert verified.ok and verified.anchors_rewritten == 2, verified.message
    assert "2 个锚点" in verified.message
    assert verify_chain(anchors=[]).ok

    # The guard triggers are back.
    with pytest.raises(DatabaseError, match="禁止修改"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="x")


def test_an_anchor_the_rewrite_does_not_explain_still_fails(
    old_chain, anchors, django_capture_on_commit_callbacks
):
    rewrite(anchors, django_capture_on_commit_callbacks)
    stray = Anchor(seq=3, hash="f" * 64, anchored_at="2026-12-01T00:00:00+08:00")
    result = verify_chain(anchors=[*read_anchors(anchors), stray])
    assert (result.ok, result.code, result.broken_seq) == (False, "anchor_mismatch", 3)


def test_a_broken_chain_is_refused_not_laundered(old_chain, anchors, django_capture_on_commit_callbacks):
    with triggers_dropped():
        raw("UPDATE audit_auditevent SET object_id = 'forged' WHERE seq = 3")
    with pytest.raises(ChainBroken, match="第 3 条"):
        rewrite(anchors, django_capture_on_commit_callbacks)
    assert AuditEvent.objects.get(seq=2).object_type == "Application"  # nothing rewritten
    assert not AuditEvent.objects.filter(action=REWRITE_ACTION).exists()
    assert len(read_anchors(anchors)) == 2


def test_a_second_run_changes_nothing(old_chain, anchors, django_capture_on_commit_callbacks):
    rewrite(anchors, django_capture_on_commit_callbacks)
    hashes = list(AuditEvent.objects.values_list("hash", flat=True))
    again = rewrite(anchors, django_capture_on_commit_callbacks)
    assert again.renamed == 0 and again.event_seq is None
    assert list(AuditEvent.objects.values_list("hash", flat=True)) == hashes
    assert len(read_anchors(anchors)) == 3


def test_an_empty_chain_is_left_alone(anchors, django_capture_on_commit_callbacks):
    assert rewrite(anchors, django_capture_on_commit_callbacks) is None
    assert not anchors.exists()


def test_the_migration_runs_the_rewrite(old_chain, settings, tmp_path, django_capture_on_commit_callbacks):
    """The migration module calls the same function with its historical model (anchors in the
    default file under SIFA_VAR_DIR)."""
    settings.VAR_DIR = tmp_path
    migration = importlib.import_module("sifa.audit.migrations.0003_object_names")
    with django_capture_on_commit_callbacks(execute=True):
        migration.forwards(apps, SimpleNamespace(connection=connection))
    assert AuditEvent.objects.get(seq=2).object_type == "applications.Application"
    assert verify_chain(anchors=read_anchors(tmp_path / "audit-anchors" / "anchors.jsonl")).ok


def test_timestamps_stay_as_they_were(old_chain, anchors, django_capture_on_commit_callbacks):
    before = dict(AuditEvent.objects.values_list("seq", "occurred_at"))
    rewrite(anchors, django_capture_on_commit_callbacks)
    after = dict(AuditEvent.objects.filter(seq__lte=len(OLD_EVENTS)).values_list("seq", "occurred_at"))
    assert after == before
    assert all(isinstance(value, dt.datetime) for value in after.values())
