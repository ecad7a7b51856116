"""The answer limit of open 12348 tickets, counted again when the working calendar changes.

Connected to ``sifa.deadlines.signals.calendar_changed``; runs inside the calendar command's
transaction. An open ticket (待答复) whose period spans a changed day, or whose date is 暂定, is counted
again from the day it was received (the call's day for a call recorded afterwards); a new date or
mark is written with its audit event ``consultation.ticket.due_date_moved`` (no actor). Answered
and rated tickets keep theirs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sifa.consultation.models import Ticket, TicketStatus
from sifa.consultation.services.common import audit
from sifa.consultation.services.tickets import answer_days
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.stored import audit_detail, bounds, recount, starts_before


@transaction.atomic
def follow_calendar(days: frozenset[dt.date]) -> int:
    """Count again the open tickets the change of ``days`` concerns; how many were written."""
    if not days:
        return 0
    first, last = bounds(days)
    before = starts_before(last)
    received = Q(call_started_at__lt=before) | Q(call_started_at__isnull=True, created_at__lt=before)
    spans = Q(due_date__gte=first) & received
    rows = Ticket.objects.filter(status=TicketStatus.OPEN).filter(Q(due_provisional=True) | spans)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("self",))
    calendar, limit, written = DatabaseCalendar(), answer_days(), 0
    for ticket in rows.select_related("organisation").order_by("id"):
        start = timezone.localdate(ticket.call_started_at or ticket.created_at)
        new = recount(
            calendar, start, limit, due=ticket.due_date, provisional=ticket.due_provisional, days=days
        )
        if new is None:
            continue
        detail = audit_detail(ticket.due_date, ticket.due_provisional, new, days)
        ticket.due_date, ticket.due_provisional = new.due, new.provisional
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["due_date", "due_provisional", "updated_at"])
        audit(
            "ticket.due_date_moved",
            None,
            organisation=ticket.organisation,
            subject=ticket,
            scope_path=ticket.scope_path,
            detail=detail,
        )
        written += 1
    return written


def on_calendar_changed(sender: Any, days: frozenset[dt.date], **kwargs: Any) -> None:
    follow_calendar(days)
