"""Commands on the working-day calendar table: seed from chinese-calendar, edit a day, enter a whole
year; and the calendar-data alert raised when a deadline needs a year we do not have.

Each command is atomic and writes one audit event (``sifa.audit.services.record``); the alert is a
monitoring record (see :func:`record_calendar_alert`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sifa.audit.services import record
from sifa.core.errors import ServiceError
from sifa.deadlines import db_calendar
from sifa.deadlines.calendar import ONE_DAY, CalendarDataMissing
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import CHINESE_CALENDAR_SOURCE, CalendarAlert, CalendarDay, CalendarYear, DayKind
from sifa.deadlines.signals import calendar_changed

MANUAL_SOURCE = "manual"

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def chinese_calendar_years() -> tuple[int, int]:
    """First and last year for which the installed chinese-calendar has official data."""
    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return min(years), max(years)


def _days_of(year: int) -> list[dt.date]:
    day, days = dt.date(year, 1, 1), []
    while day.year == year:
        days.append(day)
        day += ONE_DAY
    return days


def _official_day(day: dt.date) -> tuple[bool, str, str]:
    """(is_workday, kind, holiday name) of one day according to chinese-calendar."""
    if day in chinese_calendar.workdays:
        return True, DayKind.MAKEUP_WORKDAY, HOLIDAY_NAMES.get(chinese_calendar.workdays[day], "")
    if day in chinese_calendar.holidays:
        return False, DayKind.HOLIDAY, HOLIDAY_NAMES.get(chinese_calendar.holidays[day], "")
    if day.weekday() >= 5:
        return False, DayKind.WEEKEND, ""
    return True, DayKind.WORKDAY, ""


@dataclass(frozen=True)
class SeedResult:
    years: tuple[int, ...]
    created: int
    updated: int
    unchanged: int
    kept_manual: int


def seed_calendar(from_year: int | None = None, to_year: int | None = None) -> SeedResult:
    """Fill the calendar from chinese-calendar for ``from_year``..``to_year`` (its whole range by default).

    Idempotent: existing days equal to the official data are left alone, differing ones updated,
    and days an administrator edited (source ``manual``) are kept.
    """
    first, last = chinese_calendar_years()
    from_year = first if from_year is None else from_year
    to_year = last if to_year is None else to_year
    if from_year > to_year:
        raise ServiceError("calendar.bad_range", "起始年份不能晚于结束年份")
    if from_year < first or to_year > last:
        raise ServiceError(
            "calendar.not_in_source",
            f"{CHINESE_CALENDAR_SOURCE} 只包含 {first}–{last} 年的官方放假安排，"
            f"{from_year}–{to_year} 超出范围；其他年份请由管理员录入",
        )
    created = updated = unchanged = kept = 0
    years = tuple(range(from_year, to_year + 1))
    with transaction.atomic(), _announcing(years):
        for year in years:
            existing = {
                d.date: d
                for d in CalendarDay.objects.filter(
                    date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
                )
            }
            to_create, to_update = [], []
            for day in _days_of(year):
                is_workday, kind, name = _official_day(day)
                row = existing.get(day)
                if row is None:
                    to_create.append(
                        CalendarDay(
                            date=day,
                            is_workday=is_workday,
                            kind=kind,
                            holiday_name=name,
                            source=CHINESE_CALENDAR_SOURCE,
                        )
                    )
                elif row.source == MANUAL_SOURCE:
                    kept += 1
                elif (row.is_workday, row.kind, row.holiday_name, row.source) == (
                    is_workday,
                    kind,
                    name,
                    CHINESE_CALENDAR_SOURCE,
                ):
                    unchanged += 1
                else:
                    row.is_workday, row.kind, row.holiday_name = is_workday, kind, name
                    row.source, row.updated_at = CHINESE_CALENDAR_SOURCE, timezone.now()
                    to_update.append(row)
            CalendarDay.objects.bulk_create(to_create, batch_size=1000)
            CalendarDay.objects.bulk_update(
                to_update, ["is_workday", "kind", "holiday_name", "source", "updated_at"], batch_size=1000
            )
            created, updated = created + len(to_create), updated + len(to_update)
            _mark_year_complete(year, CHINESE_CALENDAR_SOURCE, changed=bool(to_create or to_update))
        if created or updated:
            record(
                "deadlines.calendar.seed",
                subject=CalendarYear,  # a batch of years: named in the detail
                detail={
                    "years": f"{from_year}-{to_year}",
                    "source": CHINESE_CALENDAR_SOURCE,
                    "created": created,
                    "updated": updated,
                },
            )
    _forget(None)
    return SeedResult(years, created, updated, unchanged, kept)


def _forget(year: int | None) -> None:
    """Drop this process's cached copy now (so this transaction sees its own edit) and again after
    commit (in case another request reloaded the old rows in between)."""
    db_calendar.forget(year)
    transaction.on_commit(functools.partial(db_calendar.forget, year))


def _counted(year: int) -> frozenset[dt.date] | None:
    """The working days of ``year`` as every deadline counts them now (official, provisional, or
    None without data), read afresh — inside the caller's transaction, its own writes included."""
    db_calendar.forget(year)
    try:
        return frozenset(DatabaseCalendar().workdays(year))
    except CalendarDataMissing:
        return None


