"""Reads of consultation tickets, always scoped in SQL (``sifa.organisations.scope.scoped``).

* staff: :func:`queue` (the tickets of their jurisdiction, for consultants and supervisors) and
  :func:`for_staff` (one ticket; every read of its personal data is in the asker's access log);
* the signed-in asker: :func:`mine` and :func:`for_asker`;
* anyone holding the tracking code: :func:`by_tracking_code`.

Out of scope is 404, never 403: a number someone else holds does not exist for the caller.
:func:`view` turns a ticket into what a page or the API shows, opening the sealed fields only
for a caller the selector above already let through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from sifa.applications import query_codes
from sifa.audit.services import record_access
from sifa.consultation.models import Category, Channel, EventKind, Ticket, TicketStatus
from sifa.consultation.services.tickets import QUEUE_ROLES, link_of
from sifa.core.errors import NotFound
from sifa.organisations.scope import Actor, actor_for, scoped

NUMBER_MAX = 30
ASKER_EVENTS = (
    EventKind.CREATED,
    EventKind.ROUTED,
    EventKind.TRANSFERRED,
    EventKind.DUE_MOVED,
    EventKind.ANSWERED,
    EventKind.SMS_SENT,
    EventKind.RATED,
    EventKind.CONVERTED,
)
"""What the asker sees of the history (escalation is internal supervision)."""

QUEUES = {
    "open": "待答复",
    "overdue": "已逾期",
    "escalated": "逾期升级",
    "answered": "已答复",
    "closed": "已评价",
    "all": "全部",
}
"""The staff queue's tabs, by key."""


def _status_q(key: str) -> Q:
    if key == "overdue":
        return Q(status=TicketStatus.OPEN, due_date__lt=timezone.localdate())
    if key == "escalated":
        return Q(status=TicketStatus.OPEN, escalated_at__isnull=False)
    if key == "answered":
        return Q(status=TicketStatus.ANSWERED)
    if key == "closed":
        return Q(status=TicketStatus.CLOSED)
    if key == "all":
        return Q()
    return Q(status=TicketStatus.OPEN)


def _not_found() -> NotFound:
    return NotFound("未找到该咨询工单", code="consultation.not_found")


def _clean_number(number: Any) -> str:
    number = str(number or "").strip().upper()
    if not number or len(number) > NUMBER_MAX or not number.isalnum():
        raise _not_found()
    return number


def queue(
    actor: Actor,
    *,
    status: str = "open",
    category: str = "",
    channel: str = "",
    mine_only_org: int | None = None,
) -> QuerySet[Ticket]:
    """The staff queue: tickets of the actor's jurisdiction where they are a consultant or a
    supervisor, oldest due first. ``status`` is a key of :data:`QUEUES`."""
    rows = scoped(Ticket.objects.all(), actor, roles=QUEUE_ROLES).filter(_status_q(status))
    if actor.user_id is not None and not actor.is_staff_actor and not actor.is_superuser:
        return rows.none()  # the asker's own tickets are :func:`mine`, never a queue
    if category in Category.values:
        rows = rows.filter(category=category)
    if channel in Channel.values:
        rows = rows.filter(channel=channel)
    if mine_only_org:
        rows = rows.filter(organisation_id=mine_only_org)
    return rows.select_related("organisation", "region", "escalated_to").order_by(
        "due_date", "created_at", "id"
    )


def can_work_queue(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*QUEUE_ROLES)


def for_staff(user: Any, number: Any, *, purpose: str = "办理法律咨询") -> Ticket:
    """One ticket for a consultant or supervisor in scope (404 otherwise); the read of its personal
    data is logged for the asker (个人信息保护法: the person sees who read their data)."""
    actor = actor_for(user)
    if not actor.is_staff_actor and not actor.is_superuser:
        raise _not_found()
    ticket = (
        scoped(Ticket.objects.all(), actor, roles=QUEUE_ROLES)
        .filter(number=_clean_number(number))
        .select_related("organisation", "region", "asker", "escalated_to", "answered_by", "recorded_by")
        .first()
    )
    if ticket is None:
        raise _not_found()
    record_access(
        reader=user,
        subject=ticket.asker,
        subject_ref=ticket.number,
        object_type="consultation.Ticket",
        purpose=purpose,
        scope_path=ticket.scope_path,
        actor=actor,
        roles=QUEUE_ROLES,
    )
    return ticket


def mine(user: Any) -> QuerySet[Ticket]:
    if not getattr(user, "is_authenticated", False):
        return Ticket.objects.none()
    return (
        Ticket.objects.filter(asker_id=user.pk).select_related("organisation").order_by("-created_at", "-id")
    )


