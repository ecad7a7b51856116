"""Reads of 督查, always scoped: inspectors see the mock applications of their inspecting
organisation's subtree and the random checks of their subtree; the handling organisation sees a
mock application — that it was one, and its score — only once it has ended.

:func:`findings_summary` is the small read the indicators use: random-check figures of a subtree
for a month.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet

from sifa.applications.models import Application
from sifa.inspections.checklist import CASE_CHECKLIST, MOCK_CHECKLIST
from sifa.inspections.models import MockApplication, RandomCheck, Result, SampledCase, Severity
from sifa.inspections.services.common import INSPECTOR_ROLES, inspector_actor, not_found
from sifa.organisations.scope import actor_for, scoped, subtree_q


def mocks(user: Any) -> QuerySet[MockApplication]:
    actor = inspector_actor(user)
    return scoped(MockApplication.objects.all(), actor, roles=INSPECTOR_ROLES).select_related(
        "application__entry__item", "organisation", "applicant__person", "inspector"
    )


def mock(user: Any, public_id: Any) -> MockApplication:
    found = mocks(user).filter(public_id=public_id).first() if _uuid(public_id) else None
    if found is None:
        raise not_found("模拟办件")
    return found


def checks(user: Any) -> QuerySet[RandomCheck]:
    actor = inspector_actor(user)
    return scoped(RandomCheck.objects.all(), actor, roles=INSPECTOR_ROLES).select_related(
        "organisation", "drawn_by"
    )


def check(user: Any, public_id: Any) -> RandomCheck:
    found = checks(user).filter(public_id=public_id).first() if _uuid(public_id) else None
    if found is None:
        raise not_found("随机抽查")
    return found


def sampled(check: RandomCheck) -> QuerySet[SampledCase]:
    return check.cases.select_related("application__entry__item", "inspector").order_by("position")


def ended_mocks_for_staff(user: Any) -> QuerySet[MockApplication]:
    """What the handling side may know: the ended mock applications of cases in its scope, with
    their scores. Nothing while a mock is still being handled."""
    actor = actor_for(user)
    cases = scoped(Application.objects.filter(is_mock=True, closed_at__isnull=False), actor)
    return (
        MockApplication.objects.filter(application__in=cases.values("pk"))
        .select_related("application__entry__item", "organisation")
        .order_by("-application__closed_at")
    )


def is_inspector(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and actor_for(user).paths_for(INSPECTOR_ROLES))


def mock_view(m: MockApplication, *, inspector: bool = True) -> dict[str, Any]:
    app = m.application
    body = {
        "id": str(m.public_id),
        "number": app.number,
        "item": app.entry.item.name,
        "item_code": app.entry.item.basic_code,
        "organisation": m.organisation_id,
        "organisation_name": m.organisation.name,
        "status": app.status,
        "status_label": app.get_status_display(),
        "ended": m.ended,
        "closed_at": app.closed_at,
        "score_total": m.score_total,
        "scores": m.scores,
        "findings": m.findings,
        "scored_at": m.scored_at,
        "checklist": [
            {"key": i.key, "label": i.label, "points": i.points, "score": m.scores.get(i.key)}
            for i in MOCK_CHECKLIST
        ],
    }
    if inspector:
        body["applicant_name"] = m.applicant.person.name
        body["inspector"] = m.inspector.display_name or m.inspector.username
        body["created_at"] = m.created_at
    return body


def check_view(c: RandomCheck, *, with_cases: bool = True) -> dict[str, Any]:
    body = {
        "id": str(c.public_id),
        "organisation": c.organisation_id,
        "organisation_name": c.organisation.name,
        "period": c.period,
        "size": c.size,
        "seed": c.seed,
        "seed_given": c.seed_given,
        "candidate_count": c.candidate_count,
        "status": c.status,
        "status_label": c.get_status_display(),
        "created_at": c.created_at,
        "closed_at": c.closed_at,
    }
    if with_cases:
        body["cases"] = [
            {
                "number": row.application.number,
                "position": row.position,
                "item": row.application.entry.item.name,
                "inspector": row.inspector.username,
                "result": row.result,
                "severity": row.severity,
                "findings": row.findings,
                "scores": row.scores,
                "score_total": row.score_total,
                "checked_at": row.checked_at,
            }
            for row in sampled(c)
        ]
        body["numbers"] = [case["number"] for case in body["cases"]]
        body["checklist"] = [{"key": i.key, "label": i.label, "points": i.points} for i in CASE_CHECKLIST]
    return body


def findings_summary(organisation_path_prefix: str, month: str) -> dict[str, Any]:
    """Random-check figures of the checks of ``month`` (YYYY-MM) in the subtree at
    ``organisation_path_prefix``: cases sampled, checked, with findings, and findings by severity.
    A read for the indicators, which scope the prefix to their caller's subtree themselves."""
    rows = SampledCase.objects.filter(
        subtree_q("random_check__scope_path", [organisation_path_prefix]), random_check__period=month
    )
    sampled_count = rows.count()
    checked = rows.filter(checked_at__isnull=False)
    issues = checked.filter(result=Result.ISSUES)
    by_severity = Counter(issues.values_list("severity", flat=True))
    return {
        "sampled": sampled_count,
        "checked": checked.count(),
        "with_findings": issues.count(),
        "by_severity": {s: by_severity.get(s, 0) for s in Severity.values},
    }


def _uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
