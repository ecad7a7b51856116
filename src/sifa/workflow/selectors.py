"""Reads, always scoped: which cases a staff member may see, and their worklist.

Visibility of a case (:func:`visible_cases`, one SQL predicate):

* the accepting organisation lies in the subtree of one of the actor's organisations (the standard
  data scope — a province sees its cities' cases);
* **or** the actor is a window clerk at the window that *received* the case (一窗受理: a county or
  township window takes a walk-in applicant's materials for the city — ``receiving_window``), while
  the case is at a step that window performs: acceptance (待预审 … 已受理, 不予受理) and delivery
  (准予/不予决定, 已送达);
* **or** the actor is a window clerk at the window the applicant *chose* to collect the result at
  (``pickup_window``), while the case is at its delivery step (准予/不予决定, 已送达).

A window below the accepting organisation sees nothing else of it: a 上城区 clerk does not read a
西湖区 resident's online application to 杭州市. Cases outside all three are reported as not found
(404 ``workflow.case_not_found``), never as forbidden.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.selectors import pickup_window_choices
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion
from sifa.catalogue.processes import bpmn_file_of
from sifa.core.db import PATH_CEILING, PreparedQuery
from sifa.core.errors import NotFound
from sifa.deadlines.clocks import WarningLevel
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import Actor, scoped, subtree_q
from sifa.workflow.engine.registry import delivers
from sifa.workflow.models import CaseDocument, StartAlert, WorkItem, WorkItemStatus

S = ApplicationStatus
CASE_DOCUMENT_TYPE = "application"
"""``Document.related_type`` of a case's documents (``related_id`` is the 办件编号)."""
DELIVERY_STEP = (S.APPROVED, S.DENIED, S.DELIVERED)
"""颁发、送达 (行政许可法 §44): decided, and the delivery it ends with."""
RECEIVING_STEPS = (
    S.SUBMITTED,
    S.CORRECTION_REQUIRED,
    S.PENDING_ACCEPTANCE,
    S.ACCEPTED,
    S.NOT_ACCEPTED,
    *DELIVERY_STEP,
)
"""The steps of the window that received a walk-in: acceptance (pre-review, 补正, 受理 or 不予受理;
已受理 while a 即办件's 受理并当场决定 is still the window's) and delivery. Review and decision
(审查中, 中止) are the accepting organisation's: the window does not see them."""


def ancestor_paths(path: str) -> list[str]:
    """``/1/2/3/`` → ``["/1/", "/1/2/", "/1/2/3/"]``."""
    parts = [part for part in path.strip("/").split("/") if part]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]


def window_q(actor: Actor) -> Q:
    """The cases the actor's windows received or were chosen for, at the window's steps, and only
    on the window's own line (the accepting organisation is the window's or above it) — one SQL
    predicate, no per-row check."""
    predicate = Q(pk__in=[])
    for org_id, path, role in actor.memberships:
        if role != Role.WINDOW_CLERK:
            continue
        line = Q(scope_path__in=ancestor_paths(path))
        predicate |= line & Q(receiving_window_id=org_id, status__in=RECEIVING_STEPS)
        predicate |= line & Q(pickup_window_id=org_id, status__in=DELIVERY_STEP)
    return predicate


def visible_cases(actor: Actor) -> QuerySet[Application]:
    cases = Application.objects.all()
    if actor.user_id is None:
        return cases.none()
    if actor.is_superuser:
        return cases
    return cases.filter(subtree_q("scope_path", actor.paths) | window_q(actor))


def case_windows(actor: Actor, case: Application) -> tuple[int, ...]:
    """The actor's windows through which ``case`` is visible at its current step — the rule of
    :func:`window_q` for one case (for the access log: a read through a window is credited to
    that window's organisation)."""
    found = []
    for org_id, path, role in actor.memberships:
        if role != Role.WINDOW_CLERK or case.scope_path not in ancestor_paths(path):
            continue
        if (org_id == case.receiving_window_id and case.status in RECEIVING_STEPS) or (
            org_id == case.pickup_window_id and case.status in DELIVERY_STEP
        ):
            found.append(org_id)
    return tuple(found)


def case_documents_q(actor: Actor) -> Q:
    """The documents (``documents.Document``) of the cases ``actor`` sees — for the documents app's
    selectors, which know only their own subtree scope: a window that sees a case at its step (the
    acceptance or 不予受理 notice at acceptance, the decision letter at delivery) opens and prints
    the documents it hands over, and only while it sees the case (a case's documents carry the
    case's ``scope_path``, so the standard scope already covers its organisations). One SQL predicate (a subquery over
    :func:`visible_cases`), never a per-row check; nothing for an actor who is not staff."""
    if actor.user_id is None or not actor.is_staff_actor:
        return Q(pk__in=[])
    numbers = visible_cases(actor).exclude(number="").values("number")
    return Q(related_type=CASE_DOCUMENT_TYPE, related_id__in=numbers)


