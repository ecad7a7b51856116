"""Bench cases: the plan of each case — the shares and mixes, the period and its working days, and
the :class:`Planner` that draws every case's lifecycle, rows and clocks from one seeded random
stream (``generator`` loads the entries and writes the planned rows; its docstring says what is
made)."""

from __future__ import annotations

import bisect
import datetime as dt
import random
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from sifa.applications.models import (
    ApplicationStatus,
    MaterialProvenance,
    SubmissionChannel,
)
from sifa.core.errors import ServiceError
from sifa.deadlines.calendar import CalendarDataMissing, InMemoryCalendar, TimeLimit, depends_on_provisional
from sifa.deadlines.clocks import Clock
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.evaluation.models import Channel, Level, RectificationStatus, SubjectKind
from sifa.evaluation.services.rectifications import callback_days, rectify_days
from sifa.organisations.models import OrganisationLevel

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")

LEVEL_WEIGHTS = {
    OrganisationLevel.TOWNSHIP: 0.30,
    OrganisationLevel.COUNTY: 0.45,
    OrganisationLevel.CITY: 0.18,
    OrganisationLevel.PROVINCE: 0.06,
    OrganisationLevel.MINISTRY: 0.01,
}
"""Share of cases accepted at each level (renormalised over the levels that have entries)."""

CHANNELS = (
    (SubmissionChannel.ONLINE, 0.42),
    (SubmissionChannel.MOBILE, 0.18),
    (SubmissionChannel.WINDOW, 0.33),
    (SubmissionChannel.AGENT, 0.07),
)
ONLINE_PROVENANCE = (
    (MaterialProvenance.UPLOAD, 0.50),
    (MaterialProvenance.LICENCE, 0.20),
    (MaterialProvenance.PREVIOUS, 0.12),
    (MaterialProvenance.PARTNER, 0.12),
    (MaterialProvenance.PROMISE, 0.06),
)
WINDOW_PROVENANCE = (
    (MaterialProvenance.WINDOW_SCAN, 0.60),
    (MaterialProvenance.LICENCE, 0.15),
    (MaterialProvenance.PREVIOUS, 0.10),
    (MaterialProvenance.PARTNER, 0.10),
    (MaterialProvenance.PROMISE, 0.05),
)
SOURCE_LABELS = {
    MaterialProvenance.LICENCE: "已从电子证照库调取",
    MaterialProvenance.PREVIOUS: "已复用历史办件中的材料",
    MaterialProvenance.PARTNER: "已通过部门共享数据核验",
    MaterialProvenance.PROMISE: "申请人已作出告知承诺",
}
LEVELS = (
    (Level.VERY_SATISFIED, 0.60),
    (Level.SATISFIED, 0.25),
    (Level.NEUTRAL, 0.08),
    (Level.DISSATISFIED, 0.04),
    (Level.VERY_DISSATISFIED, 0.03),
)
RATING_CHANNEL = {
    SubmissionChannel.ONLINE: Channel.WEB,
    SubmissionChannel.MOBILE: Channel.APP,
    SubmissionChannel.WINDOW: Channel.WINDOW_TABLET,
    SubmissionChannel.AGENT: Channel.SMS,
}
BAD_COMMENTS = ("办理时间太长", "窗口工作人员态度不好", "材料要求反复变化，跑了好几趟", "网上申请系统不好用")
GOOD_COMMENTS = ("办事效率高", "工作人员很耐心", "网上办理很方便", "")
DELIVERY = ("电子送达至申请人空间", "邮寄送达", "窗口领取")

SHARE_WITHDRAWN = 0.03
SHARE_CORRECTION = 0.10
SHARE_CORRECTION_UNANSWERED = 0.12
SHARE_NOT_ACCEPTED = 0.04
SHARE_STUCK = 0.012
SHARE_DENIED = 0.05
SHARE_WITHIN_PROMISED = 0.82
SHARE_WITHIN_LEGAL = 0.10
SHARE_RATED = 0.35
MATERIALS_PER_CASE = 4


