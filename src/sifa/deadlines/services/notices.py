"""Commands on the State Council's holiday notice: save the draft, publish it.

Checking and previewing are reads (``sifa.deadlines.notices``). Publishing writes the year as
official, audits it, and recomputes every open clock in the background (``sifa.deadlines.tasks``);
the refresh then tells the owners of moved deadlines (``sifa.deadlines.signals.due_dates_moved``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.audit.services import record
from sifa.core.errors import Conflict, NotFound, ServiceError
from sifa.deadlines.models import CalendarNotice, NoticeStatus
from sifa.deadlines.notices import Day, days_of, normalise_number, require_manager, validate
from sifa.deadlines.services.calendar_table import write_year


def _as_rows(days: Iterable[Day]) -> list[dict[str, str]]:
    return [{"date": day.isoformat(), "name": name} for day, name in sorted(days)]


def save_notice_draft(
    *,
    user: Any,
    year: int | None,
    document_number: str,
    issued_on: dt.date | None,
    holidays: Iterable[Day],
    makeup_workdays: Iterable[Day],
    notice: CalendarNotice | None = None,
) -> CalendarNotice:
    """Create (or, with ``notice``, correct) the draft of a year's notice; every problem at once."""
    require_manager(user)
    holidays, makeup_workdays = list(holidays), list(makeup_workdays)
    errors = validate(
        year=year,
        document_number=document_number,
        issued_on=issued_on,
        holidays=holidays,
        makeup_workdays=makeup_workdays,
    )
    if errors:
        raise ServiceError("calendar.bad_notice", "放假安排有误，请逐项修改", errors=errors)
    with transaction.atomic():
        if notice is not None:
            notice = CalendarNotice.objects.select_for_update().get(pk=notice.pk)
            if notice.status != NoticeStatus.DRAFT:
                raise Conflict(
                    "calendar.notice_not_draft", "该通知已发布，不能再修改；如有更正，请录入新的通知"
                )
        other = CalendarNotice.objects.filter(year=year, status=NoticeStatus.DRAFT)
        if notice is not None:
            other = other.exclude(pk=notice.pk)
        if other.exists():
            raise Conflict("calendar.draft_exists", f"{year}年已有一份未发布的放假安排草稿，请在该草稿上修改")
        notice = notice or CalendarNotice(created_by=user)
        notice.year, notice.document_number, notice.issued_on = (
            year,
            normalise_number(document_number),
            issued_on,
        )
        notice.holidays, notice.makeup_workdays = _as_rows(holidays), _as_rows(makeup_workdays)
        notice.save()
        record(
            "deadlines.calendar_notice.save",
            actor=user,
            subject=notice,
            detail={
                "year": year,
                "document_number": notice.document_number,
                "holidays": len(holidays),
                "makeup_workdays": len(makeup_workdays),
            },
        )
    return notice


def publish_notice(user: Any, notice_id: int) -> CalendarNotice:
    """Make the notice's year official: write its days, supersede an earlier notice of the year,
    audit, and recompute every open clock in the background once this has committed."""
    from sifa.deadlines.tasks import enqueue_recompute  # the task module imports these services

    require_manager(user)
    with transaction.atomic():
        notice = CalendarNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise NotFound("放假安排通知不存在", code="calendar.notice_not_found")
        if notice.status != NoticeStatus.DRAFT:
            raise Conflict("calendar.notice_not_draft", "该通知已经发布过")
        holidays, makeup = days_of(notice.holidays), days_of(notice.makeup_workdays)
        errors = validate(
            year=notice.year,
            document_number=notice.document_number,
            issued_on=notice.issued_on,
            holidays=holidays,
            makeup_workdays=makeup,
        )
        if errors:
            raise ServiceError("calendar.bad_notice", "放假安排有误，请逐项修改", errors=errors)
        write_year(
            notice.year,
            holidays=dict(holidays),
            makeup_workdays=dict(makeup),
            source=notice.document_number,
            user=user,
        )
        superseded = CalendarNotice.objects.filter(year=notice.year, status=NoticeStatus.PUBLISHED).update(
            status=NoticeStatus.SUPERSEDED
        )
        notice.status, notice.published_by, notice.published_at = NoticeStatus.PUBLISHED, user, timezone.now()
        notice.save(update_fields=["status", "published_by", "published_at", "updated_at"])
        record(
            "deadlines.calendar_notice.publish",
            actor=user,
            subject=notice,
            detail={
                "year": notice.year,
                "document_number": notice.document_number,
                "issued_on": notice.issued_on.isoformat(),
                "holidays": [row["date"] for row in notice.holidays],
                "makeup_workdays": [row["date"] for row in notice.makeup_workdays],
                "superseded": superseded,
            },
        )
        transaction.on_commit(lambda: enqueue_recompute(notice.pk))
    return notice