def case_of_document(actor: Actor, document: Any) -> Application | None:
    """The case ``document`` is about, if ``actor`` sees it now (for the access log)."""
    if document.related_type != CASE_DOCUMENT_TYPE or not document.related_id:
        return None
    return (
        visible_cases(actor)
        .select_related("version__item", "applicant")
        .filter(number=document.related_id)
        .first()
    )


def case_licence(actor: Actor, number: str) -> tuple[Application, Any]:
    """The e-licence a case issued, for the staff who hand it over (颁发、送达, 行政许可法 §44): the
    case must be visible to ``actor`` (:func:`visible_cases` — for a window below the accepting
    organisation, the window that received the case or was chosen for its pickup) **and** at its
    delivery step (准予决定, 已送达): before the decision there is nothing to hand over, and the
    window sees nothing of the case in between. The licence is the one the case's own document
    job issued (``CaseDocument.licence``), with its sealed PDF. Anything else is the same 404
    ``workflow.licence_not_found`` (an unknown number, another window's case, no PDF yet)."""
    case = (
        visible_cases(actor)
        .select_related("version__item", "applicant")
        .filter(number=number, status__in=(S.APPROVED, S.DELIVERED))
        .first()
    )
    row = None
    if case is not None and number:
        row = (
            CaseDocument.objects.filter(application=case, licence__isnull=False)
            .exclude(licence__pdf_storage_key="")
            .select_related("licence__holder", "licence__licence_type")
            .order_by("-created_at", "-id")
            .first()
        )
    if row is None:
        raise NotFound("未找到该办件的电子证照", code="workflow.licence_not_found")
    return case, row.licence


def window_deliveries(actor: Actor) -> QuerySet[Application]:
    """Decided cases waiting for delivery at one of the actor's windows — received there or chosen
    by the applicant as the pickup point (窗口领取) — oldest decision first: the window start
    page's list, so a pickup window finds the case it must hand over."""
    return (
        Application.objects.filter(window_q(actor), status__in=(S.APPROVED, S.DENIED))
        .select_related("entry__item", "version__item", "accepting_organisation")
        .order_by("decided_at", "number")
    )


def pickup_windows(application: Application) -> list[Any]:
    """Where the applicant may collect the result (领取窗口) — the apply journey's question "在哪里领取
    办理结果" — or ``[]`` when there is nothing to ask: the item's process has no 送达 step
    (人民调解), or no window below the accepting organisation is near enough to offer
    (``applications.selectors.pickup_window_choices``: the accepting organisation alone)."""
    if not delivers(bpmn_file_of(application.version)):
        return []
    choices = pickup_window_choices(application)
    return choices if len(choices) > 1 else []


STAFF_CASE_RELATIONS = (
    "entry__deciding_organisation",
    "version__item",
    "accepting_organisation",
    "current_organisation",
)
"""The relations a staff command and the staff case view read with the case."""


def _scope_shape(actor: Actor) -> tuple:
    """What the SQL of :func:`visible_cases` depends on besides values: superuser or not, the
    number of subtree roots, and for each window membership the depth of its line."""
    windows = tuple(
        len(ancestor_paths(path)) for _org, path, role in actor.memberships if role == Role.WINDOW_CLERK
    )
    return (actor.is_superuser, len(actor.paths), windows)


def _scope_values(actor: Actor) -> list:
    """The values of :func:`visible_cases`'s predicate, in the order of :func:`_scoped_case`'s
    markers: each subtree root's range, then each window's line, its id as receiving window and
    as pickup window."""
    if actor.is_superuser:
        return []
    values: list = []
    for path in actor.paths:
        values += [path, path + PATH_CEILING]
    for org_id, path, role in actor.memberships:
        if role == Role.WINDOW_CLERK:
            values += [*ancestor_paths(path), org_id, org_id]
    return values


_SCOPED_CASES: dict[tuple, PreparedQuery] = {}

CASE_COMMAND_READ = {
    "": (
        "number",
        "status",
        "row_version",
        "submitted_at",
        "accepted_at",
        "decided_at",
        "deemed_accepted",
        "is_mock",
        "scope_path",
    ),
    "entry__": (),
    "entry__deciding_organisation__": ("name",),
    "version__": ("number", "extension_applies", "extension_basis"),
    "version__item__": ("name", "item_type"),
    "accepting_organisation__": ("name",),
    "current_organisation__": ("name",),
}
"""What a case command (suspend, resume, extend) and its answer read of the case and its
relations (:data:`STAFF_CASE_RELATIONS`), besides the primary keys and foreign keys (always read):
its checks and handler, the timeline's update, the roll-ups' receiver, the audit rows and
``caseview.case_view``."""

