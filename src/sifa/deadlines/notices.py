"""The State Council's annual holiday notice: read it, check it, preview what it moves.

The calendar administrator (工作日历管理员, at the ministry) types the notice in as it reads — rest
days and make-up working days, a range per line — with its number (文号) and date. Every problem is
listed at once. The preview recomputes every open clock that reaches the year on the notice's days
(the table is not touched) and lists those whose due date would move. Nothing here writes: saving
the draft and publishing it are commands in ``sifa.deadlines.services.notices``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from sifa.core.errors import Forbidden, NotFound
from sifa.deadlines import provisional
from sifa.deadlines.calendar import ONE_DAY, CalendarDataMissing, OverlayCalendar, depends_on_provisional
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import CalendarNotice, ClockState
from sifa.organisations.models import Organisation, OrganisationLevel, Role
from sifa.organisations.scope import Actor, actor_for, scoped

MAX_BREAK_DAYS = 15
"""A longer range on one line is a typing error (the longest break, 春节 2020 extended, was 10 days)."""

NUMBER_RE = re.compile(r"^\S+〔(\d{4})〕([1-9]\d*)号$")
_BRACKETS = str.maketrans(
    {"[": "〔", "]": "〕", "［": "〔", "］": "〕", "（": "〔", "）": "〕", "(": "〔", ")": "〕"}
)
_DATE = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_LINE_RE = re.compile(rf"^{_DATE}(?:\s*(?:至|到|~|～|—|–|-)\s*{_DATE})?\s*(.*)$")

Day = tuple[dt.date, str]


def can_manage_calendar(actor: Actor) -> bool:
    """工作日历管理员 at the ministry (the national calendar is one for all), or a superuser."""
    if actor.is_superuser:
        return True
    ids = [org for org, _path, role in actor.memberships if role == Role.CALENDAR_ADMIN]
    return bool(ids) and Organisation.objects.filter(pk__in=ids, level=OrganisationLevel.MINISTRY).exists()


def require_manager(user: Any) -> Actor:
    """The caller's actor, or 403 ``calendar.admin_required``."""
    actor = actor_for(user)
    if not can_manage_calendar(actor):
        raise Forbidden("只有司法部的工作日历管理员可以录入和发布放假安排", code="calendar.admin_required")
    return actor


