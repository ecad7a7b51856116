"""Bench cases: a deterministic generator of 办件 over the real organisation tree and catalogue.

``sifa generate-cases --cases N [--seed S] [--months M] [--end YYYY-MM] [--batch B]`` calls
:func:`generate`; ``sifa generate-cases --purge`` calls :func:`purge` (docs/demo.md, "Bench cases").

What it writes, for every case, from one ``random.Random(seed)`` read in a fixed order (so the
same seed, case count, period and reference data give the same rows, identifiers included):

* an ``Application`` for one active implementation entry (实施清单事项) of the catalogue,
  accepted by that entry's 受理机构 — 司法所, county, city, provincial bureaux and the ministry,
  weighted towards the county and township levels — with ``scope_path`` = that organisation's
  path, a channel (网上/移动端/窗口/代办), and its timestamps (draft, submitted = received,
  accepted, decided, closed) on working days of the real working-day calendar
  (``sifa.deadlines``; plain Monday–Friday for a year the calendar does not hold);
* its public timeline (the events and titles the real services write: submitted,
  pre_review_passed, correction_requested / corrected, accepted / refused / withdrawn, reviewed,
  decided, delivered);
* its materials with a provenance mix (uploads and window scans, or once-only sources: 电子证照库,
  historical cases, 部门共享数据, 告知承诺); an uploaded material has a digest and a size but no
  stored file (bench data);
* for some, a 一次性告知书 (``CorrectionNotice``), answered or not;
* the legal and the promised clock (``deadlines.ClockState``) the workflow starts for an accepted
  case (``sifa.workflow.services.clocks.start_case_clocks``): the limits of the pinned catalogue
  version, counted from acceptance — or from receipt where the version says so (法律援助法 §43),
  also for a case refused after receipt — stopped on the day of the decision (or of the refusal),
  with the due date, working days left and warning level computed by ``sifa.deadlines.clocks`` on
  the working-day calendar as of the last day of the period (no due date in a year the calendar
  does not hold, as ``sifa refresh-deadlines`` would leave it). No stage sub-clock and no §32
  notice-window clock is written (the 绩效考核 figures read the legal and promised clocks only);
* for some delivered or refused cases, a ``Rating`` (mostly satisfied, a few 差评), and for every
  差评 its ``Rectification`` (closed on time, closed late or still open) at the case's organisation.

The lifecycle of each case is planned in full and then cut at the end of the period (midnight,
Asia/Shanghai, after the last month): what had not happened by then has not happened, so the
cases submitted late in the period are still open — some of them overdue — exactly as a real
database looked at that moment. Decision delays are drawn against the entry's promised and legal
time limits: most within the promised limit, some between the promised and the legal limit, a few
beyond the legal limit, and a few cases stuck in review.

Generated cases are **bench data**, not mock applications (``is_mock`` stays false: they count
in every statistic) and not demo data (``make run`` never loads them). They are recognised by
their 办件编号: ``SF`` + region (6) + date (8) + ``G`` + a 9-digit run sequence (26 characters;
a real number has only digits after ``SF``); their 一次性告知书 numbers carry the same ``G``.

Writes: one transaction for the whole run and **one** audit event (``demo.cases.generate``, with
the seed, the period and the counts) — not one per row; the rows are bulk-inserted (PostgreSQL
``COPY``, SQLite ``executemany``), not saved one by one, and no notification, work item or
process instance is made (staff cannot act on a generated open case in the workbench).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import multiprocessing
import random
import re
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from queue import Empty
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    CorrectionNotice,
    MaterialProvenance,
    SubmissionChannel,
    TimelineEntry,
)
from sifa.applications.services.numbers import MINISTRY_REGION
from sifa.audit.services import record as audit_record
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion, Material
from sifa.catalogue.models.codes import EntryStatus, ItemType, LimitStart
from sifa.core.errors import ServiceError
from sifa.deadlines.calendar import CalendarDataMissing, InMemoryCalendar, TimeLimit, depends_on_provisional
from sifa.deadlines.clocks import Clock
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.evaluation.models import Channel, Level, Rating, Rectification, RectificationStatus, SubjectKind
from sifa.evaluation.services.rectifications import callback_days, rectify_days
from sifa.organisations.models import Organisation, OrganisationLevel
from sifa.workflow.caseclocks import time_limit

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
GENERATED_NUMBER = re.compile(r"^SF\d{14}G\d{9}$")
"""A generated 办件编号: ``SF`` + region (6) + date (8) + ``G`` + the run's sequence (9)."""
NUMBER_LIKE = "SF" + "_" * 14 + "G%"
"""SQL LIKE pattern of a generated 办件编号 (and of its rating's number)."""
NOTICE_LIKE = "BZGZ" + "_" * 10 + "G%"
MAX_CASES = 50_000_000
MAX_MONTHS = 60

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


