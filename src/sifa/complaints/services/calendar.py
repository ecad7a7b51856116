"""The 答复期限 of open complaints, counted again when the working calendar changes.

Connected to ``sifa.deadlines.signals.calendar_changed``; runs inside the calendar command's
transaction. An open complaint (submitted or accepted) whose period spans a changed day, or whose
date is 暂定, is counted again from the day it was made; a new date or mark is written with its audit
event ``complaints.complaint.due_date_moved`` (no actor). Replied and closed complaints keep theirs.
A 督办期限 is a date the supervisor set, not a count, and is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sifa.complaints.models import OPEN_STATUSES, Complaint
from sifa.complaints.services.complaints import _audit, reply_days
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.stored import audit_detail, bounds, recount, starts_before


@transaction.atomic
def follow_calendar(days: frozenset[dt.date]) -> int:
    """Count again the open complaints the change of ``days`` concerns; how many were written."""
    if not days:
        return 0
    first, last = bounds(days)
    spans = Q(due_date__gte=first, created_at__lt=starts_before(last))
    rows = Complaint.objects.filter(status__in=OPEN_STATUSES).filter(Q(due_provisional=True) | spans)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("self",))
    calendar, limit, written = DatabaseCalendar(), reply_days(), 0
    for complaint in rows.select_related("handler").order_by("id"):
        start = timezone.localdate(complaint.created_at)
        new = recount(
            calendar, start, limit, due=complaint.due_date, provisional=complaint.due_provisional, days=days
        )
        if new is None:
            continue
        detail = audit_detail(complaint.due_date, complaint.due_provisional, new, days)
        complaint.due_date, complaint.due_provisional = new.due, new.provisional
        complaint.updated_at = timezone.now()
        complaint.save(update_fields=["due_date", "due_provisional", "updated_at"])
        _audit(
            "complaint.due_date_moved",
            None,
            organisation=complaint.handler,
            complaint=complaint,
            detail=detail,
        )
        written += 1
    return written


def on_calendar_changed(sender: Any, days: frozenset[dt.date], **kwargs: Any) -> None:
    follow_calendar(days)
