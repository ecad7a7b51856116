"""The 整改期限 and 回访期限 of open rectifications, counted again when the working calendar changes.

Connected to ``sifa.deadlines.signals.calendar_changed``; runs inside the calendar command's
transaction. An open rectification (待整改 or 申诉中) whose period spans a changed day, or whose date
is 暂定, is counted again from the rating's day; a new 整改期限 or mark, and a new 回访期限 while the
callback is not done, are written with their audit event ``evaluation.rectification.due_date_moved``
(no actor). Reported, closed and set-aside rectifications keep theirs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sifa.deadlines.calendar import CalendarDataMissing, add_working_days
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.stored import Recount, audit_detail, bounds, recount, starts_before, touches
from sifa.evaluation.models import Rectification, RectificationStatus
from sifa.evaluation.services.common import audit
from sifa.evaluation.services.rectifications import callback_days, rectify_days

OPEN = (RectificationStatus.OPEN, RectificationStatus.APPEALED)


def _callback_due(
    calendar: DatabaseCalendar, start: dt.date, callback: dt.date, provisional: bool, days: frozenset[dt.date]
) -> dt.date:
    """The 回访期限 counted again where the change concerns it (it has no mark of its own: it lies
    inside the 整改 period, whose mark covers it)."""
    if not provisional and not touches(days, start, callback):
        return callback
    try:
        return add_working_days(calendar, start, callback_days())
    except CalendarDataMissing:
        return callback


@transaction.atomic
def follow_calendar(days: frozenset[dt.date]) -> int:
    """Count again the open rectifications the change of ``days`` concerns; how many were written."""
    if not days:
        return 0
    first, last = bounds(days)
    spans = Q(due_date__gte=first, rating__created_at__lt=starts_before(last))
    rows = Rectification.objects.filter(status__in=OPEN).filter(Q(due_provisional=True) | spans)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("self",))
    calendar, written = DatabaseCalendar(), 0
    for rectification in rows.select_related("rating", "organisation").order_by("id"):
        start = timezone.localdate(rectification.rating.created_at)
        due, provisional = rectification.due_date, rectification.due_provisional
        new = recount(calendar, start, rectify_days(), due=due, provisional=provisional, days=days)
        callback = rectification.callback_due
        new_callback = callback
        if callback is not None and rectification.callback_at is None:
            new_callback = _callback_due(calendar, start, callback, provisional, days)
        if new is None and new_callback == callback:
            continue
        new = new or Recount(due, provisional)
        detail = audit_detail(due, provisional, new, days)
        if new_callback != callback:
            detail["callback_due_before"] = callback.isoformat() if callback else None
            detail["callback_due"] = new_callback.isoformat() if new_callback else None
        rectification.due_date, rectification.due_provisional = new.due, new.provisional
        rectification.callback_due, rectification.updated_at = new_callback, timezone.now()
        rectification.save(update_fields=["due_date", "due_provisional", "callback_due", "updated_at"])
        audit(
            "rectification.due_date_moved",
            None,
            organisation=rectification.organisation,
            subject=rectification,
            scope_path=rectification.scope_path,
            detail=detail,
        )
        written += 1
    return written


def on_calendar_changed(sender: Any, days: frozenset[dt.date], **kwargs: Any) -> None:
    follow_calendar(days)