@contextmanager
def _announcing(years: Iterable[int]) -> Iterator[None]:
    """Around a calendar write inside the command's transaction: afterwards, send
    ``calendar_changed`` with the days whose working status changed, if any (so what was stored from
    working days is recounted in the same transaction)."""
    years = sorted(set(years))
    before = {year: _counted(year) for year in years}
    yield
    changed: set[dt.date] = set()
    for year in years:
        after = _counted(year)
        if after == before[year]:
            continue
        if after is None or before[year] is None:
            changed.update(_days_of(year))
        else:
            changed.update(after ^ before[year])
    if changed:
        calendar_changed.send(sender=CalendarDay, days=frozenset(changed))


def _mark_year_complete(year: int, source: str, *, changed: bool) -> None:
    row, was_created = CalendarYear.objects.get_or_create(
        year=year, defaults={"complete": True, "source": source}
    )
    if not was_created and (changed or not row.complete):
        CalendarYear.objects.filter(year=year).update(complete=True, revision=F("revision") + 1)
    CalendarAlert.objects.filter(year=year, resolved_at__isnull=True).update(resolved_at=timezone.now())


def _default_kind(day: dt.date, is_workday: bool) -> str:
    weekend = day.weekday() >= 5
    if is_workday:
        return DayKind.MAKEUP_WORKDAY if weekend else DayKind.WORKDAY
    return DayKind.WEEKEND if weekend else DayKind.HOLIDAY


_KINDS_FOR = {True: {DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY}, False: {DayKind.WEEKEND, DayKind.HOLIDAY}}


def set_day(
    day: dt.date, *, is_workday: bool, kind: str | None = None, holiday_name: str = "", actor: Any = None
) -> CalendarDay:
    """An administrator corrects one day (e.g. a newly announced 调休). The year's cached copies are
    reloaded; the change is audited with the old and new values."""
    kind = kind or _default_kind(day, is_workday)
    if kind not in DayKind.values:
        raise ServiceError(
            "calendar.bad_kind",
            "日期类型无效",
            errors=[{"field": "kind", "code": "invalid", "message": "日期类型无效"}],
        )
    if kind not in _KINDS_FOR[bool(is_workday)]:
        message = (
            "工作日的类型只能是“工作日”或“调休上班日”"
            if is_workday
            else "非工作日的类型只能是“周末”或“法定节假日”"
        )
        raise ServiceError(
            "calendar.kind_mismatch",
            message,
            errors=[{"field": "kind", "code": "mismatch", "message": message}],
        )
    with transaction.atomic(), _announcing([day.year]):
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        before = (
            None
            if row is None
            else {"is_workday": row.is_workday, "kind": row.kind, "holiday_name": row.holiday_name}
        )
        row = row or CalendarDay(date=day)
        row.is_workday, row.kind, row.holiday_name = bool(is_workday), kind, holiday_name
        row.source, row.updated_by = MANUAL_SOURCE, actor if getattr(actor, "pk", None) else None
        row.save()
        _year, was_created = CalendarYear.objects.get_or_create(
            year=day.year, defaults={"complete": False, "source": MANUAL_SOURCE}
        )
        if not was_created:
            CalendarYear.objects.filter(year=day.year).update(revision=F("revision") + 1)
        record(
            "deadlines.calendar_day.set",
            actor=actor,
            subject=row,
            detail={
                "before": before,
                "after": {"is_workday": row.is_workday, "kind": kind, "holiday_name": holiday_name},
            },
        )
        _forget(day.year)
    return row


