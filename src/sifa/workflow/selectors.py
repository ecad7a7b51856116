"""Reads, always scoped: which cases a staff member may see, and their worklist.

Visibility of a case: the accepting organisation lies in the subtree of one of the actor's
organisations (the standard data scope — a province sees its cities' cases), **or** the actor is a
window clerk at an organisation *below* the accepting organisation (一窗受理: a county or township
window receives walk-in applicants for the city and may accept and deliver on its behalf). Cases
outside both are reported as not found (404), never as forbidden.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from sifa.applications.models import Application
from sifa.core.errors import NotFound
from sifa.deadlines.clocks import WarningLevel
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor, scoped, subtree_q
from sifa.workflow.models import StartAlert, WorkItem, WorkItemStatus


def ancestor_paths(path: str) -> list[str]:
    """``/1/2/3/`` → ``["/1/", "/1/2/", "/1/2/3/"]``."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def visible_cases(actor: Actor) -> QuerySet[Application]:
    cases = Application.objects.all()
    if actor.user_id is None:
        return cases.none()
    if actor.is_superuser:
        return cases
    predicate = subtree_q("scope_path", actor.paths)
    window = {p for path in actor.paths_for([Role.WINDOW_CLERK]) for p in ancestor_paths(path)}
    if window:
        predicate |= Q(scope_path__in=sorted(window))
    return cases.filter(predicate)


def case_for_staff(actor: Actor, number: str) -> Application:
    case = (
        visible_cases(actor)
        .select_related("entry__deciding_organisation", "version__item", "accepting_organisation")
        .filter(number=number)
        .first()
    )
    if case is None:
        raise NotFound("未找到该办件", code="workflow.case_not_found")
    return case


WARNING_ORDER = Case(
    When(warning_level=WarningLevel.RED, then=Value(0)),
    When(warning_level=WarningLevel.YELLOW, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def worklist(
    actor: Actor, *, warning_level: str | None = None, role: str | None = None, stage: str | None = None
) -> QuerySet[WorkItem]:
    """Open work in the actor's jurisdiction: red first, then yellow, then green; earliest due first."""
    items = scoped(WorkItem.objects.filter(status=WorkItemStatus.OPEN), actor)
    if warning_level:
        items = items.filter(warning_level=warning_level)
    if role:
        items = items.filter(role=role)
    if stage:
        items = items.filter(Q(task_name=stage) | Q(stage_name=stage) | Q(kind=stage))
    return (
        items.select_related("application__version__item", "organisation", "clock")
        .annotate(warning_rank=WARNING_ORDER)
        .order_by("warning_rank", "due_on", "id")
    )


def open_alerts(actor: Actor) -> QuerySet[StartAlert]:
    """Open start alerts of cases in ``actor``'s jurisdiction, newest first (see ``services.alerts``)."""
    return (
        scoped(StartAlert.objects.filter(resolved_at__isnull=True), actor)
        .select_related("application__version__item", "application__accepting_organisation")
        .order_by("-last_seen_at", "id")
    )
