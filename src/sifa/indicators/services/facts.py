"""Read the facts a contribution is computed from: one fact (in a command) or all of them (rebuild).

The single and bulk readers return the same dictionaries for the same rows, so the incremental
maintenance and the rebuild agree (tested in ``tests/test_rebuild.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Min, Q

from sifa.applications.models import Application, ApplicationMaterial, CorrectionNotice, MaterialProvenance
from sifa.catalogue.models import ItemVersion
from sifa.catalogue.models.codes import CaseType
from sifa.complaints.models import Complaint
from sifa.deadlines.calendar import CalendarDataMissing, working_days_between
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.evaluation.models import Rating, Rectification
from sifa.indicators import metrics
from sifa.indicators.metrics import local_date
from sifa.inspections.models import Result, SampledCase
from sifa.workflow.models import WorkItem

APPLICATION_FIELDS = (
    "pk",
    "accepting_organisation_id",
    "version_id",
    "is_mock",
    "channel",
    "status",
    "submitted_at",
    "accepted_at",
    "decided_at",
    "closed_at",
)
OUTCOMES = {"approve": "approve", "correct": "approve", "deny": "deny", "uphold": "deny"}
"""Work-item outcomes that decide a case: 准予 / 异议成立 (approve), 不予 / 维持 (deny)."""

_CALENDAR = DatabaseCalendar()
_INSTANT: dict[int, bool] = {}


def instant_versions(version_ids: set[int]) -> dict[int, bool]:
    """即办件: an item version of 办件类型 即办件 (GB/T 39046 表A.6), or a legal or promised limit of 0."""
    missing = version_ids - _INSTANT.keys()
    if missing:
        for pk, case_type, legal, promised in ItemVersion.objects.filter(pk__in=missing).values_list(
            "pk", "case_type", "legal_limit_value", "promised_limit_value"
        ):
            _INSTANT[pk] = case_type == CaseType.IMMEDIATE or legal == 0 or promised == 0
    return {pk: _INSTANT.get(pk, False) for pk in version_ids}


def decision_days(accepted_at: dt.datetime | None, decided_at: dt.datetime | None) -> int | None:
    """Working days from acceptance to decision (the day of acceptance not counted); None without
    both dates or when the calendar lacks a year."""
    if accepted_at is None or decided_at is None:
        return None
    return working_days(local_date(accepted_at), local_date(decided_at))


def working_days(accepted_on: dt.date | None, decided_on: dt.date | None) -> int | None:
    """:func:`decision_days` from the local dates (None without both or when the calendar lacks a year)."""
    if accepted_on is None or decided_on is None:
        return None
    try:
        return working_days_between(_CALENDAR, accepted_on, decided_on)
    except CalendarDataMissing:
        return None


def _facts(
    row: dict[str, Any],
    *,
    instant: bool,
    first_correction_at: dt.datetime | None,
    materials: tuple[int, int],
    dues: dict[str, dt.date | None],
    outcome: str,
) -> dict[str, Any]:
    return {
        "organisation_id": row["accepting_organisation_id"],
        "is_mock": row["is_mock"],
        "channel": row["channel"],
        "instant": instant,
        "submitted_at": row["submitted_at"],
        "first_correction_at": first_correction_at,
        "accepted_at": row["accepted_at"],
        "materials": materials[0] if row["accepted_at"] else 0,
        "materials_once_only": materials[1] if row["accepted_at"] else 0,
        "status": row["status"],
        "closed_at": row["closed_at"],
        "decided_at": row["decided_at"],
        "outcome": outcome,
        "legal_due": dues.get(ClockPurpose.LEGAL),
        "promised_due": dues.get(ClockPurpose.PROMISED),
        "decision_days": decision_days(row["accepted_at"], row["decided_at"]),
    }


def _outcome(status: str, work_outcome: str | None) -> str:
    if status in ("approved", "denied"):
        return "approve" if status == "approved" else "deny"
    return OUTCOMES.get(work_outcome or "", "")


def _materials(application_ids: list) -> dict[Any, tuple[int, int]]:
    rows = (
        ApplicationMaterial.objects.filter(application_id__in=application_ids, superseded=False)
        .values("application_id")
        .annotate(total=Count("id"), once=Count("id", filter=~Q(provenance=MaterialProvenance.UPLOAD)))
    )
    return {r["application_id"]: (r["total"], r["once"]) for r in rows}


def _corrections(application_ids: list) -> dict[Any, dt.datetime]:
    rows = (
        CorrectionNotice.objects.filter(application_id__in=application_ids)
        .values("application_id")
        .annotate(first=Min("issued_at"))
    )
    return {r["application_id"]: r["first"] for r in rows}


def _dues(application_ids: list) -> dict[str, dict[str, dt.date | None]]:
    """The due date of each case's latest legal and promised clock."""
    out: dict[str, dict[str, dt.date | None]] = {}
    rows = (
        ClockState.objects.filter(
            subject_type="application",
            subject_id__in=[str(pk) for pk in application_ids],
            purpose__in=(ClockPurpose.LEGAL, ClockPurpose.PROMISED),
        )
        .order_by("id")
        .values_list("subject_id", "purpose", "due_on")
    )
    for subject_id, purpose, due_on in rows:
        out.setdefault(subject_id, {})[purpose] = due_on  # the latest wins
    return out


