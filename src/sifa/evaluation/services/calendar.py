"""The 整改期限 and 回访期限 of open rectifications, counted again when the working calendar changes.

Connected to ``sifa.deadlines.signals.calendar_changed``; runs inside the calendar command's
transaction. An open rectification (待整改 or 申诉中) whose period spans a changed day, or whose date
is 暂定, is counted again from the rating's day with the limits it was given when it opened
(``Rectification.rectify_days``/``callback_days``, never a later setting); a new 整改期限 or mark,
and a new 回访期限 while the callback is not done, are written with their audit event
``evaluation.rectification.due_date_moved`` (no actor). Reported, closed and set-aside
rectifications keep theirs.

When a date itself moves, the moment and the date before are kept on the row (the workbench
history shows 期限调整), the organisation's supervisors are told in their inbox, and so is a named
rater with an account still awaiting the callback: one message per person per recount, listing
every rectification of theirs that moved. An escalation made under the old calendar is
withdrawn when the new 整改期限 has not passed: ``escalated_at``/``escalated_to`` are cleared (it
leaves the level above's ``escalated`` list and the indicators' 逾期升级 count),
``escalation_withdrawn_at`` is set, the audit event ``evaluation.rectification.escalation_withdrawn``
keeps the escalation's moment and level, and the level above's supervisors are told.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sifa.deadlines.calendar import CalendarDataMissing, add_working_days
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.stored import (
    REASON,
    WITHDRAWN,
    Item,
    Letters,
    Recount,
    audit_detail,
    bounds,
    moved_line,
    recount,
    starts_before,
    touches,
    withdraws_escalation,
)
from sifa.evaluation.models import Rectification, RectificationStatus
from sifa.evaluation.services.common import audit
from sifa.evaluation.services.rectifications import TOLD_ROLES, _members, date_text, my_link, workbench_link
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify

OPEN = (RectificationStatus.OPEN, RectificationStatus.APPEALED)


def _callback_due(
    calendar: DatabaseCalendar,
    start: dt.date,
    limit: int,
    callback: dt.date,
    provisional: bool,
    days: frozenset[dt.date],
) -> dt.date:
    """The 回访期限 counted again where the change concerns it (it has no mark of its own: it lies
    inside the 整改 period, whose mark covers it)."""
    if not provisional and not touches(days, start, callback):
        return callback
    try:
        return add_working_days(calendar, start, limit)
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
    calendar, written, today = DatabaseCalendar(), 0, timezone.localdate()
    told = _Told()
    rows = rows.select_related("rating", "rating__rater", "organisation", "escalated_to").order_by("id")
    for rectification in rows:
        start = timezone.localdate(rectification.rating.created_at)
        due, provisional = rectification.due_date, rectification.due_provisional
        new = recount(
            calendar, start, rectification.rectify_days, due=due, provisional=provisional, days=days
        )
        callback = rectification.callback_due
        new_callback = callback
        if callback is not None and rectification.callback_at is None:
            new_callback = _callback_due(
                calendar, start, rectification.callback_days, callback, provisional, days
            )
        if new is None and new_callback == callback:
            continue
        new = new or Recount(due, provisional)
        detail = audit_detail(due, provisional, new, days)
        detail["rectify_days"] = rectification.rectify_days
        if new_callback != callback:
            detail["callback_due_before"] = callback.isoformat() if callback else None
            detail["callback_due"] = new_callback.isoformat() if new_callback else None
            detail["callback_days"] = rectification.callback_days
        moved = new.due != due or new_callback != callback
        withdraw = withdraws_escalation(rectification.escalated_at is not None, new.due, today)
        escalated_at, escalated_to = rectification.escalated_at, rectification.escalated_to
        now = timezone.now()
        rectification.due_date, rectification.due_provisional = new.due, new.provisional
        rectification.callback_due, rectification.updated_at = new_callback, now
        fields = ["due_date", "due_provisional", "callback_due", "updated_at"]
        if moved:
            rectification.due_moved_at, rectification.due_before = now, due
            fields += ["due_moved_at", "due_before"]
        if withdraw:
            rectification.escalated_at, rectification.escalated_to = None, None
            rectification.escalation_withdrawn_at = now
            fields += ["escalated_at", "escalated_to", "escalation_withdrawn_at"]
        rectification.save(update_fields=fields)
        audit(
            "rectification.due_date_moved",
            None,
            organisation=rectification.organisation,
            subject=rectification,
            scope_path=rectification.scope_path,
            detail=detail,
        )
        if moved:
            _tell_moved(rectification, due, told)
        if withdraw:
            _withdraw(rectification, escalated_at, escalated_to, due, told)
        written += 1
    told.send()
    return written


class _Told:
    """The messages of one recount: one per person (supervisor, named rater), each listing their
    rectifications."""

    def __init__(self) -> None:
        self.raters, self.staff, self.above = Letters(), Letters(), Letters()
        self._members: dict[int, list[Any]] = {}

    def members(self, organisation: Any) -> list[Any]:
        if organisation.pk not in self._members:
            self._members[organisation.pk] = _members(organisation, TOLD_ROLES)
        return self._members[organisation.pk]

    def send(self) -> None:
        in_app = [NotifyChannel.IN_APP]
        self.staff.send(
            notify,
            "evaluation.due_moved_staff",
            many="/workbench/rectifications/",
            channels=in_app,
            reason=REASON,
        )
        self.raters.send(notify, "evaluation.due_moved", many="/me/", channels=in_app, reason=REASON)
        self.above.send(
            notify, "evaluation.escalation_withdrawn", many="/workbench/rectifications/", channels=in_app
        )


def _tell_moved(rectification: Rectification, before: dt.date, told: _Told) -> None:
    number = rectification.rating.number
    after = date_text(rectification.due_date, rectification.due_provisional)
    callback = (
        date_text(rectification.callback_due)
        if rectification.callback_due and rectification.callback_at is None
        else ""
    )
    values = {"before": date_text(before), "after": after, "callback": callback}
    line = moved_line(number, before, after + (f"，回访期限{callback}" if callback else ""))
    related = ("evaluation.rectification", str(rectification.pk))
    item = Item(number, line, workbench_link(rectification), related, values)
    for user in told.members(rectification.organisation):
        told.staff.add(user, item)
    rater = rectification.rating.rater
    if rater is not None and rectification.rating.rater_named and rectification.callback_at is None:
        told.raters.add(rater, Item(number, line, my_link(rectification), related, values))


def _withdraw(
    rectification: Rectification,
    escalated_at: dt.datetime | None,
    escalated_to: Any,
    before: dt.date,
    told: _Told,
) -> None:
    where = escalated_to or rectification.organisation
    audit(
        "rectification.escalation_withdrawn",
        None,
        organisation=where,
        subject=rectification,
        scope_path=where.path,
        detail={
            "escalated_at": escalated_at.isoformat() if escalated_at else None,
            "to": where.name,
            "due_before": before.isoformat(),
            "due_date": rectification.due_date.isoformat(),
            "reason": WITHDRAWN,
        },
    )
    if escalated_to is None:
        return
    number = rectification.rating.number
    values = {
        "organisation": rectification.organisation.name,
        "due": date_text(rectification.due_date, rectification.due_provisional),
    }
    line = f"{number}（{values['organisation']}负责）：顺延至{values['due']}"
    related = ("evaluation.rectification", str(rectification.pk))
    for user in told.members(escalated_to):
        told.above.add(user, Item(number, line, workbench_link(rectification), related, values))


def on_calendar_changed(sender: Any, days: frozenset[dt.date], **kwargs: Any) -> None:
    follow_calendar(days)
