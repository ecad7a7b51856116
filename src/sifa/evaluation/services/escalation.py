"""Overdue rectifications go to the level above (逾期升级), once.

A rectification still open after its due date is escalated to the bureau above its organisation
(the same rule as an overdue consultation: :func:`sifa.consultation.services.escalation_target`);
the bureau's supervisors are told in their inbox, and it shows in their list under ``escalated``
(their jurisdiction holds it already). An appealed one waits for the decision and is not
escalated. Run by ``sifa escalate-rectifications`` (the scheduler, every 15 minutes); safe to run
from several schedulers at once (rows are claimed with ``SKIP LOCKED``).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from sifa.consultation.services import escalation_target
from sifa.evaluation.models import Rectification, RectificationStatus
from sifa.evaluation.services.common import audit
from sifa.evaluation.services.rectifications import TOLD_ROLES, _members, date_text, workbench_link
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify

BATCH = 200


def _claim(today: dt.date) -> list[Rectification]:
    rows = Rectification.objects.filter(
        status=RectificationStatus.OPEN, due_date__lt=today, escalated_at__isnull=True
    )
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    return list(rows.select_related("organisation__parent", "rating").order_by("due_date", "id")[:BATCH])


def escalate_overdue(today: dt.date | None = None) -> list[int]:
    """Escalate every overdue rectification not escalated yet; their ids."""
    today = today or timezone.localdate()
    done: list[int] = []
    while True:
        with transaction.atomic():
            batch = _claim(today)
            for rectification in batch:
                _escalate(rectification)
                done.append(rectification.pk)
        if len(batch) < BATCH:
            return done


def _escalate(rectification: Rectification) -> None:
    target = escalation_target(rectification.organisation)
    now = timezone.now()
    rectification.escalated_at, rectification.escalated_to, rectification.updated_at = now, target, now
    rectification.save(update_fields=["escalated_at", "escalated_to", "updated_at"])
    where = target or rectification.organisation
    audit(
        "rectification.escalate",
        None,
        organisation=where,
        subject=rectification,
        scope_path=where.path,
        detail={
            "due_date": rectification.due_date.isoformat(),
            "from": rectification.organisation.name,
            "to": where.name,
        },
    )
    if target is None:
        return
    context = {
        "number": rectification.rating.number,
        "organisation": rectification.organisation.name,
        "due": date_text(rectification.due_date, rectification.due_provisional),
    }
    for user in _members(target, TOLD_ROLES):
        notify(
            user,
            "evaluation.escalated",
            context,
            channels=[NotifyChannel.IN_APP],
            related=("evaluation.rectification", str(rectification.pk)),
            link=workbench_link(rectification),
        )