_CASE_COMMAND_MODELS = (
    ("", Application),
    ("entry__", ImplementationEntry),
    ("entry__deciding_organisation__", Organisation),
    ("version__", ItemVersion),
    ("version__item__", CatalogueItem),
    ("accepting_organisation__", Organisation),
    ("current_organisation__", Organisation),
)

CASE_COMMAND_TRAVERSED = {
    path: tuple(
        relation[len(path) :].split("__", 1)[0]
        for relation in (r + "__" for r in STAFF_CASE_RELATIONS)
        if relation.startswith(path) and relation != path
    )
    for path, _model in _CASE_COMMAND_MODELS
}
"""The links :data:`STAFF_CASE_RELATIONS` follows from each model of the read (kept: they join)."""

CASE_COMMAND_DEFERRED = tuple(
    f"{path}{field.name}"
    for path, model in _CASE_COMMAND_MODELS
    for field in model._meta.concrete_fields
    if not field.primary_key
    and field.name not in CASE_COMMAND_READ[path]
    and (path == "" or field.name not in CASE_COMMAND_TRAVERSED[path])
    and not (path == "" and isinstance(field, models.ForeignKey))
)
"""What a case command and its answer never read of the case and its relations: every column but
:data:`CASE_COMMAND_READ`, the primary keys and the foreign keys — of the 157 columns of the whole
read (the JSON ones among them: the applicant's form and answers, the item's guide lists, each
parsed on every read) it reads 52, 35 of them keys. :func:`case_for_command` leaves them out of a
case command's read; were one read after all, Django would load it then (a deferred field: one more
statement, never another value; ``workflow/tests/test_case_command_read.py``)."""


def _scoped_case(shape: tuple, lean: bool = False) -> PreparedQuery:
    """The staff case read of :func:`case_for_staff` for actors of one :func:`_scope_shape`,
    compiled once: ``WHERE number = %s AND <visible_cases' predicate>``, the predicate written
    with the same ranges and lists as :func:`subtree_q` and :func:`window_q` but every value a
    marker (a value no row holds), so the scope stays in SQL."""
    found = _SCOPED_CASES.get((shape, lean))
    if found is not None:
        return found
    superuser, n_paths, windows = shape
    markers: list = ["\x00number"]
    if not superuser:
        markers += [f"\x00scope{n}" for n in range(2 * n_paths)]
        for w, depth in enumerate(windows):
            markers += [f"\x00line{w}.{n}" for n in range(depth)]
            markers += [-(10**9) - 2 * w, -(10**9) - 2 * w - 1]

    def build(number, *values):
        cases = Application.objects.select_related(*STAFF_CASE_RELATIONS).filter(number=number)
        if lean:
            cases = cases.defer(*CASE_COMMAND_DEFERRED)
        if superuser:
            return cases
        given = iter(values)
        predicate = Q(pk__in=[])
        for _ in range(n_paths):
            predicate |= Q(scope_path__gte=next(given), scope_path__lt=next(given))
        for depth in windows:
            line = Q(scope_path__in=[next(given) for _ in range(depth)])
            predicate |= line & Q(receiving_window_id=next(given), status__in=RECEIVING_STEPS)
            predicate |= line & Q(pickup_window_id=next(given), status__in=DELIVERY_STEP)
        return cases.filter(predicate)

    found = _SCOPED_CASES[(shape, lean)] = PreparedQuery(build, *markers)
    return found


def case_for_command(actor: Actor, number: str, *, lean: bool = False) -> Application:
    """:func:`case_for_staff` for a staff command, which reads it on every call: the same
    statement, scope in its WHERE clause (404 outside it, as before), compiled once per shape of
    actor (:func:`_scope_shape`). The same instance, with the same relations loaded; ``lean``
    (a case command) without :data:`CASE_COMMAND_DEFERRED`."""
    shape = _scope_shape(actor)
    if actor.user_id is None or shape == (False, 0, ()):  # no scope at all: nothing to read
        raise NotFound("未找到该办件", code="workflow.case_not_found")
    found = _scoped_case(shape, lean).rows(number, *_scope_values(actor))
    if not found:
        raise NotFound("未找到该办件", code="workflow.case_not_found")
    return found[0]


def case_for_staff(actor: Actor, number: str) -> Application:
    case = visible_cases(actor).select_related(*STAFF_CASE_RELATIONS).filter(number=number).first()
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
