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

import functools
import json
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.selectors import pickup_window_choices
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion
from sifa.catalogue.processes import bpmn_file_of
from sifa.core.db import PATH_CEILING, FixedRows, PreparedQuery, _make, fixed_cursor
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


def _scoped_case(shape: tuple, lean: bool = False, subqueries: bool = False) -> PreparedQuery:
    """The staff case read of :func:`case_for_staff` for actors of one :func:`_scope_shape`,
    compiled once: ``WHERE number = %s AND <visible_cases' predicate>``, the predicate written
    with the same ranges and lists as :func:`subtree_q` and :func:`window_q` but every value a
    marker (a value no row holds), so the scope stays in SQL. ``subqueries`` (a lean read on
    PostgreSQL): the case's own row, its relations read by :class:`_CaseWithRelations`."""
    found = _SCOPED_CASES.get((shape, lean, subqueries))
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
        cases = Application.objects.filter(number=number)
        if subqueries:
            cases = cases.defer(*(name for name in CASE_COMMAND_DEFERRED if "__" not in name))
        else:
            cases = cases.select_related(*STAFF_CASE_RELATIONS)
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

    kind = _CaseWithRelations if subqueries else PreparedQuery
    found = _SCOPED_CASES[(shape, lean, subqueries)] = kind(build, *markers)
    return found


_RELATION_ROWS = {
    path: FixedRows(
        model,
        *(
            field.name
            for field in model._meta.concrete_fields
            if f"{path}{field.name}" not in CASE_COMMAND_DEFERRED
        ),
    )
    for path, model in _CASE_COMMAND_MODELS
    if path
}
"""Each relation's columns a lean read gives (``select_related``'s for the lean read: the primary key,
the links it follows and :data:`CASE_COMMAND_READ`, in field order), built as its populator builds it."""

_RELATION_COLUMNS = (
    ("id", "deciding_organisation_id"),
    ("id", "name"),
    ("id", "item_id", "number", "extension_applies", "extension_basis"),
    ("id", "name", "item_type"),
    ("id", "name"),
    ("id", "name"),
)
""":data:`_RELATION_ROWS`' columns, which :class:`_CaseWithRelations`' subqueries read."""

_JSON_VALUE = json.JSONDecoder().scan_once
"""The JSON scanner of ``json.loads`` (the C one), without ``loads``' Python steps around it: the
relations' text is PostgreSQL's own JSON, one value without surrounding space."""


class _CaseWithRelations(PreparedQuery):
    """PostgreSQL: the lean case read with the relations of :data:`STAFF_CASE_RELATIONS` as scalar
    subqueries by primary key, nested in one giving a JSON array (text) instead of six joins — the
    version's columns, its item's, the entry's deciding organisation and the names of the three
    organisations (the deciding one, the case's accepting and current one) — and the same
    instances built from them, set on the case as the read's populators set them. The server
    opens, locks and starts each joined relation, index and node anew on every execution
    (docs/performance.md, "session 12" and "session 14: W4 on PostgreSQL"); every link here is a
    ``NOT NULL`` foreign key but the current organisation, so each subquery finds the row the
    inner join found."""

    def _compile(self, connection) -> tuple:
        key = (connection.alias, connection.vendor, "relations")
        found = self._compiled.get(key)
        if found is None:
            if tuple(rows.attnames for rows in _RELATION_ROWS.values()) != _RELATION_COLUMNS:
                raise ValueError("the lean read's relations are not the subqueries' columns")
            sql, *rest = super()._compile(connection)
            q = connection.ops.quote_name
            case = q(Application._meta.db_table)
            entry, version = ImplementationEntry._meta.db_table, ItemVersion._meta.db_table
            item, organisation = CatalogueItem._meta.db_table, Organisation._meta.db_table
            tail = f" FROM {case} "
            if f"{tail}WHERE " not in sql or sql.count(tail) != 1:
                raise ValueError("not the case read's statement")
            relations = (
                f", (SELECT json_build_array(v.{q('item_id')}, v.{q('number')}, "  # noqa: S608 (names from the models)
                f"v.{q('extension_applies')}, v.{q('extension_basis')}, "
                f"(SELECT json_build_array(i.{q('name')}, i.{q('item_type')}) "
                f"FROM {q(item)} i WHERE i.{q('id')} = v.{q('item_id')}), "
                f"(SELECT json_build_array(e.{q('deciding_organisation_id')}, "
                f"(SELECT json_object_agg(o.{q('id')}, o.{q('name')}) FROM {q(organisation)} o "
                f"WHERE o.{q('id')} IN (e.{q('deciding_organisation_id')}, "
                f"{case}.{q('accepting_organisation_id')}, {case}.{q('current_organisation_id')}))) "
                f"FROM {q(entry)} e WHERE e.{q('id')} = {case}.{q('entry_id')}))::text "
                f"FROM {q(version)} v WHERE v.{q('id')} = {case}.{q('version_id')})"
            )
            found = self._compiled[key] = (sql.replace(tail, relations + tail), *rest, _makers(connection))
        return found

    def rows(self, *values, using: str = DEFAULT_DB_ALIAS) -> list:
        connection = connections[using]
        sql, params, slots, compiler, converters, model, (start, end), names, _populators, plain, makers = (
            self._compile(connection)
        )
        bound = [
            param if slot is None else (values[slot[0]].hex if slot[1] else values[slot[0]])
            for slot, param in zip(slots, params, strict=True)
        ]
        with fixed_cursor(connection) as cursor:
            cursor.execute(sql, bound)
            rows = cursor.fetchall()
        if converters:
            rows = compiler.apply_converters(rows, converters)
        found = []
        for row in rows:
            case = _make(model, names, plain, using, row[start:end])
            _set_relations(case, row[end], makers)
            found.append(case)
        return found


