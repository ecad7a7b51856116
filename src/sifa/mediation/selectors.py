"""Reads of the mediation: the public roster of a 司法所, and one case as staff and the API see it.

Nothing here writes; the roster and the cases are written by ``sifa.mediation.services``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from sifa.core.errors import NotFound
from sifa.mediation.models import MediationCase, MediationCommittee, Mediator
from sifa.organisations.models import Organisation


def roster(office: Organisation) -> QuerySet[Mediator]:
    """The mediators an applicant at ``office`` may choose and staff may assign."""
    return (
        Mediator.objects.filter(committee__organisation=office, committee__is_active=True, is_active=True)
        .select_related("committee")
        .order_by("committee__name", "name", "id")
    )


def case_of(application: Any) -> MediationCase:
    """The mediation of an accepted application (404 ``mediation.not_found`` before acceptance)."""
    case = MediationCase.objects.filter(application=application).select_related("committee").first()
    if case is None:
        raise NotFound("该办件没有人民调解记录", code="mediation.not_found")
    return case


def committees(office: Organisation, *, include_inactive: bool = False) -> list[MediationCommittee]:
    """The committees on ``office``'s roster with their mediators prefetched (public data)."""
    rows = MediationCommittee.objects.filter(organisation=office).prefetch_related("mediators")
    if not include_inactive:
        rows = rows.filter(is_active=True)
    return list(rows.order_by("name", "id"))


def public_roster(office: Organisation) -> list[dict[str, Any]]:
    """What an applicant sees to choose mediators (人民调解法 §23(1)): names, posts, specialties."""
    by_committee: dict[int, dict[str, Any]] = {}
    for mediator in roster(office):
        committee = by_committee.setdefault(
            mediator.committee_id,
            {
                "committee": mediator.committee.name,
                "kind": mediator.committee.get_kind_display(),
                "mediators": [],
            },
        )
        committee["mediators"].append(
            {
                "id": mediator.pk,
                "name": mediator.name,
                "position": mediator.get_position_display(),
                "specialties": mediator.specialties,
            }
        )
    return list(by_committee.values())


def case_summary(application: Any) -> dict[str, Any] | None:
    """The mediation of a case for the staff case view and API (None before acceptance)."""
    case = (
        MediationCase.objects.filter(application=application)
        .select_related("committee")
        .prefetch_related("mediators", "sessions__mediators", "sessions__recorded_by")
        .first()
    )
    if case is None:
        return None
    return {
        "committee": case.committee.name if case.committee else None,
        "mediators": [{"id": m.pk, "name": m.name} for m in case.mediators.order_by("name", "id")],
        "preferred": list(case.preferred),
        "preference_note": case.preference_note,
        "sessions": [
            {
                "number": s.number,
                "held_on": s.held_on,
                "place": s.place,
                "mediators": [m.name for m in s.mediators.order_by("name", "id")],
                "parties_present": s.parties_present,
                "summary": s.summary,
            }
            for s in case.sessions.order_by("number")
        ],
        "outcome": case.outcome,
        "outcome_label": case.get_outcome_display(),
        "concluded_on": case.concluded_on,
        "facts": case.facts,
        "terms": list(case.terms),
        "effective_on": case.effective_on,
        "confirmation_due": case.confirmation_due,
        "confirmation_due_exact": case.confirmation_due_exact,
        "confirmation_due_provisional": case.confirmation_due_provisional,
        "termination_reason": case.termination_reason,
        "reminded_at": case.reminded_at,
    }
