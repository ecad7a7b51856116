"""Reads of applications, always through the caller's data scope (out of scope = 404).

The public tracking read (:func:`track`) is the one unauthenticated read: number + query code,
with the same answer for an unknown number and a wrong code.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from sifa.applications import numbers
from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    PreReviewFinding,
    TimelineEntry,
)
from sifa.core.errors import NotFound
from sifa.organisations.scope import Actor, scoped

NEXT_ACTIONS = {
    ApplicationStatus.DRAFT: "继续填写并提交申请",
    ApplicationStatus.SUBMITTED: "等待预审",
    ApplicationStatus.CORRECTION_REQUIRED: "提交补正材料",
    ApplicationStatus.PENDING_ACCEPTANCE: "等待受理",
    ApplicationStatus.ACCEPTED: "等待审查",
    ApplicationStatus.IN_REVIEW: "等待审查结果",
    ApplicationStatus.SUSPENDED: "等待恢复办理（时限暂停）",
    ApplicationStatus.APPROVED: "等待领取或送达结果",
    ApplicationStatus.DENIED: "查看不予许可决定及救济途径",
    ApplicationStatus.DELIVERED: "",
    ApplicationStatus.NOT_ACCEPTED: "查看不予受理决定",
    ApplicationStatus.WITHDRAWN: "",
}

STAGES = {
    ApplicationStatus.DRAFT: "填写申请",
    ApplicationStatus.SUBMITTED: "预审",
    ApplicationStatus.CORRECTION_REQUIRED: "补正",
    ApplicationStatus.PENDING_ACCEPTANCE: "受理",
    ApplicationStatus.ACCEPTED: "审查",
    ApplicationStatus.IN_REVIEW: "审查",
    ApplicationStatus.SUSPENDED: "审查（中止）",
    ApplicationStatus.APPROVED: "决定",
    ApplicationStatus.DENIED: "决定",
    ApplicationStatus.NOT_ACCEPTED: "办结",
    ApplicationStatus.DELIVERED: "办结",
    ApplicationStatus.WITHDRAWN: "办结",
}


def applications(actor: Actor) -> QuerySet[Application]:
    queryset = Application.objects.select_related(
        "entry__item", "version", "accepting_organisation", "current_organisation"
    ).order_by("-created_at", "id")
    return scoped(queryset, actor)


def application(actor: Actor, ref: Any) -> Application:
    """By 办件编号, or by id (drafts have no number yet)."""
    queryset = applications(actor)
    ref = str(ref or "")
    try:
        row = queryset.filter(pk=uuid.UUID(ref)).first()
    except ValueError:
        row = queryset.filter(number=ref).first()
    if row is None:
        raise NotFound()
    return row


def material(actor: Actor, application_ref: Any, material_id: Any) -> ApplicationMaterial:
    app = application(actor, application_ref)
    try:
        key = uuid.UUID(str(material_id))
    except ValueError:
        raise NotFound() from None
    row = scoped(ApplicationMaterial.objects.filter(application=app, pk=key), actor).first()
    if row is None or not row.storage_key:
        raise NotFound()
    return row


def findings(actor: Actor, app: Application) -> QuerySet[PreReviewFinding]:
    return scoped(PreReviewFinding.objects.filter(application=app).order_by("id"), actor)


def public_timeline(app: Application) -> QuerySet[TimelineEntry]:
    return app.timeline.filter(public=True).select_related("organisation").order_by("occurred_at", "id")


def deadline(app: Application) -> dict[str, Any] | None:
    """The statutory clock of the case, when the deadlines app has one (legal limit first).

    ``provisional``: the due date counts a day of a year whose official 放假安排 is not yet entered (暂定).
    """
    from sifa.deadlines.models import ClockPurpose, ClockState

    ids = [str(app.pk)] + ([app.number] if app.number else [])
    clocks = {c.purpose: c for c in ClockState.objects.filter(subject_id__in=ids, stopped_on__isnull=True)}
    for purpose in (ClockPurpose.LEGAL, ClockPurpose.PROMISED, ClockPurpose.NOTICE_WINDOW):
        clock = clocks.get(purpose)
        if clock is not None:
            return {
                "kind": clock.get_purpose_display(),
                "due_on": clock.due_on,
                "working_days_left": clock.working_days_left,
                "paused": clock.paused,
                "provisional": clock.provisional,
            }
    return None


def track(number: str, code: str) -> Application:
    """Public tracking: unknown number and wrong code are the same 404 (constant-time compare)."""
    row = (
        Application.objects.select_related("entry__item", "accepting_organisation", "current_organisation")
        .filter(number=str(number or "")[:50])
        .first()
    )
    digest = row.query_code_digest if row is not None else ""
    if not numbers.query_code_matches(code or "", digest) or row is None:
        raise NotFound()
    return row
