"""The §33 reminder: before the 30 days to apply for judicial confirmation end, remind the applicant.

``send_due_reminders(today)`` (``sifa remind-judicial-confirmation``, run by the scheduler) takes
agreements whose window is still open and ends within :data:`REMIND_DAYS_BEFORE` days, and sends
one reminder each. Safe with several schedulers: each case is claimed with a conditional
``UPDATE … WHERE reminded_at IS NULL`` inside its own transaction, so only one sends it.

``refresh_dates(today)`` runs first in the same command: a last day that was 暂定 (it reaches a
year whose holiday notice was not entered) or not exact is computed again; once the notice is in,
the mark goes, and if the day moved the applicant is told (``deadline.moved``), so the reminder
and every page use the official day.

Each change is audited in its own transaction with the row it changes:
``mediation.confirmation_due_recomputed`` (the day, its marks and whether the applicant was told)
and ``mediation.confirmation_reminded``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from sifa.audit.services import record
from sifa.deadlines.models import CalendarNotice, NoticeStatus
from sifa.mediation.models import MediationCase, MediationOutcome
from sifa.mediation.services.cases import confirmation_due
from sifa.notifications.services import notify

REMIND_DAYS_BEFORE = 7
"""A week before the last day: time enough for both parties to go to the court together."""


def due_text(case: MediationCase) -> str:
    day = case.confirmation_due
    text = f"{day.year}年{day.month}月{day.day}日"
    if case.confirmation_due_provisional:
        return f"{text}（暂定）"
    return text if case.confirmation_due_exact else f"{text}（逢法定休假日顺延）"


def _audit(action: str, case: MediationCase, detail: dict) -> None:
    application = case.application
    record(
        f"mediation.{action}",
        subject=application,
        scope_path=case.scope_path,
        detail=detail,
    )


def _cause(year: int) -> str:
    notice = (
        CalendarNotice.objects.filter(year=year, status=NoticeStatus.PUBLISHED)
        .order_by("-published_at")
        .first()
    )
    if notice is None:
        return "工作日历调整"
    return f"国务院办公厅公布{notice.year}年部分节假日安排（{notice.document_number}）"


def refresh_dates(today: dt.date | None = None) -> list[str]:
    """Recompute the open windows whose last day is 暂定 or not exact; returns the application
    numbers whose day moved (their applicants were told)."""
    today = today or timezone.localdate()
    rows = MediationCase.objects.filter(
        outcome=MediationOutcome.AGREEMENT, confirmation_due__gte=today, effective_on__isnull=False
    ).exclude(confirmation_due_provisional=False, confirmation_due_exact=True)
    moved = []
    for case in rows.select_related("application__applicant", "application__version__item"):
        due = confirmation_due(case.effective_on)
        before = case.confirmation_due
        if (due.on, due.exact, due.provisional) == (
            before,
            case.confirmation_due_exact,
            case.confirmation_due_provisional,
        ):
            continue
        with transaction.atomic():
            updated = MediationCase.objects.filter(pk=case.pk, confirmation_due=before).update(
                confirmation_due=due.on,
                confirmation_due_exact=due.exact,
                confirmation_due_provisional=due.provisional,
            )
            if not updated:
                continue  # another scheduler recomputed it meanwhile
            application = case.application
            told = due.on != before and application.applicant_id is not None
            _audit(
                "confirmation_due_recomputed",
                case,
                {
                    "before": before.isoformat(),
                    "after": due.on.isoformat(),
                    "exact": due.exact,
                    "provisional": due.provisional,
                    "told": told,
                },
            )
            if told:
                notify(
                    application.applicant,
                    "deadline.moved",
                    {
                        "number": application.number,
                        "item_name": application.version.item.name,
                        "kind": "申请司法确认（人民调解法第三十三条）",
                        "before": before.isoformat(),
                        "after": due.on.isoformat(),
                        "provisional": due.provisional,
                        "cause": _cause(before.year),
                    },
                    related=application,
                )
                moved.append(application.number)
    return moved


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
            _audit(
                "confirmation_reminded",
                case,
                {
                    "confirmation_due": case.confirmation_due.isoformat(),
                    "told": application.applicant_id is not None,
                },
            )
            if application.applicant_id is not None:
                notify(
                    application.applicant,
                    "mediation.confirmation_reminder",
                    {"number": application.number, "due_text": due_text(case)},
                    related=application,
                )
            sent.append(application.number)
    return sent