_MAKERS: dict[tuple[str, str], tuple] = {}


def _makers(connection) -> tuple:
    """For each relation of :data:`_RELATION_ROWS`, in its order, what builds its instance from its
    values: :func:`core.db._make` with the relation's columns where the values need no
    converter on this database (the instance ``FixedRows.build`` makes, made in one call), else
    ``FixedRows.build`` itself."""
    key = (connection.alias, connection.vendor)
    found = _MAKERS.get(key)
    if found is None:
        found = _MAKERS[key] = tuple(
            functools.partial(_make, rows.model, rows.attnames, rows._plain, connection.alias)
            if not rows._converters_for(connection)
            else functools.partial(_built, rows, connection)
            for rows in _RELATION_ROWS.values()
        )
    return found


def _built(rows: FixedRows, connection, values) -> Any:
    return rows.build(values, connection)


def _set_relations(case: Application, relations: str, makers: tuple) -> None:
    """The relations of :class:`_CaseWithRelations`' row set on ``case`` as the read's populators
    set them (``Field.set_cached_value``: the instance's ``_state.fields_cache`` under the field's
    name), in their order — the entry with its deciding organisation, the version with its item,
    the accepting and the current organisation — each organisation's name by its id from the
    names' JSON object (its keys the ids' text)."""
    entry_of, deciding_of, version_of, item_of, accepting_of, current_of = makers  # :func:`_makers`
    item_id, number, applies, basis, (name, item_type), (deciding, names) = _JSON_VALUE(relations, 0)[0]
    cache = case._state.fields_cache
    entry = cache["entry"] = entry_of((case.entry_id, deciding))
    entry._state.fields_cache["deciding_organisation"] = deciding_of((deciding, names[str(deciding)]))
    version = cache["version"] = version_of((case.version_id, item_id, number, applies, basis))
    version._state.fields_cache["item"] = item_of((item_id, name, item_type))
    accepting = case.accepting_organisation_id
    cache["accepting_organisation"] = accepting_of((accepting, names[str(accepting)]))
    current = case.current_organisation_id
    cache["current_organisation"] = None if current is None else current_of((current, names[str(current)]))


_VENDORS: dict[str, str] = {}


def _vendor() -> str:
    """The default database's vendor, from its configured engine (a dictionary read): looking the
    connection itself up (``connections[alias]``, a thread- and task-local read) costs more than
    the read it would choose for."""
    engine = connections.settings[DEFAULT_DB_ALIAS]["ENGINE"]
    found = _VENDORS.get(engine)
    if found is None:
        found = _VENDORS[engine] = connections[DEFAULT_DB_ALIAS].vendor
    return found


def case_for_command(actor: Actor, number: str, *, lean: bool = False) -> Application:
    """:func:`case_for_staff` for a staff command, which reads it on every call: the same
    statement, scope in its WHERE clause (404 outside it, as before), compiled once per shape of
    actor (:func:`_scope_shape`). The same instance, with the same relations loaded; ``lean``
    (a case command) without :data:`CASE_COMMAND_DEFERRED` (on PostgreSQL its relations read by
    :class:`_CaseWithRelations`)."""
    shape = _scope_shape(actor)
    if actor.user_id is None or shape == (False, 0, ()):  # no scope at all: nothing to read
        raise NotFound("未找到该办件", code="workflow.case_not_found")
    subqueries = lean and _vendor() == "postgresql"
    found = _scoped_case(shape, lean, subqueries).rows(number, *_scope_values(actor))
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
