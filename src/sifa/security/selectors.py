"""Reads of incidents for the security administrator: scoped, open ones first, then by severity."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from sifa.organisations.models import Role
from sifa.organisations.scope import Actor, subtree_q
from sifa.security.models import DetectorCursor, Incident, IncidentStatus, WeeklyReport


def visible_incidents(actor: Actor) -> QuerySet[Incident]:
    """The incidents of the actor's security-administrator jurisdictions and the platform-wide ones
    (no jurisdiction); none for anyone else, superusers included (三员分立)."""
    paths = actor.paths_for([Role.SECURITY_ADMIN])
    if not paths:
        return Incident.objects.none()
    return (
        Incident.objects.filter(Q(scope_path="") | subtree_q("scope_path", paths))
        .annotate(
            closed=Case(
                When(status=IncidentStatus.CLOSED, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .select_related("owner")
        .order_by("closed", "-severity", "-opened_at", "-id")
    )


def incident_for(actor: Actor, public_id) -> Incident | None:
    return visible_incidents(actor).filter(public_id=public_id).first()


def timeline(incident: Incident):
    return incident.actions.select_related("actor").order_by("at", "id")


def recent_events(incident: Incident, limit: int = 50):
    return incident.events.order_by("-occurred_at", "-id")[:limit]


def detector_cursors() -> dict[str, DetectorCursor]:
    """The detector's cursors by name (``run``: its last run; ``audit``, ``chain`` …)."""
    return {cursor.name: cursor for cursor in DetectorCursor.objects.all()}


def visible_reports(actor: Actor) -> QuerySet[WeeklyReport]:
    """The weekly reports of the actor's security-administrator jurisdictions (none for anyone else)."""
    paths = actor.paths_for([Role.SECURITY_ADMIN])
    if not paths:
        return WeeklyReport.objects.none()
    return WeeklyReport.objects.filter(subtree_q("scope_path", paths)).select_related("organisation")


def report_for(actor: Actor, public_id) -> WeeklyReport | None:
    return visible_reports(actor).filter(public_id=public_id).first()
