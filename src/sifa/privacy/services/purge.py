"""``sifa privacy purge`` (daily under ``sifa scheduler``): apply the retention table.

Each rule with a period (:data:`sifa.privacy.retention.RULES`) is applied by the app that owns
the rows: ``accounts`` deletes expired text messages and challenges, ``consultation`` clears the
contact details of long-answered tickets, ``audit`` removes the expired prefix of the access log
and of the audit trail through their owner's purge functions, recording each checkpoint in the
audit chain first so ``sifa audit verify`` and ``verify-access`` still pass. The audit trail is
never purged past the ``audit.access_purged`` event the access log's verification starts from.

One ``privacy.purged`` audit event per run names the counts per rule, never a row's contents. A
dry run counts what would go and changes nothing (and records nothing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.accounts.models import User
from sifa.accounts.services.sms import purge_sms_before
from sifa.audit import services as audit
from sifa.audit.chain import access_purge_checkpoint
from sifa.audit.models import AuditEvent
from sifa.audit.services.retention import purge_access_before, purge_before
from sifa.audit.triggers import ACCESS_PURGE_ACTION
from sifa.consultation.services.retention import anonymise_contacts_before
from sifa.privacy import retention


def _days(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


def _audit_cutoff(now: dt.datetime) -> dt.datetime:
    """The audit trail's cutoff, never past the event the access log's verification starts from."""
    cutoff = _days(now, retention.AUDIT_DAYS)
    checkpoint = access_purge_checkpoint()
    if checkpoint is None:
        return cutoff
    events = AuditEvent.objects.filter(action=ACCESS_PURGE_ACTION).order_by("seq")
    for event in events.values("occurred_at", "detail"):
        detail = event["detail"] or {}
        if (
            str(detail.get("through_seq")) == str(checkpoint[0])
            and detail.get("through_hash") == checkpoint[1]
        ):
            return min(cutoff, event["occurred_at"])
    return cutoff


def purge(
    *, dry_run: bool = False, actor: User | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Apply every rule with a period; returns the counts per rule (what would go, with ``dry_run``)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts.update(purge_sms_before(_days(now, retention.SMS_DAYS), dry_run=dry_run))
        counts["consultation.contacts"] = anonymise_contacts_before(
            _days(now, retention.CONSULTATION_CONTACT_DAYS), dry_run=dry_run
        )
    counts["access_log"] = purge_access_before(
        _days(now, retention.ACCESS_LOG_DAYS), actor=actor, dry_run=dry_run
    )
    audit_cutoff = _audit_cutoff(now)
    if dry_run:
        counts["audit"] = AuditEvent.objects.filter(occurred_at__lt=audit_cutoff).count()
    else:
        counts["audit"] = purge_before(audit_cutoff, actor=actor)
        audit.record("privacy.purged", actor=actor, subject=None, detail={"counts": counts})
    return {"dry_run": dry_run, "at": now.isoformat(), "counts": counts}
