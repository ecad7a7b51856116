"""The demo's last month: four walk-in cases at 杭州市司法局's window that closed in the month before
the one ``sifa load-demo-cases`` runs in, so the 随机抽查 of a fresh demo has a finished month to draw
(a check draws only a month that is over; docs/inspections.md) and the 绩效考核 of last month counts
them.

Each case is driven through the same services as the other demo cases (:mod:`sifa.demo.cases`: the
window files the walk-in, uploads the scans and submits; pre-review; 受理 or 不予受理; review;
hand-over; the province's decision; delivery) — no row is inserted by hand — under a controlled
clock: every step runs with the clock set (``time_machine``) to its own moment of last month, one
working day of the seeded calendar after another, so what the services stamp (the 办件编号, the
timeline, ``closed_at``, the clocks, the documents' numbers and seals, the licence's issue date, the
indicators' month) is last month's, as if the platform had been running then. The audit events are
written in the chain's order at load time and carry those moments as their ``occurred_at``.

A seal or a signature made at a moment its key does not cover would be refused: the key and CA
development makes on first use are valid from 400 days before they were made
(``DEVELOPMENT_BACKDATE`` in ``sifa.core.signing.keyring`` and ``sifa.documents.ca``). Older keys
(a ``var/keys`` of an earlier version, or an operator's) that start after last month's first
moment: the history is left out and the loader says why.

Idempotent: a walk-in person already known (by 公民身份号码) with an application for the item is
left alone; each case runs in one transaction, so an interrupted run leaves no half case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import NaturalPerson, User
from sifa.accounts.services.registration import id_number_index
from sifa.applications import services as applications
from sifa.applications.models import Application, ApplicationStatus
from sifa.core.signing import default_keyring
from sifa.deadlines.models import CalendarDay
from sifa.demo.cases import (
    LAW_FIRM_NAME,
    LAWYER_FULL_TIME,
    MAX_STEPS,
    DemoCase,
    _entry,
    _issue_documents,
    _step,
)
from sifa.documents.ca import default_authority
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import run_command, start_case


@dataclass(frozen=True)
class Past:
    key: str
    name: str
    birth: str
    seq: str
    first_day: int
    """The working day of last month (0 = the first) the window files it."""
    refuse_reasons: str = ""
    """Set: the window refuses it (不予受理) with these reasons."""


PAST = (
    Past("history-1", "赵文博", "19880312", "011", 1),
    Past("history-2", "钱雨晴", "19920705", "022", 3),
    Past(
        "history-3",
        "孙志强",
        "19850921",
        "033",
        5,
        "申请人未能提交律师协会出具的实习考核合格意见，经一次性告知后仍未补正，不符合受理条件",
    ),
    Past("history-4", "周佳怡", "19900118", "044", 7),
)
STEPS_PER_DAY = 3
"""The steps of a case on one working day (a case of ~10 steps takes four working days)."""


@dataclass
class History:
    month: str
    cases: list[Application] = field(default_factory=list)
    made: int = 0
    skipped: str = ""
    """Why no history was made (keys that start after last month's first moment)."""


def previous_month(today: dt.date) -> dt.date:
    """The first day of the month before ``today``'s (December's for a day of January)."""
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def working_days(first: dt.date) -> list[dt.date]:
    """The working days of ``first``'s month on the seeded calendar (Monday–Friday where the
    calendar holds no day of the month)."""
    following = (first + dt.timedelta(days=32)).replace(day=1)
    days = list(
        CalendarDay.objects.filter(date__gte=first, date__lt=following, is_workday=True)
        .order_by("date")
        .values_list("date", flat=True)
    )
    if days:
        return days
    every = (first + dt.timedelta(days=n) for n in range((following - first).days))
    return [day for day in every if day.weekday() < 5]


def moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_default_timezone())


def phone(past: Past) -> str:
    return f"1390000{past.seq}0"


def _person(past: Past) -> NaturalPerson | None:
    index = id_number_index(_demo._id_number({"birth": past.birth, "seq": past.seq}))
    return NaturalPerson.objects.select_related("user").filter(id_number_index=index).first()


