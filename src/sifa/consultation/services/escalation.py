"""Overdue consultations go to the level above (逾期升级督办), once.

A ticket still unanswered after its due date (``SIFA_CONSULTATION_ANSWER_DAYS`` working days) is
escalated to the bureau above the organisation that holds it — a 司法所's or a centre's county
bureau, a county bureau's city bureau. The ticket stays where it is (the office can still answer),
and now also shows in the bureau's queue under 逾期升级, where its consultants may answer or
transfer it; the bureau's consultants and supervisors are told in their inbox. Run by
``sifa escalate-consultations`` (the scheduler, every 15 minutes); safe to run from several
schedulers at once (rows are claimed with ``SKIP LOCKED``).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from sifa.consultation.models import EventKind, Ticket, TicketEvent, TicketStatus
from sifa.consultation.services import routing
from sifa.consultation.services.common import audit
from sifa.consultation.services.tickets import due_text
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify
from sifa.organisations.models import Membership, Role

BATCH = 200
TOLD_ROLES = (Role.CONSULTANT, Role.SUPERVISOR)


def _claim(today: dt.date) -> list[Ticket]:
    rows = Ticket.objects.filter(status=TicketStatus.OPEN, due_date__lt=today, escalated_at__isnull=True)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows.select_related("organisation__parent").order_by("due_date", "id")[:BATCH])


def escalate_overdue(today: dt.date | None = None) -> list[str]:
    """Escalate every overdue ticket not escalated yet; the numbers escalated."""
    today = today or timezone.localdate()
    done: list[str] = []
    while True:
        with transaction.atomic():
            batch = _claim(today)
            for ticket in batch:
                _escalate(ticket)
                done.append(ticket.number)
        if len(batch) < BATCH:
            return done


def _escalate(ticket: Ticket) -> None:
    target = routing.escalation_target(ticket.organisation)
    now = timezone.now()
    # At the top there is no level above: the ticket is marked, and stays in the ministry's queue.
    ticket.escalated_at, ticket.escalated_to, ticket.updated_at = now, target, now
    ticket.save(update_fields=["escalated_at", "escalated_to", "updated_at"])
    where = target.name if target else ticket.organisation.name
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.ESCALATED,
        organisation=target,
        at=now,
        note=f"答复期限{due_text(ticket)}已过，升级至{where}督办",
    )
    audit(
        "ticket.escalate",
        None,
        organisation=target or ticket.organisation,
        subject=ticket,
        scope_path=(target or ticket.organisation).path,
        detail={"due_date": ticket.due_date.isoformat(), "from": ticket.organisation.name, "to": where},
    )
    if target is None:
        return
    users = (
        Membership.objects.filter(organisation=target, role__in=TOLD_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    context = {"number": ticket.number, "organisation": ticket.organisation.name, "due": due_text(ticket)}
    for user in {m.user_id: m.user for m in users}.values():
        notify(
            user,
            "consultation.escalated",
            context,
            channels=[NotifyChannel.IN_APP],
            related=ticket,
            link=f"/workbench/consultations/{ticket.number}/",
        )
