"""The 答复期限 of open complaints, counted again when the working calendar changes.

Connected to ``sifa.deadlines.signals.calendar_changed``; runs inside the calendar command's
transaction. An open complaint (submitted or accepted) whose period spans a changed day, or whose
date is 暂定, is counted again from the day it was made with the limit it was given then
(``Complaint.reply_days``, never a later setting); a new date or mark is written with its audit
event ``complaints.complaint.due_date_moved`` (no actor). Replied and closed complaints keep theirs.

When the date itself moves, the complainant's history gets a 答复期限调整 step (the tracking page
and 我的空间 show it), the complainant is told as they were told the date (inbox, and SMS when they
asked for it, also to an anonymous complainant's number), and the handling organisation's
supervisors are told in their inbox — never the staff member complained about, and no message
names the complainant. An overdue mark (逾期提示上级) made under the old calendar is withdrawn
when the new date has not passed: the mark is cleared (so the complaint leaves the level above's
overdue list and the indicators' 逾期升级 count), the history keeps it with an 撤销逾期提示 step,
the audit event ``complaints.complaint.overdue_withdrawn`` records it, and the level above's
supervisors are told. A 督办期限 is a date the supervisor set, not a count, and is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sifa.complaints.models import OPEN_STATUSES, Complaint, EventKind
from sifa.complaints.services.complaints import (
    _audit,
    _event,
    due_text,
    level_above,
    my_link,
    staff_link,
    supervisors_of,
)
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.stored import (
    REASON,
    WITHDRAWN,
    audit_detail,
    bounds,
    date_text,
    moved_text,
    recount,
    starts_before,
    withdraws_escalation,
)
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify, notify_phone


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
    calendar, written, today = DatabaseCalendar(), 0, timezone.localdate()
    for complaint in rows.select_related("handler", "complainant").order_by("id"):
        start = timezone.localdate(complaint.created_at)
        before = complaint.due_date
        new = recount(
            calendar,
            start,
            complaint.reply_days,
            due=before,
            provisional=complaint.due_provisional,
            days=days,
        )
        if new is None:
            continue
        detail = audit_detail(before, complaint.due_provisional, new, days)
        detail["reply_days"] = complaint.reply_days
        withdraw = withdraws_escalation(complaint.overdue_at is not None, new.due, today)
        complaint.due_date, complaint.due_provisional = new.due, new.provisional
        complaint.updated_at = timezone.now()
        fields = ["due_date", "due_provisional", "updated_at"]
        overdue_at = complaint.overdue_at
        if withdraw:
            complaint.overdue_at = None
            fields.append("overdue_at")
        complaint.save(update_fields=fields)
        _audit(
            "complaint.due_date_moved",
            None,
            organisation=complaint.handler,
            complaint=complaint,
            detail=detail,
        )
        if new.due != before:
            _tell_moved(complaint, before)
        if withdraw:
            _withdraw(complaint, overdue_at, before)
        written += 1
    return written


def _tell_moved(complaint: Complaint, before: dt.date) -> None:
    """The history step, the complainant (as they were told the date) and the handlers."""
    note = moved_text(before, complaint.due_date, provisional=complaint.due_provisional)
    _event(complaint, EventKind.DUE_MOVED, note=note)
    context = {
        "number": complaint.number,
        "before": date_text(before),
        "after": due_text(complaint),
        "reason": REASON,
    }
    if complaint.complainant_id is not None:
        channels = [NotifyChannel.IN_APP, *([NotifyChannel.SMS] if complaint.wants_sms else [])]
        notify(
            complaint.complainant,
            "complaints.due_moved",
            context,
            channels=channels,
            related=complaint,
            link=my_link(complaint),
        )
    elif complaint.phone_enc and complaint.wants_sms:
        notify_phone(
            complaint.reveal_phone(),
            "complaints.due_moved",
            context,
            scope_path=complaint.scope_path,
            related=complaint,
        )
    for supervisor in supervisors_of(complaint.handler):
        if supervisor.pk != complaint.staff_member_id:
            notify(
                supervisor,
                "complaints.due_moved_staff",
                context,
                channels=[NotifyChannel.IN_APP],
                related=complaint,
                link=staff_link(complaint),
            )


def _withdraw(complaint: Complaint, overdue_at: dt.datetime | None, before: dt.date) -> None:
    """Withdraw the overdue mark: kept in the history and the audit trail, the level above told."""
    above = level_above(complaint.handler)
    where = above.name if above else complaint.handler.name
    _event(
        complaint,
        EventKind.OVERDUE_WITHDRAWN,
        organisation=above,
        note=f"{WITHDRAWN}至{due_text(complaint)}，撤销对{where}的逾期提示",
    )
    _audit(
        "complaint.overdue_withdrawn",
        None,
        organisation=above or complaint.handler,
        complaint=complaint,
        detail={
            "overdue_at": overdue_at.isoformat() if overdue_at else None,
            "due_before": before.isoformat(),
            "due_date": complaint.due_date.isoformat(),
            "to": where,
            "reason": WITHDRAWN,
        },
    )
    if above is None:
        return
    context = {"number": complaint.number, "organisation": complaint.handler.name, "due": due_text(complaint)}
    for user in supervisors_of(above):
        if user.pk != complaint.staff_member_id:
            notify(
                user,
                "complaints.overdue_withdrawn",
                context,
                channels=[NotifyChannel.IN_APP],
                related=complaint,
                link=staff_link(complaint),
            )


def on_calendar_changed(sender: Any, days: frozenset[dt.date], **kwargs: Any) -> None:
    follow_calendar(days)