def _error(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": code, "message": message}


def normalise_number(value: str) -> str:
    """文号 with 六角括号 whatever brackets were typed: 国办发明电[2026]7号 → 国办发明电〔2026〕7号."""
    return re.sub(r"\s+", "", (value or "").translate(_BRACKETS))


def parse_days(text: str, field: str, *, name_required: bool) -> tuple[list[Day], list[dict[str, str]]]:
    """Lines such as ``2027-02-05至2027-02-11 春节`` or ``2027-02-20 春节`` → one (date, name) per day.

    Returns the days and the problems of the lines that could not be read (with their line number).
    """
    label = "放假日期" if field == "holidays" else "调休上班日期"
    days: list[Day] = []
    errors: list[dict[str, str]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = f"{label}第{number}行“{line[:40]}”"
        match = _LINE_RE.match(line)
        if match is None:
            errors.append(
                _error(
                    field,
                    "bad_line",
                    f"{where}无法识别，应写成“2027-02-05至2027-02-11 春节”或“2027-02-20 春节”",
                )
            )
            continue
        parts = match.groups()
        name = parts[6].strip()
        try:
            first = dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
            last = dt.date(int(parts[3]), int(parts[4]), int(parts[5])) if parts[3] else first
        except ValueError:
            errors.append(_error(field, "bad_date", f"{where}中的日期不存在"))
            continue
        if last < first:
            errors.append(_error(field, "bad_range", f"{where}的结束日期早于开始日期"))
            continue
        if (last - first).days >= MAX_BREAK_DAYS:
            errors.append(_error(field, "range_too_long", f"{where}超过{MAX_BREAK_DAYS}天，请检查日期"))
            continue
        if name_required and not name:
            errors.append(_error(field, "name_required", f"{where}缺少节日名称，如“春节”"))
            continue
        day = first
        while day <= last:
            days.append((day, name[:60]))
            day += ONE_DAY
    return days, errors


def validate(
    *,
    year: int | None,
    document_number: str,
    issued_on: dt.date | None,
    holidays: Iterable[Day],
    makeup_workdays: Iterable[Day],
    today: dt.date | None = None,
) -> list[dict[str, str]]:
    """Every problem of a notice at once (empty when it can be saved and published)."""
    today = today or timezone.localdate()
    holidays, makeup_workdays = list(holidays), list(makeup_workdays)
    errors: list[dict[str, str]] = []
    if year is None:
        errors.append(_error("year", "required", "请填写年度"))
    elif year not in (today.year, today.year + 1):
        errors.append(_error("year", "out_of_range", f"只能录入{today.year}年或{today.year + 1}年的放假安排"))
    number = normalise_number(document_number)
    if not number:
        errors.append(_error("document_number", "required", "请填写通知的文号，如“国办发明电〔2026〕7号”"))
    elif not NUMBER_RE.match(number):
        errors.append(
            _error(
                "document_number", "bad_format", f"文号“{number[:40]}”格式不对，应如“国办发明电〔2026〕7号”"
            )
        )
    if issued_on is None:
        errors.append(_error("issued_on", "required", "请填写通知的发文日期"))
    elif issued_on > today:
        errors.append(_error("issued_on", "in_future", "发文日期不能晚于今天"))
    elif year is not None and issued_on.year not in (year - 1, year):
        errors.append(
            _error("issued_on", "wrong_year", f"{year}年放假安排的发文日期应在{year - 1}年或{year}年")
        )
    if not holidays:
        errors.append(_error("holidays", "required", "请至少录入一个放假日期"))
    if year is not None:
        for field, rows in (("holidays", holidays), ("makeup_workdays", makeup_workdays)):
            errors += [
                _error(field, "wrong_year", f"{day.isoformat()} 不属于 {year} 年")
                for day, _ in rows
                if day.year != year
            ]
    for field, rows in (("holidays", holidays), ("makeup_workdays", makeup_workdays)):
        seen: set[dt.date] = set()
        for day, _name in rows:
            if day in seen:
                errors.append(_error(field, "duplicate", f"{day.isoformat()} 重复录入"))
            seen.add(day)
    rest = {day for day, _ in holidays}
    errors += [
        _error("makeup_workdays", "overlap", f"{day.isoformat()} 不能既是放假日又是调休上班日")
        for day, _ in makeup_workdays
        if day in rest
    ]
    worked = {day for day, _ in makeup_workdays}
    if year is not None and provisional.covers(year) and holidays:
        # 《全国年节及纪念日放假办法》§2: the notice arranges around these days, it cannot cancel them.
        errors += [
            _error(
                "holidays",
                "statutory_day_missing",
                f"{day.isoformat()}（{name}）是法定节假日，通知中应当放假",
            )
            for day, name in provisional.statutory_holidays(year)
            if day in worked or (day not in rest and day.weekday() < 5)
        ]
    errors += [
        _error(
            "makeup_workdays",
            "not_weekend",
            f"{day.isoformat()} 是星期{'一二三四五'[day.weekday()]}，本来就上班，不是调休上班日",
        )
        for day, _ in makeup_workdays
        if day.weekday() < 5
    ]
    return errors


def days_of(rows: Iterable[Mapping[str, str]]) -> list[Day]:
    return [(dt.date.fromisoformat(row["date"]), row.get("name", "")) for row in rows]


def notice_for(user: Any, notice_id: Any) -> CalendarNotice:
    """A notice the calendar administrator may see (404 for anything else)."""
    require_manager(user)
    try:
        key = int(str(notice_id))
    except ValueError:
        raise NotFound("放假安排通知不存在", code="calendar.notice_not_found") from None
    notice = CalendarNotice.objects.select_related("created_by", "published_by").filter(pk=key).first()
    if notice is None:
        raise NotFound("放假安排通知不存在", code="calendar.notice_not_found")
    return notice


def workdays_of(notice: CalendarNotice) -> list[dt.date]:
    """The working days of the notice's year: weekdays, minus its rest days, plus its make-up days."""
    rest = {day for day, _ in days_of(notice.holidays)}
    extra = {day for day, _ in days_of(notice.makeup_workdays)}
    day, out = dt.date(notice.year, 1, 1), []
    while day.year == notice.year:
        if (day.weekday() < 5 and day not in rest) or day in extra:
            out.append(day)
        day += ONE_DAY
    return out


@dataclass(frozen=True)
class ClockMove:
    """An open clock whose due date the notice moves (``before`` None: it had none yet)."""

    clock: ClockState
    before: dt.date | None
    after: dt.date
    provisional_after: bool


@dataclass(frozen=True)
class NoticePreview:
    examined: int
    moves: list[ClockMove]
    confirmed: int
    """Provisional due dates that keep their date and lose the 暂定 mark."""


def preview(user: Any, notice: CalendarNotice, *, today: dt.date | None = None) -> NoticePreview:
    """What publishing ``notice`` would do to the open clocks the administrator may see. Reads only."""
    actor = require_manager(user)
    today = today or timezone.localdate()
    calendar = OverlayCalendar(DatabaseCalendar(), {notice.year: workdays_of(notice)})
    # Only a clock whose count can reach the year can move: due in or after it, or not computed.
    clocks = scoped(
        ClockState.objects.filter(stopped_on__isnull=True, paused=False).filter(
            Q(due_on__gte=dt.date(notice.year, 1, 1)) | Q(due_on__isnull=True)
        ),
        actor,
    ).order_by("due_on", "id")
    moves, examined, confirmed = [], 0, 0
    for state in clocks.iterator(chunk_size=500):
        examined += 1
        clock = state.to_clock()
        try:
            status = clock.status(calendar, today)
            provisional = depends_on_provisional(calendar, clock.started_on, status.projected_due_on)
        except CalendarDataMissing:
            continue
        if status.due_on != state.due_on:
            moves.append(ClockMove(state, state.due_on, status.due_on, provisional))
        elif state.provisional and not provisional:
            confirmed += 1
    return NoticePreview(examined, moves, confirmed)