def for_asker(user: Any, number: Any) -> Ticket:
    if not getattr(user, "is_authenticated", False):
        raise _not_found()
    ticket = (
        Ticket.objects.filter(asker_id=user.pk, number=_clean_number(number))
        .select_related("organisation", "region", "application")
        .first()
    )
    if ticket is None:
        raise _not_found()
    return ticket


def by_tracking_code(number: Any, code: Any) -> Ticket:
    """An anonymous asker's ticket by number and tracking code (constant-time; 404 on any mismatch)."""
    number = _clean_number(number)
    code = str(code or "").strip()
    if not code or len(code) > 20:
        raise _not_found()
    ticket = (
        Ticket.objects.filter(number=number, asker__isnull=True)
        .select_related("organisation", "region")
        .first()
    )
    if ticket is None or not query_codes.query_code_matches(code, ticket.tracking_code_digest):
        raise _not_found()
    return ticket


@dataclass(frozen=True)
class CitationView:
    label: str
    url: str


def citations(ticket: Ticket) -> list[CitationView]:
    return [
        CitationView(c.label, reverse("laws-article", args=[c.statute_slug, c.article_key]))
        for c in ticket.citations.all()
    ]


def history(ticket: Ticket, *, staff: bool) -> list[dict[str, Any]]:
    rows = ticket.events.select_related("organisation", "actor").order_by("at", "id")
    if not staff:
        rows = rows.filter(kind__in=ASKER_EVENTS)
    return [
        {
            "kind": event.kind,
            "label": event.get_kind_display(),
            "at": event.at,
            "organisation": event.organisation.name if event.organisation else "",
            "note": event.note,
            **({"actor": event.actor.display_name if event.actor else ""} if staff else {}),
        }
        for event in rows
    ]


def view(ticket: Ticket, *, staff: bool = False) -> dict[str, Any]:
    """What the asker (``staff=False``) or a consultant in scope sees. The caller has passed one of
    the selectors above; this opens the sealed question and answer."""
    data: dict[str, Any] = {
        "number": ticket.number,
        "channel": ticket.channel,
        "channel_label": ticket.get_channel_display(),
        "category": ticket.category,
        "category_label": ticket.get_category_display(),
        "region": ticket.region.code,
        "region_name": ticket.region.name,
        "title": ticket.title,
        "question": ticket.reveal_question(),
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "organisation": ticket.organisation.name,
        "received_at": ticket.created_at,
        "due_date": ticket.due_date,
        "due_provisional": ticket.due_provisional,
        "overdue": ticket.is_overdue,
        "answer": ticket.reveal_answer() if ticket.answer_enc else "",
        "answered_at": ticket.answered_at,
        "citations": [{"label": c.label, "url": c.url} for c in citations(ticket)],
        "satisfaction": ticket.satisfaction,
        "satisfaction_label": ticket.get_satisfaction_display() if ticket.satisfaction else "",
        "rating_comment": ticket.rating_comment,
        "rated_at": ticket.rated_at,
        "wants_sms": ticket.wants_sms,
        "phone_masked": ticket.phone_masked,
        "url": link_of(ticket),
        "application": str(ticket.application_id) if ticket.application_id else "",
        "history": history(ticket, staff=staff),
    }
    moves = [step["note"] for step in data["history"] if step["kind"] == EventKind.DUE_MOVED]
    data["due_change"] = moves[-1] if moves else ""
    # Who answered: the organisation the answer was given for (its 答复 event), which is not the
    # 承办机构 when the 12348 operator answered on the call (当场答复: the operator's own organisation).
    answered = [step["organisation"] for step in data["history"] if step["kind"] == EventKind.ANSWERED]
    data["answered_by_organisation"] = (answered[-1] or data["organisation"]) if answered else ""
    if staff:
        data.update(
            {
                "name_masked": ticket.name_masked,
                "organisation_id": ticket.organisation_id,
                "escalated_at": ticket.escalated_at,
                "escalated_to": ticket.escalated_to.name if ticket.escalated_to else "",
                "recorded_by": ticket.recorded_by.display_name if ticket.recorded_by else "",
                "answered_by": ticket.answered_by.display_name if ticket.answered_by else "",
                "call_started_at": ticket.call_started_at,
                "call_ended_at": ticket.call_ended_at,
                "recording_ref": ticket.recording_ref,
                "asker_signed_in": ticket.asker_id is not None,
            }
        )
    return data
