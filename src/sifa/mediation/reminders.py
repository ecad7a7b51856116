"""The §33 reminder: before the 30 days to apply for judicial confirmation end, remind the applicant.

``send_due_reminders(today)`` (``sifa remind-judicial-confirmation``, run by the scheduler) takes
agreements whose window is still open and ends within :data:`REMIND_DAYS_BEFORE` days, and sends
one reminder each. Safe with several schedulers: each case is claimed with a conditional
``UPDATE … WHERE reminded_at IS NULL`` inside its own transaction, so only one sends it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from sifa.mediation.models import MediationCase, MediationOutcome
from sifa.notifications.services import notify

REMIND_DAYS_BEFORE = 7
"""A week before the last day: time enough for both parties to go to the court together."""


def due_text(case: MediationCase) -> str:
    day = case.confirmation_due
    text = f"{day.year}年{day.month}月{day.day}日"
    return text if case.confirmation_due_exact else f"{text}（逢法定休假日顺延）"


def send_due_reminders(today: dt.date | None = None) -> list[str]:
    """Remind every applicant whose window ends within a week; returns the application numbers."""
    today = today or timezone.localdate()
    due = MediationCase.objects.filter(
        outcome=MediationOutcome.AGREEMENT,
        reminded_at__isnull=True,
        confirmation_due__gte=today,
        confirmation_due__lte=today + dt.timedelta(days=REMIND_DAYS_BEFORE),
    ).select_related("application__applicant")
    sent = []
    for case in due:
        with transaction.atomic():
            claimed = MediationCase.objects.filter(pk=case.pk, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if not claimed:
                continue
            application = case.application
            if application.applicant_id is not None:
                notify(
                    application.applicant,
                    "mediation.confirmation_reminder",
                    {"number": application.number, "due_text": due_text(case)},
                    related=application,
                )
            sent.append(application.number)
    return sent
