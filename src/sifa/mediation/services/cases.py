"""The steps of one mediation: the domain half of the workflow's mediation commands.

``open_case``, ``assign``, ``record_session``, ``conclude_agreement`` and ``conclude_termination``
are called by ``sifa.workflow.services.service_commands``, which already holds the case lock, has
checked scope, state and role, and writes the audit event ``workflow.<command>``, the timeline and
the notification in the same transaction. These functions validate the input (every problem at
once, 400) and change the mediation rows (人民调解法 §19, §22–§23, §26–§29, §33).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from sifa.deadlines.calendar import (
    CalendarDataMissing,
    TimeLimit,
    TimeUnit,
    WorkingCalendar,
    depends_on_provisional,
)
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.services import record_calendar_alert
from sifa.mediation.models import MediationCase, MediationOutcome, MediationSession
from sifa.mediation.selectors import roster
from sifa.mediation.services.common import invalid, problem

CONFIRMATION_DAYS = 30
"""人民调解法 §33: 自调解协议生效之日起三十日内共同向人民法院申请司法确认."""
REMEDIES = (
    "依法申请仲裁（纠纷属于仲裁范围且当事人有仲裁协议或者依法可以申请劳动、农村土地承包等仲裁的）",
    "依法向有关行政机关申请处理",
    "依法向人民法院提起诉讼",
)
"""人民调解法 §26: 告知当事人可以依法通过仲裁、行政、司法等途径维护自己的权利."""
_NAME_SPLIT = re.compile(r"[、，,；;\s]+")


def preferred_names(form_data: dict[str, Any] | None) -> list[str]:
    """The mediators the applicant named in the form (``preferred_mediators``), in order."""
    text = (form_data or {}).get("preferred_mediators")
    if not isinstance(text, str):
        return []
    return list(dict.fromkeys(name for name in _NAME_SPLIT.split(text.strip()) if name))[:10]


def open_case(application: Any) -> MediationCase:
    """The mediation of an accepted application (created once, at acceptance)."""
    case, _created = MediationCase.objects.get_or_create(
        application=application,
        defaults={"scope_path": application.scope_path, "preferred": preferred_names(application.form_data)},
    )
    return case


def _ids(values: Any, field: str) -> tuple[list[int], list[dict[str, str]]]:
    if not isinstance(values, list | tuple) or not values:
        return [], [problem(field, "mediators_required", "请至少选择一名人民调解员")]
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            return [], [problem(field, "bad_mediator", "人民调解员选择有误，请重新选择")]
    return list(dict.fromkeys(ids)), []


def assign(case: MediationCase, mediator_ids: Any, note: str) -> dict[str, Any]:
    """Assign one or more mediators of one committee (§19), honouring the applicant's choice
    (§23(1)) or explaining why not. Returns what the timeline and audit need to say."""
    ids, errors = _ids(mediator_ids, "mediators")
    chosen = list(roster(case.application.accepting_organisation).filter(pk__in=ids)) if ids else []
    if ids and len(chosen) != len(ids):
        errors.append(problem("mediators", "not_on_roster", "所选人民调解员不在本司法所的名册中或已不在册"))
    committees = {m.committee_id for m in chosen}
    if len(committees) > 1:
        errors.append(
            problem(
                "mediators", "one_committee", "一件纠纷由一个人民调解委员会调解，请选择同一委员会的人民调解员"
            )
        )
    names = {m.name for m in chosen}
    not_followed = [name for name in case.preferred if name not in names]
    note = str(note or "").strip()
    if chosen and not_followed and not note:
        errors.append(
            problem(
                "preference_note",
                "preference_note_required",
                f"申请人选择了{'、'.join(not_followed)}，未予指定的，请说明理由（人民调解法第二十三条）",
            )
        )
    if errors:
        raise invalid(errors)
    case.committee = chosen[0].committee
    case.preference_note = note if not_followed else ""
    case.save(update_fields=["committee", "preference_note"])
    case.mediators.set(chosen)
    return {
        "committee": case.committee.name,
        "mediators": [m.name for m in chosen],
        "followed": [name for name in case.preferred if name in names],
        "not_followed": not_followed,
        "note": case.preference_note,
    }


def record_session(
    case: MediationCase,
    *,
    held_on: Any,
    place: str,
    mediator_ids: Any,
    parties_present: str,
    summary: str,
    user: Any,
    accepted_on: dt.date,
    today: dt.date,
) -> MediationSession:
    """Record one mediation held (§22, §27). Only assigned mediators can have taken part."""
    errors = []
    if not case.mediators.exists():
        errors.append(problem("mediators", "assign_first", "请先指定人民调解员，再记录调解情况"))
    if not isinstance(held_on, dt.date):
        errors.append(problem("held_on", "date_required", "请填写调解日期"))
    elif not accepted_on <= held_on <= today:
        errors.append(
            problem(
                "held_on", "date_out_of_range", f"调解日期应在受理之日（{accepted_on.isoformat()}）至今天之间"
            )
        )
    texts = {"place": (place, 200, "调解地点"), "parties_present": (parties_present, 300, "到场当事人")}
    texts["summary"] = (summary, 5000, "调解情况")
    for field, (value, limit, label) in texts.items():
        value = str(value or "").strip()
        if not value:
            errors.append(problem(field, f"{field}_required", f"请填写{label}"))
        elif len(value) > limit:
            errors.append(problem(field, "too_long", f"{label}不能超过{limit}字"))
    ids, id_errors = _ids(mediator_ids, "mediators")
    errors += id_errors
    present = list(case.mediators.filter(pk__in=ids)) if ids else []
    if ids and len(present) != len(ids):
        errors.append(problem("mediators", "not_assigned", "参加调解的人民调解员须是本案指定的调解员"))
    if errors:
        raise invalid(errors)
    with transaction.atomic():
        number = case.sessions.count() + 1
        session = MediationSession.objects.create(
            case=case,
            number=number,
            held_on=held_on,
            place=place.strip(),
            parties_present=parties_present.strip(),
            summary=summary.strip(),
            recorded_by=user,
        )
        session.mediators.set(present)
    return session


@dataclass(frozen=True)
class ConfirmationDue:
    """The §33 last day and how sure it is."""

    on: dt.date
    exact: bool
    """The calendar of the year(s) it reaches was known (official, or computed from the rules)."""
    provisional: bool
    """It reaches a year whose holiday notice is not entered: 暂定 until it is (then recomputed)."""


def confirmation_due(effective_on: dt.date, calendar: WorkingCalendar | None = None) -> ConfirmationDue:
    """The last day to apply for judicial confirmation (§33: 30 days; 民法典 §203 moves a rest day
    to the next working day). A year whose notice is not entered counts on the provisional calendar
    (《全国年节及纪念日放假办法》) and the date is 暂定, as every due date (docs/deadlines.md). Outside
    the years the rules cover the plain 30th day is used — the earliest the period can end, so a
    reminder is never late — and the year's calendar alert is recorded (alert, never guess)."""
    calendar = calendar or DatabaseCalendar()
    try:
        due = TimeLimit(CONFIRMATION_DAYS, TimeUnit.CALENDAR_DAYS).deadline(calendar, effective_on)
    except CalendarDataMissing as missing:
        record_calendar_alert(missing.year)
        return ConfirmationDue(effective_on + dt.timedelta(days=CONFIRMATION_DAYS), False, False)
    return ConfirmationDue(due, True, depends_on_provisional(calendar, effective_on, due))


