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
names the complainant. Each person gets one message per recount listing every complaint of theirs
that moved (number, the date before and after, the reason); an anonymous complainant's SMS stays
one per complaint (tracking code): it names that complaint only. An overdue mark (逾期提示上级) made under the old calendar is withdrawn
when the new date has not passed: the mark is cleared (so the complaint leaves the level above's
overdue list and the indicators' 逾期升级 count), the history keeps it with an 撤销逾期提示 step,
the audit event ``complaints.complaint.overdue_withdrawn`` records it, and the level above's
supervisors are told (one message each per recount, listing the complaints). A 督办期限 is a date the supervisor set, not a count, and is kept.
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
    told = _Told()
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
            _tell_moved(complaint, before, told)
        if withdraw:
            _withdraw(complaint, overdue_at, before, told)
        written += 1
    told.send()
    return written


class _Told:
    """The messages of one recount: one per person (complainant, supervisor), each listing their
    complaints; an anonymous complainant's SMS per complaint."""

    def __init__(self) -> None:
        self.complainants, self.staff, self.above = Letters(), Letters(), Letters()
        self._supervisors: dict[int, list] = {}

    def supervisors(self, organisation: Any) -> list:
        if organisation.pk not in self._supervisors:
            self._supervisors[organisation.pk] = supervisors_of(organisation)
        return self._supervisors[organisation.pk]

    def send(self) -> None:
        in_app = [NotifyChannel.IN_APP]
        self.complainants.send(
            notify,
            "complaints.due_moved",
            many="/me/complaints/",
            channels=in_app,
            sms=NotifyChannel.SMS,
            reason=REASON,
        )
        self.staff.send(
            notify,
            "complaints.due_moved_staff",
            many="/workbench/complaints/",
            channels=in_app,
            reason=REASON,
        )
        self.above.send(
            notify,
            "complaints.overdue_withdrawn",
            many="/workbench/complaints/?status=overdue",
            channels=in_app,
        )


def _tell_moved(complaint: Complaint, before: dt.date, told: _Told) -> None:
    """The history step, the complainant (as they were told the date) and the handlers."""
    note = moved_text(before, complaint.due_date, provisional=complaint.due_provisional)
    _event(complaint, EventKind.DUE_MOVED, note=note)
    after = due_text(complaint)
    values = {"before": date_text(before), "after": after}
    line = moved_line(complaint.number, before, after)
    if complaint.complainant_id is not None:
        item = Item(complaint.number, line, my_link(complaint), complaint, values)
        told.complainants.add(complaint.complainant, item, sms=complaint.wants_sms)
    elif complaint.phone_enc and complaint.wants_sms:
        # Per tracking code: the SMS names this complaint only, never another one of the number.
        notify_phone(
            complaint.reveal_phone(),
            "complaints.due_moved",
            {**values, "number": complaint.number, "reason": REASON, "count": 1, "items": [line]},
            scope_path=complaint.scope_path,
            related=complaint,
        )
    item = Item(complaint.number, line, staff_link(complaint), complaint, values)
    for supervisor in told.supervisors(complaint.handler):
        if supervisor.pk != complaint.staff_member_id:
            told.staff.add(supervisor, item)


def _withdraw(complaint: Complaint, overdue_at: dt.datetime | None, before: dt.date, told: _Told) -> None:
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
    values = {"organisation": complaint.handler.name, "due": due_text(complaint)}
    line = f"{complaint.number}（{values['organisation']}办理）：顺延至{values['due']}"
    item = Item(complaint.number, line, staff_link(complaint), complaint, values)
    for user in told.supervisors(above):
        if user.pk != complaint.staff_member_id:
            told.above.add(user, item)


def on_calendar_changed(sender: Any, days: frozenset[dt.date], **kwargs: Any) -> None:
    follow_calendar(days)
