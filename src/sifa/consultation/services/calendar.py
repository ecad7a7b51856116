"""The answer limit of open 12348 tickets, counted again when the working calendar changes.

Connected to ``sifa.deadlines.signals.calendar_changed``; runs inside the calendar command's
transaction. An open ticket (待答复) whose period spans a changed day, or whose date is 暂定, is counted
again from the day it was received (the call's day for a call recorded afterwards) with the limit it
was given then (``Ticket.answer_days``, never a later setting); a new date or mark is written with
its audit event ``consultation.ticket.due_date_moved`` (no actor). Answered and rated tickets keep
theirs.

When the date itself moves, the ticket's history gets a 答复期限调整 step (the asker's page and the
tracking page show it), the asker is told as they were told the date (inbox, and SMS when they
asked for it, also to a caller without an account) and the consultants and supervisors of the
organisation holding it are told in their inbox: one message per person per recount, listing every
ticket of theirs that moved (a caller without an account gets an SMS per ticket, naming it only). An escalation made under the old calendar is
withdrawn when the new date has not passed: ``escalated_at``/``escalated_to`` are cleared (the
ticket leaves the level above's 逾期升级 queue), the history keeps the escalation with an 撤销逾期升级
step, the audit event ``consultation.ticket.escalation_withdrawn`` records it and the level above is
told.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sifa.consultation.models import EventKind, Ticket, TicketStatus
from sifa.consultation.services.common import audit
from sifa.consultation.services.tickets import QUEUE_ROLES, _event, due_text, link_of
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.stored import (
    REASON,
    WITHDRAWN,
    Item,
    Letters,
    audit_detail,
    bounds,
    date_text,
    moved_line,
    moved_text,
    recount,
    starts_before,
    withdraws_escalation,
)
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify, notify_phone
from sifa.organisations.models import Membership, Organisation


def _members(organisation: Organisation) -> list[Any]:
    rows = (
        Membership.objects.filter(organisation=organisation, role__in=QUEUE_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return list({m.user_id: m.user for m in rows}.values())


def staff_link(ticket: Ticket) -> str:
    return f"/workbench/consultations/{ticket.number}/"


@transaction.atomic
def follow_calendar(days: frozenset[dt.date]) -> int:
    """Count again the open tickets the change of ``days`` concerns; how many were written."""
    if not days:
        return 0
    first, last = bounds(days)
    before_day = starts_before(last)
    received = Q(call_started_at__lt=before_day) | Q(call_started_at__isnull=True, created_at__lt=before_day)
    spans = Q(due_date__gte=first) & received
    rows = Ticket.objects.filter(status=TicketStatus.OPEN).filter(Q(due_provisional=True) | spans)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("self",))
    calendar, written, today = DatabaseCalendar(), 0, timezone.localdate()
    told = _Told()
    for ticket in rows.select_related("organisation", "escalated_to", "asker").order_by("id"):
        start = timezone.localdate(ticket.call_started_at or ticket.created_at)
        before = ticket.due_date
        new = recount(
            calendar, start, ticket.answer_days, due=before, provisional=ticket.due_provisional, days=days
        )
        if new is None:
            continue
        detail = audit_detail(before, ticket.due_provisional, new, days)
        detail["answer_days"] = ticket.answer_days
        withdraw = withdraws_escalation(ticket.escalated_at is not None, new.due, today)
        escalated_at, escalated_to = ticket.escalated_at, ticket.escalated_to
        ticket.due_date, ticket.due_provisional = new.due, new.provisional
        ticket.updated_at = timezone.now()
        fields = ["due_date", "due_provisional", "updated_at"]
        if withdraw:
            ticket.escalated_at, ticket.escalated_to = None, None
            fields += ["escalated_at", "escalated_to"]
        ticket.save(update_fields=fields)
        audit(
            "ticket.due_date_moved",
            None,
            organisation=ticket.organisation,
            subject=ticket,
            scope_path=ticket.scope_path,
            detail=detail,
        )
        if new.due != before:
            _tell_moved(ticket, before, told)
        if withdraw:
            _withdraw(ticket, escalated_at, escalated_to, before, told)
        written += 1
    told.send()
    return written


class _Told:
    """The messages of one recount: one per person (asker, consultant, supervisor), each listing
    their tickets; a caller without an account gets an SMS per ticket."""

    def __init__(self) -> None:
        self.askers, self.staff, self.above = Letters(), Letters(), Letters()
        self._members: dict[int, list[Any]] = {}

    def members(self, organisation: Organisation) -> list[Any]:
        if organisation.pk not in self._members:
            self._members[organisation.pk] = _members(organisation)
        return self._members[organisation.pk]

    def send(self) -> None:
        in_app = [NotifyChannel.IN_APP]
        self.askers.send(
            notify,
            "consultation.due_moved",
            many="/consultations/",
            channels=in_app,
            sms=NotifyChannel.SMS,
            reason=REASON,
        )
        self.staff.send(
            notify,
            "consultation.due_moved_staff",
            many="/workbench/consultations/",
            channels=in_app,
            reason=REASON,
        )
        self.above.send(
            notify, "consultation.escalation_withdrawn", many="/workbench/consultations/", channels=in_app
        )


def _tell_moved(ticket: Ticket, before: dt.date, told: _Told) -> None:
    _event(
        ticket,
        EventKind.DUE_MOVED,
        note=moved_text(before, ticket.due_date, provisional=ticket.due_provisional),
    )
    after = due_text(ticket)
    values = {"before": date_text(before), "after": after}
    line = moved_line(ticket.number, before, after)
    if ticket.asker_id is not None:
        told.askers.add(
            ticket.asker, Item(ticket.number, line, link_of(ticket), ticket, values), sms=ticket.wants_sms
        )
    elif ticket.phone_enc and ticket.wants_sms:
        # Per ticket: the SMS names this ticket only, never another one of the same number.
        notify_phone(
            ticket.reveal_phone(),
            "consultation.due_moved",
            {**values, "number": ticket.number, "reason": REASON, "count": 1, "items": [line]},
            scope_path=ticket.scope_path,
            related=ticket,
        )
    item = Item(ticket.number, line, staff_link(ticket), ticket, values)
    for user in told.members(ticket.organisation):
        told.staff.add(user, item)


def _withdraw(
    ticket: Ticket,
    escalated_at: dt.datetime | None,
    escalated_to: Organisation | None,
    before: dt.date,
    told: _Told,
) -> None:
    where = escalated_to or ticket.organisation
    _event(
        ticket,
        EventKind.ESCALATION_WITHDRAWN,
        organisation=escalated_to,
        note=f"{WITHDRAWN}至{due_text(ticket)}，撤销升级至{where.name}的督办",
    )
    audit(
        "ticket.escalation_withdrawn",
        None,
        organisation=where,
        subject=ticket,
        scope_path=where.path,
        detail={
            "escalated_at": escalated_at.isoformat() if escalated_at else None,
            "to": where.name,
            "due_before": before.isoformat(),
            "due_date": ticket.due_date.isoformat(),
            "reason": WITHDRAWN,
        },
    )
    if escalated_to is None:
        return
    values = {"organisation": ticket.organisation.name, "due": due_text(ticket)}
    line = f"{ticket.number}（{values['organisation']}承办）：顺延至{values['due']}"
    item = Item(ticket.number, line, staff_link(ticket), ticket, values)
    for user in told.members(escalated_to):
        told.above.add(user, item)


def on_calendar_changed(sender: Any, days: frozenset[dt.date], **kwargs: Any) -> None:
    follow_calendar(days)