def _known(past: Past) -> Application | None:
    person = _person(past)
    if person is None:
        return None
    return Application.objects.filter(applicant=person.user, entry__item__basic_code=LAWYER_FULL_TIME).first()


def _not_covered(start: dt.datetime) -> str:
    """Why a seal or signature at ``start`` would be refused, or ''."""
    keyring = default_keyring()
    keyring.signer()  # development makes the key on first use
    active = [info for info in keyring.keys() if info.status == "active"]
    if active and active[0].valid_from > start:
        return (
            f"签名密钥 {active[0].key_id} 自 {timezone.localtime(active[0].valid_from):%Y-%m-%d %H:%M} 起有效"
        )
    ca = default_authority().ca_certificate()
    if ca.not_valid_before_utc > start:
        return f"印章根证书自 {timezone.localtime(ca.not_valid_before_utc):%Y-%m-%d %H:%M} 起有效"
    return ""


def _refuse_or_step(application: Application, case: DemoCase, past: Past, clerk: User) -> bool:
    if past.refuse_reasons and application.status == ApplicationStatus.PENDING_ACCEPTANCE:
        start_case(application)
        if WorkItem.objects.filter(
            application=application, status=WorkItemStatus.OPEN, kind="accept"
        ).exists():
            run_command(clerk, application.number, "refuse", {"reasons": past.refuse_reasons})
            return True
    if application.status == ApplicationStatus.NOT_ACCEPTED:
        return False
    return _step(application, case)


def _run(past: Past, entry, clerk: User, days: list[dt.date], hour: int) -> Application:
    import time_machine  # development only: the demo loader refuses to run anywhere else

    def at(step: int):
        day = days[min(past.first_day + step // STEPS_PER_DAY, len(days) - 1)]
        return time_machine.travel(moment(day, hour + step % STEPS_PER_DAY), tick=True)

    citizen_id = _demo._id_number({"birth": past.birth, "seq": past.seq})
    form = {
        "applicant_name": past.name,
        "id_number": citizen_id,
        "phone": phone(past),
        "address": f"杭州市西湖区文三路{int(past.seq)}号",
        "law_firm": LAW_FIRM_NAME,
        "qualification_number": f"A2020{past.birth[2:8]}{past.seq}",
    }
    # The clock outside the transaction: what waits for its commit (queued tasks) runs in it too.
    with at(0), transaction.atomic():
        # Registered on the portal that day (with the §29 consent), as the e-licence needs an
        # account to be delivered to; then the window files the application for them.
        _demo._person({"name": past.name, "birth": past.birth, "seq": past.seq, "phone": form["phone"]})
        application = applications.start_draft(
            entry,
            actor=clerk,
            walk_in={
                "kind": "person",
                "name": past.name,
                "id_number": citizen_id,
            },
            form_data=form,
            channel="window",
        )
        case = DemoCase(past.key, LAWYER_FULL_TIME, clerk, form, {})
        for step in range(MAX_STEPS):
            with at(step):
                application.refresh_from_db()
                if application.status != ApplicationStatus.SUBMITTED:
                    _issue_documents(application)
                if not _refuse_or_step(application, case, past, clerk):
                    return application
    raise RuntimeError(f"演示历史办件 {application.number} 未能在 {MAX_STEPS} 步内办结")


def load_history(today: dt.date | None = None) -> History:
    """Last month's demo cases at 杭州市司法局 (safe to run again)."""
    _demo.ensure_allowed()
    first = previous_month(today or timezone.localdate())
    history = History(f"{first:%Y-%m}")
    todo = []
    for past in PAST:
        known = _known(past)
        if known is not None:
            history.cases.append(known)
        else:
            todo.append(past)
    if not todo:
        return history
    days = working_days(first)
    history.skipped = _not_covered(moment(days[0], 9))
    if history.skipped:
        return history
    city = _demo.find_tree().city
    clerk = User.objects.filter(username="demo-city", is_demo=True).first()
    entry = _entry(DemoCase("history", LAWYER_FULL_TIME, clerk, {}, {}), city)
    for number, past in enumerate(todo):
        history.cases.append(_run(past, entry, clerk, days, 9 + number % 2))
        history.made += 1
    return history