def _work_outcomes(application_ids: list) -> dict[Any, str]:
    rows = (
        WorkItem.objects.filter(application_id__in=application_ids, outcome__in=list(OUTCOMES))
        .order_by("completed_at", "id")
        .values_list("application_id", "outcome")
    )
    return dict(rows)


def application_facts_many(
    rows: list[dict[str, Any]], *, just_submitted: bool = False
) -> dict[Any, dict[str, Any]]:
    """Facts of many applications (rows of ``APPLICATION_FIELDS`` values), in a few queries.
    ``just_submitted``: drafts submitted in this transaction — no correction notice yet (one is
    issued only with the move to 待补正, after submission, and nothing moves a case back to 草稿),
    so the notices are not read."""
    submitted = [r["pk"] for r in rows if r["submitted_at"] is not None and not r["is_mock"]]
    if not submitted:
        return {}
    accepted = [r["pk"] for r in rows if r["accepted_at"] is not None and not r["is_mock"]]
    decided = [r["pk"] for r in rows if r["decided_at"] is not None and not r["is_mock"]]
    closed_decided = [
        r["pk"] for r in rows if r["decided_at"] is not None and r["status"] not in ("approved", "denied")
    ]
    instant = instant_versions({r["version_id"] for r in rows})
    corrections = {} if just_submitted else _corrections(submitted)
    materials = _materials(accepted) if accepted else {}
    dues = _dues(decided) if decided else {}
    outcomes = _work_outcomes(closed_decided) if closed_decided else {}
    out = {}
    for r in rows:
        if r["submitted_at"] is None or r["is_mock"]:
            continue
        out[r["pk"]] = _facts(
            r,
            instant=instant[r["version_id"]],
            first_correction_at=corrections.get(r["pk"]),
            materials=materials.get(r["pk"], (0, 0)),
            dues=dues.get(str(r["pk"]), {}),
            outcome=_outcome(r["status"], outcomes.get(r["pk"])),
        )
    return out


def application_facts(application: Application, *, just_submitted: bool = False) -> dict[str, Any] | None:
    """Facts of one application (None for a draft or a mock case: it contributes nothing);
    ``just_submitted``: see :func:`application_facts_many`."""
    row = {name: getattr(application, name) for name in APPLICATION_FIELDS}
    return application_facts_many([row], just_submitted=just_submitted).get(application.pk)


def application_rows(batch: int = 5000) -> Iterator[list[dict[str, Any]]]:
    """Every submitted, real application, in primary-key batches."""
    qs = Application.objects.filter(submitted_at__isnull=False, is_mock=False).order_by("pk")
    last = None
    while True:
        page = qs if last is None else qs.filter(pk__gt=last)
        rows = list(page.values(*APPLICATION_FIELDS)[:batch])
        if not rows:
            return
        yield rows
        last = rows[-1]["pk"]


def mock_numbers() -> set[str]:
    return set(Application.objects.filter(is_mock=True).exclude(number=None).values_list("number", flat=True))


def _is_mock_number(number: str | None) -> bool:
    return bool(number) and Application.objects.filter(number=number, is_mock=True).exists()


def _rated_mock(rating: Rating, mocks: set[str] | None) -> bool:
    """Whether the rated service is a 模拟办件 (looked up once per rating object: a 差评's
    rectification asks again in the same command)."""
    if rating.subject_kind != "application":
        return False
    if mocks is not None:
        return rating.number in mocks
    found = getattr(rating, "_indicators_is_mock", None)
    if found is None:
        found = rating._indicators_is_mock = _is_mock_number(rating.number)
    return found


def rating_facts(rating: Rating, mocks: set[str] | None = None) -> dict[str, Any]:
    is_mock = _rated_mock(rating, mocks)
    return {
        "organisation_id": rating.organisation_id,
        "excluded": bool(rating.set_aside or is_mock),
        "level": rating.level,
        "created_at": rating.created_at,
    }


def rectification_facts(rectification: Rectification, mocks: set[str] | None = None) -> dict[str, Any]:
    is_mock = _rated_mock(rectification.rating, mocks)
    return {
        "organisation_id": rectification.organisation_id,
        "excluded": is_mock,
        "created_at": rectification.created_at,
        "status": rectification.status,
        "closed_at": rectification.closed_at,
        "due_date": rectification.due_date,
        "escalated_at": rectification.escalated_at,
    }


def complaint_facts(complaint: Complaint, mocks: set[str] | None = None) -> dict[str, Any]:
    if complaint.application_id is None:
        is_mock = False
    elif mocks is not None:
        is_mock = complaint.application.number in mocks
    else:
        is_mock = Application.objects.filter(pk=complaint.application_id, is_mock=True).exists()
    return {
        "organisation_id": complaint.organisation_id,
        "excluded": is_mock,
        "created_at": complaint.created_at,
        "replied_at": complaint.replied_at,
        "due_date": complaint.due_date,
        "overdue_at": complaint.overdue_at,
    }


def check_facts(sampled: SampledCase) -> dict[str, Any]:
    """A sampled case's finding: counted in the month the check covers, at the organisation that
    received the case (where its other figures are), never for a mock (a check never draws one)."""
    application = sampled.application
    return {
        "organisation_id": application.accepting_organisation_id,
        "period": metrics.parse_month(sampled.random_check.period),
        "checked": sampled.checked_at is not None and not application.is_mock,
        "with_issues": sampled.result == Result.ISSUES,
    }