@dataclass
class Summary:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    timeline: int = 0
    materials: int = 0
    notices: int = 0
    clocks: int = 0
    ratings: int = 0
    rectifications: int = 0
    seconds: float = 0.0
    start: dt.date | None = None
    end: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "statuses": dict(sorted(self.statuses.items())),
            "timeline": self.timeline,
            "materials": self.materials,
            "notices": self.notices,
            "clocks": self.clocks,
            "ratings": self.ratings,
            "rectifications": self.rectifications,
            "period": [self.start.isoformat(), (self.end - dt.timedelta(days=1)).isoformat()]
            if self.start and self.end
            else None,
        }


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


def load_entries() -> list[Entry]:
    """Every active implementation entry with its limits (in working days) and materials, in
    implementation-code order (stable across databases loaded from the same catalogue)."""
    rows = list(
        ImplementationEntry.objects.filter(status=EntryStatus.ACTIVE)
        .order_by("implementation_code")
        .values_list(
            "pk",
            "version_id",
            "item_id",
            "accepting_organisation_id",
            "deciding_organisation_id",
            "legal_limit_value",
            "legal_limit_unit",
            "promised_limit_value",
            "promised_limit_unit",
        )
    )
    versions = {
        pk: rest
        for pk, *rest in ItemVersion.objects.filter(pk__in={row[1] for row in rows}).values_list(
            "pk",
            "legal_limit_value",
            "legal_limit_unit",
            "promised_limit_value",
            "promised_limit_unit",
            "limit_start",
        )
    }
    items = {
        pk: (code, kind)
        for pk, code, kind in CatalogueItem.objects.filter(pk__in={row[2] for row in rows}).values_list(
            "pk", "basic_code", "item_type"
        )
    }
    organisations = {
        pk: (name, path, level, (code[:6] if code else MINISTRY_REGION).ljust(6, "0"))
        for pk, name, path, level, code in Organisation.objects.filter(
            pk__in={row[3] for row in rows}
        ).values_list("pk", "name", "path", "level", "region__code")
    }
    materials: dict[int, list[int]] = {}
    for version_id, material_id in (
        Material.objects.filter(version_id__in=versions)
        .order_by("version_id", "order", "id")
        .values_list("version_id", "id")
    ):
        materials.setdefault(version_id, []).append(material_id)
    entries = []
    for pk, version_id, item_id, accepting, deciding, legal_v, legal_u, promised_v, promised_u in rows:
        v_legal, v_legal_u, v_promised, v_promised_u, limit_start = versions[version_id]
        clock_limits = tuple(
            (purpose, limit)
            for purpose, limit in (
                (ClockPurpose.LEGAL, time_limit(v_legal, v_legal_u)),
                (ClockPurpose.PROMISED, time_limit(v_promised, v_promised_u)),
            )
            if limit is not None
        )
        legal = _in_working_days(legal_v if legal_v is not None else v_legal, legal_u or v_legal_u)
        promised = _in_working_days(
            promised_v if promised_v is not None else v_promised, promised_u or v_promised_u
        )
        if legal is None:
            legal = promised if promised is not None else 20
        if promised is None or promised > legal:
            promised = legal
        name, path, level, region = organisations[accepting]
        code, kind = items[item_id]
        entries.append(
            Entry(
                id=pk,
                version_id=version_id,
                item_code=code,
                licensing=kind == ItemType.LICENSING,
                organisation_id=accepting,
                organisation_name=name,
                path=path,
                level=level,
                region=region,
                deciding_id=deciding,
                legal=legal,
                promised=promised,
                materials=tuple(materials.get(version_id, ())[:MATERIALS_PER_CASE]),
                clock_limits=clock_limits,
                from_receipt=limit_start == LimitStart.RECEIPT,
            )
        )
    return entries


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


# --- writing ------------------------------------------------------------------------------------