def define_year(
    year: int,
    *,
    holidays: Mapping[dt.date, str],
    makeup_workdays: Mapping[dt.date, str],
    actor: Any = None,
) -> CalendarYear:
    """Enter a whole year from the State Council's 放假安排: every rest day of the holidays (with its
    name) and every make-up working day; all other days follow the week. Marks the year complete."""
    errors = [
        {
            "field": "holidays" if d in holidays else "makeup_workdays",
            "code": "wrong_year",
            "message": f"{d} 不属于 {year} 年",
        }
        for d in [*holidays, *makeup_workdays]
        if d.year != year
    ]
    errors += [
        {"field": "makeup_workdays", "code": "overlap", "message": f"{d} 不能既是节假日又是调休上班日"}
        for d in makeup_workdays
        if d in holidays
    ]
    errors += [
        {"field": "makeup_workdays", "code": "not_weekend", "message": f"{d} 不是周末，无需调休上班"}
        for d in makeup_workdays
        if d.weekday() < 5
    ]
    if errors:
        raise ServiceError("calendar.bad_year", "放假安排有误，请逐项修改", errors=errors)
    with transaction.atomic():
        row = write_year(
            year, holidays=holidays, makeup_workdays=makeup_workdays, source=MANUAL_SOURCE, user=actor
        )
        record(
            "deadlines.calendar_year.define",
            actor=actor,
            subject=row,
            detail={"holidays": len(holidays), "makeup_workdays": len(makeup_workdays)},
        )
    row.refresh_from_db()
    return row


def write_year(
    year: int,
    *,
    holidays: Mapping[dt.date, str],
    makeup_workdays: Mapping[dt.date, str],
    source: str,
    user: Any = None,
) -> CalendarYear:
    """Replace the year's days (validated by the caller) and mark it complete — official — with
    ``source`` (``manual`` or the notice's 文号); its alert is resolved. Part of the caller's command
    (:func:`define_year`, ``notices.publish_notice``), which writes the audit event."""
    user = user if getattr(user, "pk", None) else None
    rows = []
    for day in _days_of(year):
        if day in makeup_workdays:
            rows.append((day, True, DayKind.MAKEUP_WORKDAY, makeup_workdays[day]))
        elif day in holidays:
            rows.append((day, False, DayKind.HOLIDAY, holidays[day]))
        else:
            rows.append((day, day.weekday() < 5, _default_kind(day, day.weekday() < 5), ""))
    with transaction.atomic(), _announcing([year]):
        CalendarDay.objects.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)).delete()
        CalendarDay.objects.bulk_create(
            [
                CalendarDay(
                    date=d, is_workday=w, kind=k, holiday_name=n, source=MANUAL_SOURCE, updated_by=user
                )
                for d, w, k, n in rows
            ],
            batch_size=1000,
        )
        row, was_created = CalendarYear.objects.get_or_create(
            year=year, defaults={"complete": True, "source": source[:60]}
        )
        if not was_created:
            CalendarYear.objects.filter(year=year).update(
                complete=True, source=source[:60], revision=F("revision") + 1
            )
        CalendarAlert.objects.filter(year=year, resolved_at__isnull=True).update(resolved_at=timezone.now())
        _forget(year)
    return row


def record_calendar_alert(year: int) -> CalendarAlert:
    """Record (once per year) that a deadline needed ``year`` and found no calendar data.

    An alert is a monitoring record, not a command: it has no audit event of its own, and a caller
    whose transaction is about to roll back must record it afterwards, outside that transaction
    (``sifa.workflow.services.deemed`` does), or the alert rolls back with it.
    """
    now = timezone.now()
    message = f"计算期限需要 {year} 年的工作日历，但尚未录入"
    with transaction.atomic():
        updated = CalendarAlert.objects.filter(year=year).update(
            last_raised_at=now, occurrences=F("occurrences") + 1, resolved_at=None
        )
        if not updated:
            try:
                with transaction.atomic():
                    CalendarAlert.objects.create(
                        year=year, message=message, first_raised_at=now, last_raised_at=now
                    )
            except IntegrityError:
                # Another worker created it between our update and insert: count this occurrence there.
                CalendarAlert.objects.filter(year=year).update(
                    last_raised_at=now, occurrences=F("occurrences") + 1
                )
    return CalendarAlert.objects.get(year=year)
