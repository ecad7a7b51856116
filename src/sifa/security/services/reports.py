"""安全周报: ``sifa security weekly-report`` (hourly under ``sifa scheduler``; it writes each report once).

For the last complete week (Monday 00:00 to Sunday 24:00, Asia/Shanghai) and every active
organisation that has an active security administrator, one :class:`WeeklyReport` of that
organisation's jurisdiction (its subtree, plus the platform-wide incidents, as the 安全事件 pages
show them): security events by kind; incidents opened, closed, and overdue at the week's end (open
longer than :data:`DUE_HOURS` for their severity); time to acknowledge; the accounts and addresses
with most events; the audit chain's status (breaks found in the week, the head the detector has
verified). Written with an audit event and notified in-app to the organisation's security
administrators. Re-running is harmless: an existing report is left as it is.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from sifa.audit import services as audit
from sifa.notifications.services import notify
from sifa.organisations.models import Membership, Organisation, Role
from sifa.organisations.scope import subtree_q
from sifa.security.models import (
    OPEN_STATUSES,
    ActionKind,
    DetectorCursor,
    EventKind,
    Incident,
    IncidentAction,
    SecurityEvent,
    Severity,
    WeeklyReport,
)

DUE_HOURS = {Severity.CRITICAL: 24, Severity.HIGH: 72, Severity.MEDIUM: 168, Severity.LOW: 168}
"""How long an incident may stay open before the weekly report counts it overdue (超期)."""
TOP = 5


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the week holding ``day``."""
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def last_complete_week(now: dt.datetime | None = None) -> dt.date:
    """The Monday of the last week that has ended (Asia/Shanghai)."""
    today = timezone.localdate(now or timezone.now())
    return week_of(today)[0] - dt.timedelta(days=7)


def _bounds(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min))


def _jurisdiction(path: str) -> Q:
    return Q(scope_path="") | subtree_q("scope_path", [path])


def figures_for(organisation: Organisation, monday: dt.date) -> dict[str, Any]:
    start, end = _bounds(monday)
    where = _jurisdiction(organisation.path)
    events = SecurityEvent.objects.filter(where, occurred_at__gte=start, occurred_at__lt=end)
    labels = dict(EventKind.choices)
    by_kind = {
        labels.get(kind, kind): n
        for kind, n in events.values_list("kind").annotate(n=Count("id")).order_by("-n", "kind")
    }

    def top(field: str) -> list[list[Any]]:
        rows = events.exclude(**{field: ""}).values_list(field).annotate(n=Count("id")).order_by("-n", field)
        return [[value, n] for value, n in rows[:TOP]]

    incidents = Incident.objects.filter(where)
    opened = incidents.filter(opened_at__gte=start, opened_at__lt=end)
    closed = incidents.filter(closed_at__gte=start, closed_at__lt=end)
    open_at_end = incidents.filter(opened_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end)
    )
    overdue = [
        str(i.public_id)
        for i in open_at_end
        if end - i.opened_at > dt.timedelta(hours=DUE_HOURS.get(i.severity, 168))
    ]
    acknowledged = IncidentAction.objects.filter(
        kind=ActionKind.ACKNOWLEDGED, incident__in=opened
    ).values_list("at", "incident__opened_at")
    minutes = sorted(max(0.0, (at - opened_at).total_seconds() / 60) for at, opened_at in acknowledged)
    severities = dict(Severity.choices)
    breaks = events.filter(kind=EventKind.CHAIN_BROKEN).count()
    verified = DetectorCursor.objects.filter(name="chain").values_list("position", flat=True).first() or 0
    return {
        "events": events.count(),
        "events_by_kind": by_kind,
        "incidents_opened": opened.count(),
        "incidents_opened_by_severity": {
            severities[s]: n
            for s, n in opened.values_list("severity").annotate(n=Count("id")).order_by("-severity")
        },
        "incidents_closed": closed.count(),
        "incidents_open_at_end": open_at_end.count(),
        "incidents_overdue": len(overdue),
        "overdue": overdue,
        "acknowledged": len(minutes),
        "acknowledge_minutes_median": round(statistics.median(minutes), 1) if minutes else None,
        "acknowledge_minutes_max": round(minutes[-1], 1) if minutes else None,
        "top_accounts": top("account"),
        "top_addresses": top("address"),
        "chain_breaks": breaks,
        "chain_status": "核验通过" if breaks == 0 else f"发现断裂 {breaks} 处",
        "chain_verified_seq": verified,
        "still_open": incidents.filter(status__in=OPEN_STATUSES).count(),
    }


def _organisations() -> list[Organisation]:
    ids = Membership.objects.filter(
        role=Role.SECURITY_ADMIN, organisation__is_active=True, user__is_active=True
    ).values_list("organisation_id", flat=True)
    return list(Organisation.objects.filter(pk__in=set(ids)).order_by("path"))


def weekly_reports(*, monday: dt.date | None = None, now: dt.datetime | None = None) -> list[WeeklyReport]:
    """Write the missing reports of the week starting ``monday`` (default: the last complete week)."""
    now = now or timezone.now()
    monday = week_of(monday)[0] if monday else last_complete_week(now)
    written = []
    for organisation in _organisations():
        if WeeklyReport.objects.filter(organisation=organisation, week_start=monday).exists():
            continue
        try:
            with transaction.atomic():
                written.append(_write(organisation, monday, now))
        except IntegrityError:  # another scheduler wrote it meanwhile
            continue
    return written


def _write(organisation: Organisation, monday: dt.date, now: dt.datetime) -> WeeklyReport:
    figures = figures_for(organisation, monday)
    report = WeeklyReport.objects.create(
        organisation=organisation,
        scope_path=organisation.path,
        week_start=monday,
        week_end=monday + dt.timedelta(days=6),
        created_at=now,
        figures=figures,
    )
    audit.record(
        "security.weekly_report",
        subject=report,
        organisation=organisation,
        scope_path=organisation.path,
        detail={
            "week": monday.isoformat(),
            "events": figures["events"],
            "opened": figures["incidents_opened"],
        },
    )
    admins = Membership.objects.filter(
        organisation=organisation, role=Role.SECURITY_ADMIN, user__is_active=True
    ).select_related("user")
    context = {
        "organisation": organisation.name,
        "week": f"{report.week_start:%Y-%m-%d} 至 {report.week_end:%Y-%m-%d}",
        "events": figures["events"],
        "opened": figures["incidents_opened"],
        "closed": figures["incidents_closed"],
        "overdue": figures["incidents_overdue"],
        "chain": figures["chain_status"],
    }
    for user in {row.user.pk: row.user for row in admins}.values():
        notify(
            user,
            "security.weekly_report",
            context,
            related=report,
            link=f"/workbench/security/reports/{report.public_id}/",
        )
    return report
