"""The detector: derive security events from what Sifa already records, then apply the rules.

``detect()`` is ``sifa security detect``, run every minute by ``sifa scheduler``. In one
transaction, holding its cursors (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writes one at a
time anyway), so two schedulers never derive the same event twice:

1. the audit trail since the last run: failed logins (``auth.login`` failed), lockouts
   (``auth.lockout``), back-offs (``auth.backoff``), role grants and revocations (``account.*_role``),
   detail pages and API objects answered 404 to a signed-in account (``access.not_found``, written
   by :class:`sifa.audit.context.NotFoundMiddleware`), uploads the gate refused
   (``application.material.upload_rejected``) and exports of personal data (any action ending in ``export``,
   its detail ``rows`` the number of records);
2. the exchange inbox's refusals (``exchange.Rejection``) since the last run: bad signatures and
   keys, and every other refusal as a low event;
3. the audit chain, verified against its anchors (``verify_chain``) in two cheap walks: the rows
   written since the head the previous run verified (cursor ``chain``: seq and hash), and the next
   ``SIFA_SECURITY_CHAIN_SWEEP_ROWS`` older rows of a sweep that goes round the whole chain (cursor
   ``chain-sweep``), so a row changed anywhere is found within chain length ÷ sweep minutes (the
   whole chain each minute below that length) and no run walks the whole of a national-scale
   chain. A break is a 严重 event, derived once per break (its code and seq);
4. the rules (:mod:`sifa.security.rules`): incidents opened, later events attached to the open
   incident of their rule and key; a new 高 or 严重 incident is notified (in-app) to the security
   administrators whose jurisdiction holds it.

The hot paths write at most one audit event per fact (a refused upload, a 404 to a signed-in
account); everything else is derived here. The run's time is kept (cursor ``run``) for ``/readyz``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from sifa.audit import services as audit
from sifa.audit.chain import Anchor, AnchorFileError, read_anchors, verify_chain
from sifa.audit.models import AuditEvent, AuditResult
from sifa.exchange.models import Rejection
from sifa.notifications.services import notify
from sifa.organisations.models import SEPARATED_ADMIN_ROLES, Membership, Role
from sifa.security.models import (
    OPEN_STATUSES,
    ActionKind,
    DetectorCursor,
    EventKind,
    Incident,
    IncidentAction,
    SecurityEvent,
    Severity,
)
from sifa.security.rules import RULES, Rule

AUDIT_ACTIONS = (
    "auth.login",
    "auth.lockout",
    "auth.backoff",
    "account.grant_role",
    "account.revoke_role",
    "access.not_found",
    "application.material.upload_rejected",
)
EXPORT_SUFFIX = "export"
"""An audit action ending in this (``exchange.archive_export``, a citizen's ``…data_export``) is an
export of personal data; its detail ``rows`` says how many records left."""
SIGNATURE_CODES = (
    "exchange.bad_signature",
    "exchange.digest_mismatch",
    "exchange.unknown_key",
    "exchange.key_not_valid",
    "exchange.unknown_sender",
)
SAFE_DETAIL_KEYS = (
    "method",
    "reason",
    "failures",
    "wait_seconds",
    "minutes",
    "role",
    "code",
    "rows",
    "route",
)
"""Audit detail copied onto an event: codes and counts, never a name, number or text typed by a user."""
CHAIN_KEY = "audit-chain"


@dataclass
class DetectionResult:
    events: int = 0
    opened: list[Incident] = field(default_factory=list)
    attached: int = 0
    chain_ok: bool = True
    chain_message: str = ""


def _cursor(name: str) -> DetectorCursor:
    DetectorCursor.objects.get_or_create(name=name)
    return DetectorCursor.objects.select_for_update().get(name=name)


def _from_audit(event: AuditEvent) -> SecurityEvent | None:
    account = event.object_id if event.object_type == "accounts.User" else ""
    actor = str(event.actor.public_id) if event.actor_id else ""
    details = {k: event.detail[k] for k in SAFE_DETAIL_KEYS if k in (event.detail or {})}
    kind, severity = None, Severity.LOW
    if event.action == "access.not_found":
        kind, account = EventKind.NOT_FOUND, actor
    elif event.action == "application.material.upload_rejected":
        kind, account = EventKind.UPLOAD_REJECTED, actor
    elif event.action.endswith(EXPORT_SUFFIX) and event.result == AuditResult.SUCCESS:
        kind, account = EventKind.DATA_EXPORT, actor
        details["action"] = event.action
    elif event.action == "auth.login" and event.result != AuditResult.SUCCESS:
        kind = EventKind.LOGIN_FAILED
    elif event.action == "auth.lockout":
        kind, severity = EventKind.LOCKOUT, Severity.MEDIUM
    elif event.action == "auth.backoff":
        kind = EventKind.BACKOFF
    elif event.action in ("account.grant_role", "account.revoke_role"):
        admin = details.get("role") in {str(r) for r in SEPARATED_ADMIN_ROLES}
        kind = EventKind.ADMIN_ROLE if admin else EventKind.PRIVILEGE_CHANGE
        severity = Severity.MEDIUM if admin else Severity.LOW
        details["change"] = "grant" if event.action == "account.grant_role" else "revoke"
        if event.organisation_id:
            details["organisation"] = event.organisation_id
    if kind is None:
        return None
    return SecurityEvent(
        kind=kind,
        severity=severity,
        occurred_at=event.occurred_at,
        scope_path=event.scope_path,
        account=account,
        address=event.ip_address or "",
        subject=f"{event.object_type}:{event.object_id}"[:200],
        details=details,
        source=f"audit:{event.seq}",
    )


def _derive_audit() -> int:
    cursor = _cursor("audit")
    head = AuditEvent.objects.aggregate(head=Max("seq"))["head"] or 0
    rows = (
        AuditEvent.objects.filter(seq__gt=cursor.position, seq__lte=head)
        .filter(Q(action__in=AUDIT_ACTIONS) | Q(action__endswith=EXPORT_SUFFIX))
        .select_related("actor")
        .order_by("seq")
        .iterator(chunk_size=2000)
    )
    derived = [e for e in map(_from_audit, rows) if e is not None]
    SecurityEvent.objects.bulk_create(derived, batch_size=500, ignore_conflicts=True)
    cursor.position = head
    cursor.save(update_fields=["position", "updated_at"])
    return len(derived)


def _derive_rejections() -> int:
    cursor = _cursor("exchange-rejections")
    head = Rejection.objects.aggregate(head=Max("id"))["head"] or 0
    derived = []
    for rejection in Rejection.objects.filter(id__gt=cursor.position, id__lte=head).order_by("id").iterator():
        bad_signature = rejection.code in SIGNATURE_CODES
        derived.append(
            SecurityEvent(
                kind=EventKind.BAD_SIGNATURE if bad_signature else EventKind.EXCHANGE_REFUSED,
                severity=Severity.MEDIUM if bad_signature else Severity.LOW,
                occurred_at=rejection.received_at,
                address=rejection.remote_addr[:45],
                subject=f"sender:{rejection.sender or '未声明'}"[:200],
                details={
                    "code": rejection.code,
                    "key_id": rejection.key_id,
                    "rejection": str(rejection.public_id),
                },
                source=f"rejection:{rejection.id}",
            )
        )
    SecurityEvent.objects.bulk_create(derived, batch_size=500, ignore_conflicts=True)
    cursor.position = head
    cursor.save(update_fields=["position", "updated_at"])
    return len(derived)


def _walk(start_cursor: DetectorCursor, stop: int | None) -> Any:
    start = None
    if start_cursor.position and start_cursor.hash:
        start = Anchor(start_cursor.position, start_cursor.hash, "")
    return verify_chain(anchors=read_anchors(), start=start, stop=stop)


def _check_chain(result: DetectionResult) -> int:
    verified, sweep = _cursor("chain"), _cursor("chain-sweep")
    try:
        # New rows since the last verified head (the whole chain on the first run).
        verification = _walk(verified, None)
        if verification.ok:
            verified.position, verified.hash = verification.head_seq, verification.head_hash
            verified.save(update_fields=["position", "hash", "updated_at"])
            # One slice of the sweep over older rows; having reached the head, round again.
            swept = _walk(sweep, min(sweep.position + settings.SECURITY_CHAIN_SWEEP_ROWS, verified.position))
            if swept.ok:
                done = swept.head_seq >= verified.position
                sweep.position, sweep.hash = (0, "") if done else (swept.head_seq, swept.head_hash)
                sweep.save(update_fields=["position", "hash", "updated_at"])
                result.chain_message = verification.message
                return 0
            verification = swept
    except AnchorFileError as error:
        code, seq, message = "anchors_unreadable", None, f"锚点文件无法读取：{error}"
    else:
        code, seq, message = verification.code, verification.broken_seq, verification.message
    result.chain_ok, result.chain_message = False, message
    _, created = SecurityEvent.objects.get_or_create(
        source=f"chain:{code}:{seq or 0}",
        defaults={
            "kind": EventKind.CHAIN_BROKEN,
            "severity": Severity.CRITICAL,
            "occurred_at": timezone.now(),
            "subject": f"audit.AuditEvent:{seq or ''}",
            "details": {"code": code, "seq": seq, "message": message[:500]},
        },
    )
    return int(created)


def _key_value(rule: Rule, key: str) -> str:
    return key.split(":", 1)[1] if rule.field else ""


def _title(rule: Rule, value: str, events: list[SecurityEvent]) -> str:
    detail = ""
    if rule.trigger == EventKind.CHAIN_BROKEN and events:
        detail = str(events[0].details.get("message", ""))
    triggers = [e for e in events if e.kind == rule.trigger]
    count = len({getattr(e, rule.distinct) for e in triggers}) if rule.distinct else len(triggers)
    return rule.title.format(value=value, count=count, detail=detail)[:200]


def _attach(incident: Incident, events: list[SecurityEvent], now: dt.datetime, *, opened: bool) -> None:
    SecurityEvent.objects.filter(pk__in=[e.pk for e in events]).update(incident=incident)
    incident.event_count += len(events)
    incident.last_event_at = max([incident.last_event_at, *(e.occurred_at for e in events)])
    incident.save(update_fields=["event_count", "last_event_at"])
    if not opened:
        IncidentAction.objects.create(
            incident=incident, at=now, kind=ActionKind.EVENTS, note=f"新增相关事件 {len(events)} 条"
        )
        audit.record(
            "security.events_attached",
            subject=incident,
            scope_path=incident.scope_path,
            detail={"rule": incident.rule, "events": len(events)},
        )


def _apply(rule: Rule, now: dt.datetime, result: DetectionResult) -> None:
    pending = SecurityEvent.objects.filter(kind__in=rule.kinds, incident__isnull=True)
    # Later events of an open incident's key join it.
    for incident in Incident.objects.filter(rule=rule.code, status__in=OPEN_STATUSES):
        matching = pending
        if rule.field:
            matching = matching.filter(**{rule.field: _key_value(rule, incident.key)})
        events = list(matching)
        if events:
            _attach(incident, events, now, opened=False)
            result.attached += len(events)
    # Groups that reach the threshold within the window raise a new incident.
    recent = pending.filter(occurred_at__gte=now - dt.timedelta(minutes=settings.SECURITY_WINDOW_MINUTES))
    window = recent.filter(kind=rule.trigger)
    if rule.where is not None:
        window = window.filter(rule.where())
    threshold = rule.threshold()
    counted = Count(rule.distinct, distinct=True) if rule.distinct else Count("id")
    if rule.field:
        groups = (
            window.exclude(**{rule.field: ""})
            .values_list(rule.field)
            .annotate(n=counted)
            .filter(n__gte=threshold)
            .values_list(rule.field, flat=True)
        )
        keys = [(f"{rule.field}:{value}", recent.filter(**{rule.field: value}), value) for value in groups]
    else:
        keys = [(CHAIN_KEY, recent, "")] if window.count() >= threshold else []
    for key, matching, value in keys:
        events = list(matching.order_by("occurred_at", "id"))
        if not events:
            continue
        incident = Incident.objects.create(
            rule=rule.code,
            key=key[:160],
            title=_title(rule, value, events),
            severity=rule.severity,
            scope_path=next((e.scope_path for e in events if e.scope_path), ""),
            opened_at=now,
            last_event_at=events[-1].occurred_at,
        )
        IncidentAction.objects.create(
            incident=incident,
            at=now,
            kind=ActionKind.OPENED,
            note=f"规则“{rule.name}”：相关事件 {len(events)} 条",
        )
        _attach(incident, events, now, opened=True)
        audit.record(
            "security.incident_opened",
            subject=incident,
            scope_path=incident.scope_path,
            detail={"rule": rule.code, "severity": incident.severity, "events": len(events)},
        )
        if incident.severity >= Severity.HIGH:
            _notify(incident)
        result.opened.append(incident)


def security_admins_for(scope_path: str) -> list[Any]:
    """Active security administrators whose organisation's subtree holds ``scope_path`` (all of
    them for a platform-wide incident, whose path is empty)."""
    rows = Membership.objects.filter(
        role=Role.SECURITY_ADMIN, organisation__is_active=True, user__is_active=True
    ).select_related("user", "organisation")
    users = {
        row.user.pk: row.user
        for row in rows
        if not scope_path or scope_path.startswith(row.organisation.path)
    }
    return list(users.values())


def _notify(incident: Incident) -> None:
    context = {
        "severity": incident.get_severity_display(),
        "title": incident.title,
        "opened_at": f"{timezone.localtime(incident.opened_at):%Y-%m-%d %H:%M:%S}",
        "events": incident.event_count,
    }
    for user in security_admins_for(incident.scope_path):
        notify(
            user,
            "security.incident",
            context,
            related=incident,
            link=f"/workbench/security/{incident.public_id}/",
        )


def detect(*, now: dt.datetime | None = None) -> DetectionResult:
    """One detector run (see the module's docstring). Safe to run from several schedulers."""
    result = DetectionResult()
    with transaction.atomic():
        now = now or timezone.now()
        result.events = _derive_audit() + _derive_rejections() + _check_chain(result)
        for rule in RULES:
            _apply(rule, now, result)
        run = _cursor("run")
        run.position += 1
        run.save(update_fields=["position", "updated_at"])
    return result