class Table:
    """Bulk insert of plain rows (dicts by attribute name) into one model's table, bypassing
    ``save()``: COPY on PostgreSQL, ``executemany`` elsewhere. Missing fields take the model
    default; an auto-increment primary key is left to the database."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (
                f.primary_key
                and isinstance(f, models.AutoField | models.BigAutoField | models.SmallAutoField)
            )
        ]
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        postgres = connection.vendor == "postgresql"
        self.postgres = postgres

        def converter(f: models.Field) -> Callable[[Any], Any]:
            if isinstance(f, models.JSONField):
                if postgres:
                    return lambda v: "\\N" if v is None else _copy_text(json.dumps(v, ensure_ascii=False))
                return lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
            if postgres:
                return _copy_text
            if isinstance(
                f, models.CharField | models.IntegerField | models.BooleanField | models.ForeignKey
            ):
                return lambda v: v
            return lambda v, f=f: f.get_db_prep_save(v, connection)

        self.converters = [converter(f) for f in fields]
        self.plan = list(
            zip(self.attnames, [self.defaults[a] for a in self.attnames], self.converters, strict=True)
        )

    def values(self, row: dict[str, Any]) -> list:
        get = row.get
        return [convert(get(name, default)) for name, default, convert in self.plan]

    def prepare(self, rows: list[dict[str, Any]]) -> tuple[Any, int]:
        """The rows ready to load (no database needed): COPY text on PostgreSQL — built here,
        psycopg's per-value dumpers cost more than everything else — or parameter lists."""
        if self.postgres:
            return "".join("\t".join(self.values(row)) + "\n" for row in rows), len(rows)
        return [self.values(row) for row in rows], len(rows)

    def load(self, prepared: tuple[Any, int]) -> int:
        payload, count = prepared
        if not count:
            return 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    copy.write(payload)
            else:
                marks = ", ".join(["%s"] * len(self.attnames))
                sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608 (model metadata)
                cursor.executemany(sql, payload)
        return count


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()
    return str(value)


def generated_cases() -> models.QuerySet:
    """The generated applications (by their number's ``G`` segment)."""
    return Application.objects.extra(where=["number LIKE %s"], params=[NUMBER_LIKE])


def check_arguments(cases: int, months: int, batch: int, seed: int) -> None:
    if not 1 <= cases <= MAX_CASES:
        raise GeneratorError("demo.generate.bad_cases", f"办件数量应为 1 到 {MAX_CASES:,} 之间的整数")
    if not 1 <= months <= MAX_MONTHS:
        raise GeneratorError("demo.generate.bad_months", f"月份数应为 1 到 {MAX_MONTHS} 之间的整数")
    if not 1 <= batch <= 100_000:
        raise GeneratorError("demo.generate.bad_batch", "每批数量应为 1 到 100000 之间的整数")
    if not 0 <= seed < 2**63:
        raise GeneratorError("demo.generate.bad_seed", "随机种子应为非负整数")