def _lines(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        return []
    return [str(line).strip()[:500] for line in value if str(line).strip()][:30]


def conclude_agreement(
    case: MediationCase, *, facts: str, terms: Any, effective_on: Any, accepted_on: dt.date, today: dt.date
) -> MediationCase:
    """调解协议 reached (§28–§29): the facts, the terms, the day it took effect (§29: signed by all)."""
    errors = []
    if not case.sessions.exists():
        errors.append(
            problem(
                "sessions", "session_required", "达成调解协议前，请先记录调解情况（人民调解法第二十七条）"
            )
        )
    facts = str(facts or "").strip()
    if not facts:
        errors.append(
            problem("facts", "facts_required", "请填写纠纷的主要事实、争议事项以及各方当事人的责任")
        )
    elif len(facts) > 5000:
        errors.append(problem("facts", "too_long", "纠纷事实不能超过5000字"))
    lines = _lines(terms)
    if not lines:
        errors.append(problem("terms", "terms_required", "请逐条填写协议内容及履行方式、期限（每行一条）"))
    if not isinstance(effective_on, dt.date):
        errors.append(
            problem("effective_on", "date_required", "请填写协议生效日期（各方签名、盖章或者按指印之日）")
        )
    elif not accepted_on <= effective_on <= today:
        errors.append(problem("effective_on", "date_out_of_range", "协议生效日期应在受理之日至今天之间"))
    if errors:
        raise invalid(errors)
    due = confirmation_due(effective_on)
    case.outcome = MediationOutcome.AGREEMENT
    case.concluded_on, case.facts, case.terms, case.effective_on = today, facts, lines, effective_on
    case.confirmation_due, case.confirmation_due_exact = due.on, due.exact
    case.confirmation_due_provisional = due.provisional
    case.save()
    return case


def conclude_termination(case: MediationCase, *, reason: str, today: dt.date) -> MediationCase:
    """调解不成 (§26) — or a party refused or asked to end it (§17, §23(2))."""
    reason = str(reason or "").strip()
    if not reason:
        raise invalid([problem("reason", "reason_required", "请填写终止调解的原因")])
    if len(reason) > 2000:
        raise invalid([problem("reason", "too_long", "终止调解的原因不能超过2000字")])
    case.outcome, case.concluded_on, case.termination_reason = MediationOutcome.TERMINATED, today, reason
    case.save(update_fields=["outcome", "concluded_on", "termination_reason"])
    return case