class GeneratorError(ServiceError):
    """Bad arguments or a database that cannot take generated cases (a Chinese message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, status=400)


@dataclass(frozen=True)
class Entry:
    id: int
    version_id: int
    item_code: str
    licensing: bool
    organisation_id: int
    organisation_name: str
    path: str
    level: int
    region: str
    deciding_id: int
    legal: int
    promised: int
    materials: tuple[int, ...]
    clock_limits: tuple[tuple[str, TimeLimit], ...] = ()
    """The pinned version's (purpose, limit) the workflow starts clocks for (legal, promised)."""
    from_receipt: bool = False
    """The version counts its limits from receipt (``LimitStart.RECEIPT``), not from acceptance."""


# --- the period and the working days ------------------------------------------------------------


def period(months: int, end: str | None = None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """``months`` whole months ending with ``end`` (``YYYY-MM``; default: last month in
    Asia/Shanghai): the first day and the day after the last."""
    if end:
        try:
            year, month = (int(part) for part in end.split("-"))
            last = dt.date(year, month, 1)
        except (TypeError, ValueError):
            raise GeneratorError(
                "demo.generate.bad_end", f"结束月份应为 YYYY-MM 格式，例如 2026-11：{end}"
            ) from None
    else:
        today = today or timezone.localdate(timezone.now(), TZ)
        last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    stop = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    index = last.year * 12 + last.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1), stop


def working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """The working days of the calendar years ``first.year`` … ``last.year``: the real calendar
    (official or provisional), plain Monday–Friday for a year it does not hold."""
    calendar = DatabaseCalendar()
    days: list[dt.date] = []
    for year in range(first.year, last.year + 1):
        try:
            days += list(calendar.workdays(year))
        except CalendarDataMissing:
            day = dt.date(year, 1, 1)
            while day.year == year:
                if day.weekday() < 5:
                    days.append(day)
                day += dt.timedelta(days=1)
    return days


def clock_calendar(first: dt.date, last: dt.date) -> InMemoryCalendar:
    """The years ``first.year`` … ``last.year`` the working-day calendar holds (official or
    provisional), in memory: the clocks' due dates are computed on it, in the planning process,
    which must not use the database. A year the calendar lacks stays missing, as for real clocks."""
    calendar = DatabaseCalendar()
    years: dict[int, Any] = {}
    provisional = []
    for year in range(first.year, last.year + 1):
        try:
            years[year] = calendar.workdays(year)
            if calendar.is_provisional(year):
                provisional.append(year)
        except CalendarDataMissing:
            continue
    return InMemoryCalendar(years, provisional=provisional)


def _in_working_days(value: int | None, unit: str) -> int | None:
    if value is None:
        return None
    if unit == "calendar_day":
        return round(value * 5 / 7)
    if unit == "month":
        return value * 21
    return value


# --- planning one case --------------------------------------------------------------------------


def _weighted(rng: random.Random, choices: Iterable[tuple[Any, float]]) -> Any:
    point, total = rng.random(), 0.0
    last = None
    for value, weight in choices:
        total += weight
        last = value
        if point < total:
            return value
    return last