def generate(
    *,
    cases: int,
    seed: int = 1,
    months: int = 12,
    end: str | None = None,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Generate ``cases`` bench cases (see the module doc), in one transaction with one audit
    event. Refused when generated cases exist already (purge them first) or when there is no
    catalogue to generate from."""
    check_arguments(cases, months, batch, seed)
    start, stop = period(months, end)
    started = time.perf_counter()
    summary = Summary(start=start, end=stop)
    with transaction.atomic():
        if generated_cases().exists():
            raise GeneratorError(
                "demo.generate.exists", "数据库中已有生成的办件，请先运行 sifa generate-cases --purge 清除"
            )
        entries = load_entries()
        if not entries:
            raise GeneratorError(
                "demo.generate.no_catalogue",
                "没有可用的实施清单事项：请先运行 sifa build-organisations 和 sifa load-catalogue",
            )
        planner = Planner(seed, start, stop, entries)
        tables = {model: Table(model) for model in TABLES}
        if connection.vendor == "postgresql" and cases > batch:
            chunks = _pipelined(planner, tables, cases, batch)
        else:
            chunks = _chunks(planner, tables, cases, batch)
        for chunk in chunks:
            _store(chunk, tables, summary)
            if progress is not None:
                progress(summary.cases, cases)
        summary.seconds = time.perf_counter() - started
        root = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
        audit_record(
            "demo.cases.generate",
            organisation=root,
            subject=Application,
            scope_path=root.path if root else "",
            detail={"seed": seed, "months": months, "end": end or "", **summary.as_dict()},
        )
    analyze()
    return summary


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics of the tables just filled: after a bulk load the
    autovacuum daemon analyses them only later, and until then the planner takes 1 M-row tables for
    small ones (W8: a leaf's ratings read by a sequential scan, 93 ms instead of 5 ms)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (*TABLES, Rating, Rectification):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


TABLES = (Application, TimelineEntry, ApplicationMaterial, CorrectionNotice, ClockState)


def _prepare(planned: list[dict[str, Any]], tables: dict[type, Table]) -> dict[str, Any]:
    """One batch ready to store; needs no database (it runs in the planning process)."""
    return {
        "cases": len(planned),
        "statuses": Counter(p["application"]["status"] for p in planned),
        Application: tables[Application].prepare([p["application"] for p in planned]),
        TimelineEntry: tables[TimelineEntry].prepare([row for p in planned for row in p["timeline"]]),
        ApplicationMaterial: tables[ApplicationMaterial].prepare(
            [row for p in planned for row in p["materials"]]
        ),
        CorrectionNotice: tables[CorrectionNotice].prepare([p["notice"] for p in planned if p["notice"]]),
        ClockState: tables[ClockState].prepare([row for p in planned for row in p["clocks"]]),
        "rated": [(p["rating"], p["rectification"]) for p in planned if p["rating"]],
    }


def _chunks(planner: Planner, tables: dict[type, Table], cases: int, batch: int) -> Iterable[dict[str, Any]]:
    done = 0
    while done < cases:
        size = min(batch, cases - done)
        yield _prepare([planner.plan(done + i + 1) for i in range(size)], tables)
        done += size


def _produce(planner: Planner, tables: dict[type, Table], cases: int, batch: int, queue: Any) -> None:
    """The planning process: plans and formats batches in order (one random stream, so the
    result is the sequential one) while the parent loads the previous batch."""
    try:
        for chunk in _chunks(planner, tables, cases, batch):
            queue.put(chunk)
        queue.put(None)
    except BaseException as failure:  # reported to the parent, which raises it
        queue.put(("failed", repr(failure)[:300]))


def _pipelined(
    planner: Planner, tables: dict[type, Table], cases: int, batch: int
) -> Iterable[dict[str, Any]]:
    """Planning in a forked process, loading here: on two cores, Python's planning and the
    database's COPY overlap instead of taking turns. The child never touches the database
    connection it inherits (it plans from memory and exits without running finalizers)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    producer = context.Process(target=_produce, args=(planner, tables, cases, batch, queue), daemon=True)
    producer.start()
    try:
        while True:
            try:
                chunk = queue.get(timeout=5)
            except Empty:
                if not producer.is_alive():
                    raise GeneratorError("demo.generate.failed", "生成办件的进程意外退出") from None
                continue
            if chunk is None:
                return
            if isinstance(chunk, tuple):
                raise GeneratorError("demo.generate.failed", f"生成办件失败：{chunk[1]}")
            yield chunk
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join()


def _store(chunk: dict[str, Any], tables: dict[type, Table], summary: Summary) -> None:
    tables[Application].load(chunk[Application])
    summary.cases += chunk["cases"]
    summary.statuses.update(chunk["statuses"])
    summary.timeline += tables[TimelineEntry].load(chunk[TimelineEntry])
    summary.materials += tables[ApplicationMaterial].load(chunk[ApplicationMaterial])
    summary.notices += tables[CorrectionNotice].load(chunk[CorrectionNotice])
    summary.clocks += tables[ClockState].load(chunk[ClockState])
    rated = chunk["rated"]
    if not rated:
        return
    ratings = Rating.objects.bulk_create([Rating(**rating) for rating, _ in rated])
    summary.ratings += len(ratings)
    rectifications = [
        Rectification(rating_id=rating.pk, **rectification)
        for (_, rectification), rating in zip(rated, ratings, strict=True)
        if rectification
    ]
    Rectification.objects.bulk_create(rectifications)
    summary.rectifications += len(rectifications)


def purge() -> int:
    """Delete every generated case with its clocks, timeline, materials, notices, ratings and
    rectifications, in one transaction with one audit event; returns the number of cases.
    A generated case something else refers to (a work item, a complaint …) stops the purge."""
    # Table names come from the models' metadata; the only value is the LIKE pattern, a parameter.
    ratings = f"SELECT id FROM {Rating._meta.db_table} WHERE subject_kind = %s AND number LIKE %s"  # noqa: S608
    cases = f"SELECT id FROM {Application._meta.db_table} WHERE number LIKE %s"  # noqa: S608
    rated = [SubjectKind.APPLICATION, NUMBER_LIKE]
    # A clock names its case by str(uuid) (with hyphens); SQLite stores a UUID as 32 hex digits.
    if connection.vendor == "postgresql":
        subject = "CAST(id AS text)"
    else:
        subject = "substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) || '-' || substr(id, 17, 4) || '-' || substr(id, 21)"
    subjects = f"SELECT {subject} FROM {Application._meta.db_table} WHERE number LIKE %s"  # noqa: S608
    statements = [
        (ClockState, f"subject_type = %s AND subject_id IN ({subjects})", ["application", NUMBER_LIKE]),
        (Rectification, f"rating_id IN ({ratings})", rated),
        (Rating, "subject_kind = %s AND number LIKE %s", rated),
        *[
            (model, f"application_id IN ({cases})", [NUMBER_LIKE])
            for model in (TimelineEntry, ApplicationMaterial, CorrectionNotice)
        ],
        (Application, "number LIKE %s", [NUMBER_LIKE]),
    ]
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                for model, where, params in statements:
                    cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {where}", params)  # noqa: S608
                    counts[model._meta.label] = cursor.rowcount
            root = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
            audit_record(
                "demo.cases.purge",
                organisation=root,
                subject=Application,
                scope_path=root.path if root else "",
                detail=counts,
            )
    except IntegrityError:
        raise GeneratorError(
            "demo.generate.referenced", "有生成的办件已被其他业务数据引用（如办理流程、投诉），无法清除"
        ) from None
    return counts.get(Application._meta.label, 0)
