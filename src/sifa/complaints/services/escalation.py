"""Overdue complaints are shown to the level above (逾期提示上级督办), once.

A complaint not replied to by its due date (``SIFA_COMPLAINT_REPLY_DAYS`` working days) is marked
overdue; the supervisors of the bureau above the handling organisation are told in their inbox,
and it shows in their ``overdue`` queue, where they may 督办 it. Run by ``sifa escalate-complaints``
(the scheduler, every 15 minutes); rows are claimed with ``SKIP LOCKED``.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from sifa.complaints.models import OPEN_STATUSES, Complaint, ComplaintEvent, EventKind
from sifa.complaints.services.complaints import _audit, due_text, level_above, staff_link, supervisors_of
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify

BATCH = 200


def _claim(today: dt.date) -> list[Complaint]:
    rows = Complaint.objects.filter(status__in=OPEN_STATUSES, due_date__lt=today, overdue_at__isnull=True)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows.select_related("handler__parent").order_by("due_date", "id")[:BATCH])


def escalate_overdue(today: dt.date | None = None) -> list[str]:
    """Mark every overdue complaint not marked yet and tell the level above; the numbers marked."""
    today = today or timezone.localdate()
    done: list[str] = []
    while True:
        with transaction.atomic():
            batch = _claim(today)
            for complaint in batch:
                _mark(complaint)
                done.append(complaint.number)
        if len(batch) < BATCH:
            return done


def _mark(complaint: Complaint) -> None:
    above = level_above(complaint.handler)
    now = timezone.now()
    complaint.overdue_at, complaint.updated_at = now, now
    complaint.save(update_fields=["overdue_at", "updated_at"])
    where = above.name if above else complaint.handler.name
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=EventKind.OVERDUE,
        organisation=above,
        at=now,
        note=f"答复期限{due_text(complaint)}已过，提示{where}督办",
    )
    _audit(
        "complaint.overdue",
        None,
        organisation=above or complaint.handler,
        complaint=complaint,
        detail={"due_date": complaint.due_date.isoformat(), "to": where},
    )
    if above is None:
        return
    context = {"number": complaint.number, "organisation": complaint.handler.name, "due": due_text(complaint)}
    for user in supervisors_of(above):
        if user.pk != complaint.staff_member_id:
            notify(
                user,
                "complaints.overdue",
                context,
                channels=[NotifyChannel.IN_APP],
                related=complaint,
                link=staff_link(complaint),
            )