class Planner:
    """Plans cases one after another from one seeded random stream."""

    def __init__(self, seed: int, start: dt.date, stop: dt.date, entries: list[Entry]) -> None:
        self.rng = random.Random(seed)
        self.start, self.stop = start, stop
        self.cutoff = dt.datetime.combine(stop, dt.time(), TZ)
        self.days = (stop - start).days
        self.workdays = working_days(start, stop + dt.timedelta(days=400))
        self.workday_set = set(self.workdays)
        self.calendar = clock_calendar(start, stop + dt.timedelta(days=400))
        self.as_of = stop - dt.timedelta(days=1)
        self._derived: dict[tuple, dict[str, Any]] = {}
        by_level: dict[int, list[Entry]] = {}
        for entry in entries:
            by_level.setdefault(entry.level, []).append(entry)
        weights = [(level, LEVEL_WEIGHTS.get(level, 0.0)) for level in sorted(by_level)]
        total = sum(weight for _, weight in weights) or 1.0
        self.levels = [(level, weight / total) for level, weight in weights]
        self.by_level = by_level
        self.rectify_days = rectify_days()
        self.callback_days = callback_days()

    # working-day arithmetic on the preloaded calendar
    def add(self, day: dt.date, n: int) -> dt.date:
        if n <= 0:
            return day
        index = bisect.bisect_right(self.workdays, day) + n - 1
        if index < len(self.workdays):
            return self.workdays[index]
        return self.workdays[-1] + dt.timedelta(days=index - len(self.workdays) + 1)

    def at(self, day: dt.date, after: dt.datetime | None = None) -> dt.datetime:
        """A moment in office hours on ``day``, later than ``after``."""
        if after is not None and day <= after.date():
            return after + dt.timedelta(minutes=self.randint(3, 90))
        return dt.datetime.combine(day, dt.time(9), TZ) + dt.timedelta(minutes=self.randint(0, 480))

    def derived(self, limit: TimeLimit, started_on: dt.date, stopped_on: dt.date | None) -> dict[str, Any]:
        """A clock's derived columns as ``sifa.deadlines.services.clocks.recompute`` sets them, as of
        the last day of the period (cached: few distinct start days and limits)."""
        key = (limit, started_on, stopped_on)
        found = self._derived.get(key)
        if found is not None:
            return found
        try:
            status = Clock(started_on=started_on, limit=limit, stopped_on=stopped_on).status(
                self.calendar, self.as_of
            )
            found = {
                "due_on": status.due_on,
                "working_days_left": status.working_days_left,
                "warning_level": status.warning_level.value,
                "paused": status.paused,
                "provisional": depends_on_provisional(self.calendar, started_on, status.projected_due_on),
            }
        except CalendarDataMissing:
            found = {"due_on": None, "working_days_left": None, "provisional": False}
        self._derived[key] = found
        return found

    def clocks(self, entry: Entry, app_id: str, stamps: dict[str, dt.datetime], submitted) -> list[dict]:
        """The legal and promised clocks the workflow would hold for this case at the cut."""
        decided, closed = stamps.get("decided_at"), stamps.get("closed_at")
        if entry.from_receipt:  # 法律援助法 §43: running from receipt, whatever happens next
            started_at = submitted
            ended = decided or closed
        elif "accepted_at" in stamps:
            started_at = stamps["accepted_at"]
            ended = decided
        else:
            return []
        started_on = started_at.astimezone(TZ).date()
        stopped_on = max(ended.astimezone(TZ).date(), started_on) if ended is not None else None
        subject = f"{app_id[:8]}-{app_id[8:12]}-{app_id[12:16]}-{app_id[16:20]}-{app_id[20:]}"
        return [
            {
                "subject_type": "application",
                "subject_id": subject,
                "purpose": purpose,
                "scope_path": entry.path,
                "started_on": started_on,
                "limit_value": limit.value,
                "limit_unit": limit.unit.value,
                "suspensions": [],
                "extensions": [],
                "stopped_on": stopped_on,
                "version": 1 if stopped_on is None else 2,
                "refreshed_on": self.as_of,
                "created_at": started_at,
                **self.derived(limit, started_on, stopped_on),
            }
            for purpose, limit in entry.clock_limits
        ]

    def uuid(self) -> str:
        """A random 128-bit identifier from the seeded stream, as the 32 hex digits both databases
        accept for a UUID column."""
        return f"{self.rng.getrandbits(128):032x}"

    def randint(self, low: int, high: int) -> int:
        """``low`` … ``high`` inclusive (``Random.randint`` is several times slower)."""
        return low + int(self.rng.random() * (high - low + 1))

    def plan(self, index: int) -> dict[str, Any]:
        rng = self.rng
        level = _weighted(rng, self.levels)
        pool = self.by_level[level]
        entry = pool[int(rng.random() * len(pool))]
        channel = _weighted(rng, CHANNELS)
        window = channel in (SubmissionChannel.WINDOW, SubmissionChannel.AGENT)
        day = self.start + dt.timedelta(days=int(rng.random() * self.days))
        if window and day not in self.workday_set:
            later = self.add(day, 1)
            day = later if later < self.stop else self.workdays[bisect.bisect_left(self.workdays, day) - 1]
        if window:
            submitted = self.at(day)
        else:
            submitted = dt.datetime.combine(day, dt.time(7), TZ) + dt.timedelta(minutes=self.randint(0, 960))
        number = f"SF{entry.region}{day:%Y%m%d}G{index:09d}"
        app_id = self.uuid()
        events: list[tuple[dt.datetime, str | None, str, str, str, int]] = []
        org = entry.organisation_id

        def add_event(when, status, event, title, detail="", organisation=org):
            events.append((when, status, event, title, detail, organisation))
            return when

        now = add_event(
            submitted,
            ApplicationStatus.SUBMITTED,
            "submitted",
            "申请已提交",
            f"已收到您的申请材料，受理机构：{entry.organisation_name}",
        )
        now = add_event(
            now + dt.timedelta(minutes=self.randint(1, 30)),
            ApplicationStatus.PENDING_ACCEPTANCE,
            "pre_review_passed",
            "预审通过，等待受理",
            "申请材料齐全、符合法定形式，等待受理机构受理",
        )
        notice = None
        fields: dict[str, dt.datetime] = {}
        path = rng.random()
        ready = now.date()
        if path < SHARE_WITHDRAWN:
            withdrawn = add_event(
                self.at(self.add(ready, self.randint(0, 3)), now),
                ApplicationStatus.WITHDRAWN,
                "withdrawn",
                "申请人已撤回申请",
            )
            fields["closed_at"] = withdrawn
        else:
            # A notice names the material it concerns (``materials.<id>``, as the correction
            # service requires), so only a case whose item asks for materials gets one.
            if rng.random() < SHARE_CORRECTION and entry.materials:
                issued = add_event(
                    self.at(self.add(ready, self.randint(0, 2)), now),
                    ApplicationStatus.CORRECTION_REQUIRED,
                    "correction_requested",
                    "一次性告知：请补正材料",
                    "共 1 项需补正：材料不清晰，请重新提交",
                )
                notice = {"issued_at": issued, "answered_at": None, "material": entry.materials[0]}
                now = issued
                if rng.random() < SHARE_CORRECTION_UNANSWERED:
                    if rng.random() < 0.5:
                        fields["closed_at"] = add_event(
                            self.at(self.add(now.date(), self.randint(5, 20)), now),
                            ApplicationStatus.WITHDRAWN,
                            "withdrawn",
                            "申请人已撤回申请",
                        )
                    path = -1.0  # ends here: unanswered (and perhaps withdrawn)
                else:
                    answered = add_event(
                        self.at(self.add(now.date(), self.randint(1, 8)), now),
                        ApplicationStatus.SUBMITTED,
                        "corrected",
                        "已提交补正材料",
                        "已收到补正材料，将重新预审",
                    )
                    notice["answered_at"] = answered
                    now = add_event(
                        answered + dt.timedelta(minutes=self.randint(1, 30)),
                        ApplicationStatus.PENDING_ACCEPTANCE,
                        "pre_review_passed",
                        "预审通过，等待受理",
                        "申请材料齐全、符合法定形式，等待受理机构受理",
                    )
            if path >= 0:
                self._decide(entry, window, notice is None, now, add_event, fields)
        return self._cut(entry, channel, number, app_id, events, fields, notice, submitted)

    def _decide(self, entry: Entry, window: bool, clean: bool, now, add_event, fields) -> None:
        rng = self.rng
        if rng.random() < SHARE_NOT_ACCEPTED:
            refused = add_event(
                self.at(self.add(now.date(), self.randint(0, 3)), now),
                ApplicationStatus.NOT_ACCEPTED,
                "refused",
                "不予受理",
                "申请事项依法不属于本机关职权范围",
            )
            fields["closed_at"] = refused
            return
        if window and clean and rng.random() < 0.6:
            accepted_day = now.date()
        else:
            accepted_day = self.add(now.date(), self.randint(0, 3))
        accepted = add_event(self.at(accepted_day, now), ApplicationStatus.ACCEPTED, "accepted", "已受理")
        fields["accepted_at"] = accepted
        approve = rng.random() >= SHARE_DENIED
        words = (
            ("准予许可" if approve else "不予许可")
            if entry.licensing
            else ("准予办理" if approve else "不予办理")
        )
        status = ApplicationStatus.APPROVED if approve else ApplicationStatus.DENIED
        if entry.promised == 0:  # 即办件: decided at once
            decided = add_event(
                accepted + dt.timedelta(minutes=self.randint(5, 60)),
                status,
                "decided",
                f"当场作出{words}决定",
                organisation=entry.deciding_id,
            )
        else:
            stuck = rng.random() < SHARE_STUCK
            kind = rng.random()
            promised, legal = max(1, entry.promised), max(1, entry.legal)
            if kind < SHARE_WITHIN_PROMISED:
                delay = self.randint(max(1, promised // 3), promised)
            elif kind < SHARE_WITHIN_PROMISED + SHARE_WITHIN_LEGAL:
                delay = (
                    self.randint(promised + 1, legal) if legal > promised else promised + self.randint(0, 2)
                )
            else:
                delay = legal + self.randint(1, 15)
            if delay >= 2:
                add_event(
                    self.at(self.add(accepted_day, self.randint(1, delay - 1)), accepted),
                    ApplicationStatus.IN_REVIEW,
                    "reviewed",
                    "审查通过",
                )
            if stuck:
                return
            decided = add_event(
                self.at(self.add(accepted_day, delay), accepted + dt.timedelta(hours=1)),
                status,
                "decided",
                f"作出{words}决定",
                organisation=entry.deciding_id,
            )
        fields["decided_at"] = decided
        delivered = add_event(
            self.at(self.add(decided.date(), self.randint(0, 3)), decided),
            ApplicationStatus.DELIVERED,
            "delivered",
            f"已送达（{rng.choice(DELIVERY)}）",
        )
        fields["closed_at"] = delivered

    def _cut(self, entry, channel, number, app_id, events, fields, notice, submitted) -> dict[str, Any]:
        """Keep what happened before the end of the period; rate and rectify what closed."""
        rng = self.rng
        kept = [event for event in events if event[0] < self.cutoff]
        status = next(e[1] for e in reversed(kept) if e[1] is not None)
        stamps = {name: when for name, when in fields.items() if when < self.cutoff}
        if notice is not None and notice["answered_at"] is not None and notice["answered_at"] >= self.cutoff:
            notice["answered_at"] = None
        application = {
            "id": app_id,
            "number": number,
            "entry_id": entry.id,
            "version_id": entry.version_id,
            "channel": channel,
            "status": status,
            "accepting_organisation_id": entry.organisation_id,
            "current_organisation_id": entry.organisation_id if "accepted_at" in stamps else None,
            "scope_path": entry.path,
            "created_at": submitted - dt.timedelta(minutes=self.randint(5, 120)),
            "updated_at": kept[-1][0],
            "submitted_at": submitted,
            "received_at": submitted,
            "accepted_at": stamps.get("accepted_at"),
            "decided_at": stamps.get("decided_at"),
            "closed_at": stamps.get("closed_at"),
            "row_version": len(kept),
        }
        timeline = [
            {
                "application_id": app_id,
                "occurred_at": when,
                "event": event,
                "title": title,
                "detail": detail,
                "organisation_id": organisation,
                "public": True,
            }
            for when, _status, event, title, detail, organisation in kept
        ]
        provenance = (
            WINDOW_PROVENANCE
            if channel in (SubmissionChannel.WINDOW, SubmissionChannel.AGENT)
            else ONLINE_PROVENANCE
        )
        materials = []
        for material_id in entry.materials:
            source = _weighted(rng, provenance)
            uploaded = source in (MaterialProvenance.UPLOAD, MaterialProvenance.WINDOW_SCAN)
            row = {
                "id": self.uuid(),
                "application_id": app_id,
                "material_id": material_id,
                "provenance": source,
                "created_at": submitted - dt.timedelta(minutes=self.randint(1, 5)),
                "superseded": False,
            }
            if uploaded:
                row |= {
                    "display_name": f"材料{material_id}.pdf",
                    "content_type": "application/pdf",
                    "size": self.randint(40_000, 2_000_000),
                    "sm3": f"{rng.getrandbits(256):064x}",
                }
            else:
                row |= {"source_label": SOURCE_LABELS[source], "source_reference": f"GEN-{material_id}"}
                if source == MaterialProvenance.PARTNER:
                    row |= {
                        "partner_answer_id": f"GEN{rng.getrandbits(40):010x}",
                        "partner_answered_at": row["created_at"],
                    }
            materials.append(row)
        notice_row = None
        if notice is not None and notice["issued_at"] < self.cutoff:
            items = [
                {
                    "field": f"materials.{notice['material']}",
                    "code": "material.unclear",
                    "message": "材料不清晰，请重新提交",
                }
            ]
            notice_row = {
                "id": self.uuid(),
                "application_id": app_id,
                "items": items,
                "issued_at": notice["issued_at"],
                "answered_at": notice["answered_at"],
                "document_number": f"BZGZ{entry.region}{notice['issued_at']:%Y}G{number[-9:]}",
            }
        rating = rectification = None
        closed = stamps.get("closed_at")
        if (
            status in (ApplicationStatus.DELIVERED, ApplicationStatus.NOT_ACCEPTED)
            and rng.random() < SHARE_RATED
        ):
            rated_at = closed + dt.timedelta(minutes=self.randint(10, 4320))
            level = _weighted(rng, LEVELS)
            bad = level in (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
            named = rng.random() < 0.6
            comment = (
                rng.choice(BAD_COMMENTS) if bad else (rng.choice(GOOD_COMMENTS) if rng.random() < 0.2 else "")
            )
            if rated_at < self.cutoff:
                rating = {
                    "subject_kind": SubjectKind.APPLICATION,
                    "number": number,
                    "organisation_id": entry.organisation_id,
                    "scope_path": entry.path,
                    "item_code": entry.item_code,
                    "stage": "已送达" if status == ApplicationStatus.DELIVERED else "不予受理",
                    "level": level,
                    "channel": RATING_CHANNEL[channel],
                    "comment": comment,
                    "rater_named": named,
                    "created_at": rated_at,
                }
                if bad:
                    rectification = self._rectification(entry, rated_at, named)
        return {
            "application": application,
            "clocks": self.clocks(entry, app_id, stamps, submitted),
            "timeline": timeline,
            "materials": materials,
            "notice": notice_row,
            "rating": rating,
            "rectification": rectification,
        }

    def _rectification(self, entry: Entry, rated_at: dt.datetime, named: bool) -> dict[str, Any]:
        rng = self.rng
        day = rated_at.astimezone(TZ).date()
        due = self.add(day, self.rectify_days)
        row: dict[str, Any] = {
            "organisation_id": entry.organisation_id,
            "scope_path": entry.path,
            "status": RectificationStatus.OPEN,
            "callback_due": self.add(day, self.callback_days) if named else None,
            "due_date": due,
            "due_provisional": False,
            "created_at": rated_at,
            "updated_at": rated_at,
        }
        outcome = rng.random()
        if outcome < 0.8:
            closed_day = self.add(day, self.randint(2, self.rectify_days))
        elif outcome < 0.9:
            closed_day = self.add(due, self.randint(1, 10))
        else:
            return row  # still open (overdue once the due date passes)
        closed = self.at(closed_day, rated_at)
        if closed >= self.cutoff:
            return row
        if named:
            row["callback_at"] = self.at(self.add(day, self.randint(1, self.callback_days)), rated_at)
            if row["callback_at"] > closed:
                row["callback_at"] = closed - dt.timedelta(minutes=5)
            row["callback_note"] = "已电话回访评价人，听取意见"
        row |= {
            "status": RectificationStatus.CLOSED,
            "outcome": "已核实情况并整改，整改结果已告知评价人",
            "reported_at": closed,
            "closed_at": closed,
            "updated_at": closed,
        }
        return row
