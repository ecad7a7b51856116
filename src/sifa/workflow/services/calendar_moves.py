"""Due dates that a calendar change moved (e.g. the State Council's holiday notice was published):
bring the cases' work items in line, and tell the applicant and the staff whose work it is.

Runs inside the refresh batch that wrote the new due dates (``sifa.deadlines.signals``), so the
messages are written with the change or not at all.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sifa.accounts.models import User
from sifa.applications.models import Application
from sifa.deadlines.models import ClockPurpose
from sifa.deadlines.selectors import change_cause
from sifa.deadlines.signals import DueDateMove
from sifa.notifications.services import notify
from sifa.organisations.models import Membership
from sifa.workflow import caseclocks
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import projection
from sifa.workflow.services.context import notify_applicant

SHOWN_TO_APPLICANT = (ClockPurpose.LEGAL, ClockPurpose.PROMISED, ClockPurpose.NOTICE_WINDOW)
"""The order ``applications.selectors.deadline`` picks the one deadline an applicant sees."""

MAX_LINES = 50
"""A staff message lists at most this many cases; the worklist has them all."""


def _when(move: DueDateMove) -> str:
    return move.after.isoformat() + ("（暂定）" if move.provisional else "")


def _is_case_id(value: str) -> bool:
    """Case clocks are keyed by the application's UUID (``caseclocks``); anything else is not ours."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def on_due_dates_moved(sender: Any, moves: list[DueDateMove], **kwargs: Any) -> None:
    ours: dict[str, list[DueDateMove]] = defaultdict(list)
    for move in moves:
        if move.subject_type == caseclocks.SUBJECT_TYPE and _is_case_id(move.subject_id):
            ours[move.subject_id].append(move)
    if not ours:
        return
    cause = change_cause()
    staff_lines: dict[int, list[str]] = defaultdict(list)
    cases = Application.objects.filter(pk__in=list(ours)).select_related("version__item", "applicant")
    for case in cases:
        case_moves = {move.clock_id: move for move in ours[str(case.pk)]}
        projection.refresh_case(case)
        running = {clock.purpose: clock for clock in caseclocks.running_clocks(case)}
        shown = next((running[p] for p in SHOWN_TO_APPLICANT if p in running), None)
        if shown is not None and shown.pk in case_moves:
            move = case_moves[shown.pk]
            notify_applicant(
                case,
                "deadline.moved",
                kind=shown.get_purpose_display(),
                before=move.before.isoformat(),
                after=move.after.isoformat(),
                provisional=move.provisional,
                cause=cause,
            )
        items = WorkItem.objects.filter(
            application=case, status=WorkItemStatus.OPEN, clock_id__in=list(case_moves)
        )
        for item in items:
            move = case_moves[item.clock_id]
            line = f"{case.number} {item.title}：{move.before.isoformat()} → {_when(move)}"
            for user_id in Membership.objects.filter(
                organisation_id=item.organisation_id, role=item.role, user__is_active=True
            ).values_list("user_id", flat=True):
                staff_lines[user_id].append(line)
    for user in User.objects.filter(pk__in=list(staff_lines)):
        lines = staff_lines[user.pk]
        shown_lines = lines[:MAX_LINES] + (
            [f"……另有 {len(lines) - MAX_LINES} 件"] if len(lines) > MAX_LINES else []
        )
        notify(
            user,
            "deadline.moved_staff",
            {"count": len(lines), "cases": shown_lines, "cause": cause},
            link="/workbench/",
        )
