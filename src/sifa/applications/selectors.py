"""Reads of applications, always through the caller's data scope (out of scope = 404).

The public tracking read (:func:`track`) is the one unauthenticated read: number + query code,
with the same answer for an unknown number and a wrong code.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from sifa.applications import query_codes
from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    PreReviewFinding,
    SubmissionChannel,
    TimelineEntry,
)
from sifa.catalogue.models import CatalogueItem, EntryStatus, ImplementationEntry, VersionStatus
from sifa.core.db import PreparedQuery
from sifa.core.errors import NotFound
from sifa.deadlines.calendar import CalendarDataMissing
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.organisations.models import Organisation
from sifa.organisations.scope import Actor, Role, scoped, subtree_q

NEXT_ACTIONS = {
    ApplicationStatus.DRAFT: "继续填写并提交申请",
    ApplicationStatus.SUBMITTED: "等待预审",
    ApplicationStatus.CORRECTION_REQUIRED: "提交补正材料",
    ApplicationStatus.PENDING_ACCEPTANCE: "等待受理",
    ApplicationStatus.ACCEPTED: "等待审查",
    ApplicationStatus.IN_REVIEW: "等待审查结果",
    ApplicationStatus.SUSPENDED: "等待恢复办理（时限暂停）",
    ApplicationStatus.APPROVED: "等待领取或送达结果",
    ApplicationStatus.DENIED: "查看不予决定及救济途径",
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
        "entry__item", "version", "accepting_organisation", "current_organisation", "agent"
    ).order_by("-created_at", "id")
    return scoped(queryset, actor)


def _one_by_ref(queryset: QuerySet[Application], ref: Any) -> Application:
    """The one row of ``queryset`` whose id (a UUID) or 办件编号 is ``ref``; 404 when none. Both
    are unique: the first row is the row."""
    ref = str(ref or "")
    try:
        lookup = {"pk": uuid.UUID(ref)}
    except ValueError:
        lookup = {"number": ref}
    rows = list(queryset.filter(**lookup)[:1])
    if not rows:
        raise NotFound()
    return rows[0]


def application(actor: Actor, ref: Any) -> Application:
    """By 办件编号, or by id (drafts have no number yet)."""
    return _one_by_ref(applications(actor), ref)


def application_with_version(actor: Actor, ref: Any) -> Application:
    """:func:`application` (same scope, same 404) with only its version joined, for a command
    whose service reads nothing else of it (an upload): the wide read's five joins and its
    ordering cost a few milliseconds of query building and instances per request.

    For an applicant (no staff membership, not a superuser: the scope is the owner columns only)
    the statement is compiled once per database and lookup (:data:`_OWN_WITH_VERSION`): the same
    SQL, scope in its WHERE clause, the same instance."""
    if actor.user_id is not None and not actor.is_superuser and not actor.is_staff_actor:
        ref = str(ref or "")
        try:
            key: Any = uuid.UUID(ref)
            prepared = _OWN_WITH_VERSION["pk"]
        except ValueError:
            key, prepared = ref, _OWN_WITH_VERSION["number"]
        rows = prepared.rows(key, actor.user_id)
        if not rows:
            raise NotFound()
        return rows[0]
    return _one_by_ref(scoped(Application.objects.select_related("version"), actor), ref)


def _own_with_version(lookup: str) -> Callable[..., QuerySet[Application]]:
    def build(ref: Any, user_id: int) -> QuerySet[Application]:
        owner = Actor(user_id=user_id)
        queryset = scoped(Application.objects.select_related("version"), owner)
        return queryset.filter(**{lookup: ref})[:1]

    return build


_OWNER_MARKER = -(10**12) - 3
_OWN_WITH_VERSION = {
    "pk": PreparedQuery(
        _own_with_version("pk"), uuid.UUID(int=0x5A1F_A000_0000_4000_8000_0000_0000_0003), _OWNER_MARKER
    ),
    "number": PreparedQuery(_own_with_version("number"), "\x00number", _OWNER_MARKER),
}
""":func:`_one_by_ref` of ``scoped(…select_related("version"), actor)`` for an actor whose scope is
its owner columns only (``applicant``, ``agent``, ``submitted_by`` = the user), by id or by
办件编号; the user's id is one marker in the three places."""


def application_id_only(actor: Actor, ref: Any) -> Application:
    """:func:`application` (the same scope, the same 404), reading only the id and the version's id:
    for a command that locks the row and reads it whole itself (the submit, which reads the
    version's catalogue rows before its transaction)."""
    return _one_by_ref(scoped(Application.objects.only("pk", "version"), actor), ref)


def _stored_material(
    rows: QuerySet[ApplicationMaterial], app: Application, material_id: Any
) -> ApplicationMaterial:
    """The material ``material_id`` of ``app`` among ``rows`` that has a stored file; 404 otherwise."""
    try:
        key = uuid.UUID(str(material_id))
    except ValueError:
        raise NotFound() from None
    row = rows.filter(application=app, pk=key).exclude(storage_key="").first()
    if row is None:
        raise NotFound()
    return row


def material(actor: Actor, application_ref: Any, material_id: Any) -> ApplicationMaterial:
    app = application(actor, application_ref)
    return _stored_material(scoped(ApplicationMaterial.objects.all(), actor), app, material_id)


def findings(actor: Actor, app: Application) -> QuerySet[PreReviewFinding]:
    return scoped(PreReviewFinding.objects.filter(application=app).order_by("id"), actor)


def public_timeline(app: Application) -> QuerySet[TimelineEntry]:
    return (
        app.timeline.filter(public=True)
        .select_related("organisation")
        .only("application", "occurred_at", "event", "title", "detail", "organisation__name")
        .order_by("occurred_at", "id")
    )


def deadline(app: Application) -> dict[str, Any] | None:
    """The statutory clock of the case, when it has one (legal limit first).

    ``provisional``: the due date counts a day of a year whose official 放假安排 is not yet entered (暂定).
    """
    # The case's clocks as the workflow starts them (subject "application", the case's id): one
    # probe of the clock index; the derived columns only; a paused clock's projection reads its
    # events (one more query).
    open_clocks = ClockState.objects.filter(
        subject_type="application", subject_id=str(app.pk), stopped_on__isnull=True
    ).only("id", "purpose", "due_on", "working_days_left", "paused", "provisional")
    clocks = {c.purpose: c for c in open_clocks}
    for purpose in (ClockPurpose.LEGAL, ClockPurpose.PROMISED, ClockPurpose.NOTICE_WINDOW):
        clock = clocks.get(purpose)
        if clock is not None:
            expected_on = (
                clock.due_on if not clock.paused else _projected_due_on(ClockState.objects.get(pk=clock.pk))
            )
            return {
                "kind": clock.get_purpose_display(),
                "due_on": clock.due_on,
                "expected_on": expected_on,
                "working_days_left": clock.working_days_left,
                "paused": clock.paused,
                "provisional": clock.provisional,
                # 暂定 for the applicant: the calendar is not yet published, or the clock is paused
                # (the date holds only if the suspension ends today).
                "expected_provisional": clock.provisional or clock.paused,
            }
    return None


def _projected_due_on(clock: ClockState) -> dt.date | None:
    """A paused clock's due date if it resumed tomorrow; None without calendar data."""
    try:
        return clock.to_clock().status(DatabaseCalendar(), timezone.localdate()).projected_due_on
    except CalendarDataMissing:
        return None


TRACKED_FIELDS = (
    "id",
    "number",
    "status",
    "submitted_at",
    "query_code_digest",
    "entry__item__name",
    "version__item__item_type",
    "accepting_organisation__name",
    "current_organisation__name",
)
"""What the public progress answer (``serializers.tracking``) reads of a case: a public query per
address runs on every request, and reading (and decoding) the whole wide row cost more than the
query (docs/performance.md, "2026-12-05 evening")."""


def track(number: str, code: str) -> Application:
    """Public tracking: unknown number and wrong code are the same 404 (constant-time compare)."""
    row = (
        Application.objects.select_related(
            "entry__item", "version__item", "accepting_organisation", "current_organisation"
        )
        .only(*TRACKED_FIELDS)
        .filter(number=str(number or "")[:50])
        .first()
    )
    digest = row.query_code_digest if row is not None else ""
    if not query_codes.query_code_matches(code or "", digest) or row is None:
        raise NotFound()
    return row


def mandatable_items() -> list[tuple[str, str]]:
    """(basic code, name) of the items a mandate (委托) may name: every item that can be applied
    for (an active implementation entry on a published version) and the 主项 above such items —
    a mandate for a 主项 covers its 子项."""
    live = Q(implementations__status=EntryStatus.ACTIVE) & Q(
        implementations__version__status=VersionStatus.PUBLISHED
    )
    applicable = CatalogueItem.objects.filter(live)
    rows = CatalogueItem.objects.filter(
        Q(pk__in=applicable.values("pk")) | Q(pk__in=applicable.values("parent_id"))
    ).order_by("basic_code")
    return list(rows.values_list("basic_code", "name"))


def item_names(codes: Collection[str]) -> dict[str, str]:
    """``{basic code: name}`` for those of ``codes`` a mandate may name (the accounts app's item
    lookup, registered in ``ApplicationsConfig.ready``)."""
    wanted = set(codes)
    return {code: name for code, name in mandatable_items() if code in wanted}


# --- 一窗受理: what a window clerk may receive, and the receipt -------------------------------------

WINDOW_SUBMIT_KEY = "window-submit-{pk}"
"""The Idempotency-Key of a walk-in submission at the window: a double click or a reload replays
the first answer, and the receipt reads the query code back from it."""


def window_paths(actor: Actor) -> tuple[str, ...]:
    """The organisations where the actor sits at a window (一窗受理)."""
    return actor.paths_for([Role.WINDOW_CLERK])


def window_covers(actor: Actor, organisation_path: str) -> bool:
    """一窗受理: a window clerk at the organisation, in its subtree, or above it may receive for it
    (docs/workflow.md, "Who may see and act")."""
    if actor.is_superuser:
        return True
    return any(
        organisation_path.startswith(path) or path.startswith(organisation_path)
        for path in window_paths(actor)
    )


def receiving_window_for(actor: Actor, organisation_path: str) -> int | None:
    """The window (organisation id) at which ``actor`` receives a walk-in for the organisation at
    ``organisation_path``: of the actor's windows on its line (:func:`window_covers`), the nearest —
    the organisation itself, else the closest below or above it. ``None`` when there is none."""
    line = [
        (abs(len(path) - len(organisation_path)), path, org_id)
        for org_id, path, role in actor.memberships
        if role == Role.WINDOW_CLERK
        and (organisation_path.startswith(path) or path.startswith(organisation_path))
    ]
    return min(line)[2] if line else None


def window_ids(actor: Actor) -> tuple[int, ...]:
    """The organisations (ids) where the actor sits at a window."""
    return tuple(sorted({org_id for org_id, _path, role in actor.memberships if role == Role.WINDOW_CLERK}))


def window_application(actor: Actor, ref: Any) -> Application:
    """A walk-in application filed at one of the actor's windows (the window that received it:
    ``receiving_window``; a colleague at the same window may carry on); anything else is 404 — a
    walk-in filed at another window is that window's, wherever it sits on the line."""
    try:
        key = uuid.UUID(str(ref))
    except ValueError:
        raise NotFound() from None
    row = (
        Application.objects.select_related(
            "entry__item",
            "version",
            "accepting_organisation",
            "receiving_window",
            "applicant_person",
            "applicant_company",
        )
        .filter(pk=key, channel=SubmissionChannel.WINDOW)
        .first()
    )
    if row is None or not (actor.is_superuser or row.receiving_window_id in window_ids(actor)):
        raise NotFound()
    return row


def window_material(actor: Actor, ref: Any, material_id: Any) -> ApplicationMaterial:
    """A stored file of a walk-in application the actor's windows may handle."""
    return _stored_material(ApplicationMaterial.objects.all(), window_application(actor, ref), material_id)


def window_entries(actor: Actor) -> QuerySet:
    """Active entries on a published version that the actor's windows may receive for: entries of
    the window's own organisation, of every organisation above it, and of those below it (the rule
    of :func:`window_covers`)."""

    paths = window_paths(actor)
    ancestors = {p[: i + 1] for p in paths for i, ch in enumerate(p) if ch == "/" and i}
    return (
        ImplementationEntry.objects.filter(status=EntryStatus.ACTIVE, version__status=VersionStatus.PUBLISHED)
        .filter(
            subtree_q("accepting_organisation__path", paths) | Q(accepting_organisation__path__in=ancestors)
        )
        .select_related("item", "version__process", "accepting_organisation")
        .order_by("item__basic_code", "accepting_organisation__level", "accepting_organisation__path")
    )


def window_applications(user: Any) -> QuerySet[Application]:
    """The walk-in applications this clerk filed at the window, newest first."""
    return (
        Application.objects.filter(submitted_by=user, channel=SubmissionChannel.WINDOW)
        .select_related("entry__item", "accepting_organisation", "applicant_person", "applicant_company")
        .order_by("-created_at", "id")
    )


def window_query_code(user: Any, app: Application) -> str:
    """The query code of a walk-in submission, for the clerk who submitted it at the window (it is
    kept only sealed in the submission's idempotency record); "" for anyone else."""
    from sifa.applications.services.idempotency import stored_answer

    answer = stored_answer(
        user=user, scope=f"applications.submit:{app.pk}", key=WINDOW_SUBMIT_KEY.format(pk=app.pk)
    )
    return str((answer or {}).get("query_code") or "")


def pickup_window_choices(application: Application) -> list[Any]:
    """Where the applicant may collect the result (领取窗口), in the order a person looks for it:
    the accepting organisation (the default) first; then the window that received a walk-in; then
    the offices on the applicant's own line below the accepting organisation, nearest home first
    (their 司法所, their county bureau); then the other organisations directly below the accepting
    organisation (a city's county bureaus). Only active organisations that run a window (an active
    window clerk) are offered besides the accepting organisation — a window nobody staffs could
    not hand anything over — so the list stays short (a few rows) whatever the tree's size; a
    window already chosen (through the API) stays on the list. Every row passes
    ``services.drafts.chosen_pickup_window``."""
    accepting = application.accepting_organisation
    home = _applicant_scope_path(application)
    home_line = [p for p in _ancestors(home) if p.startswith(accepting.path) and p != accepting.path]
    staffed = Organisation.objects.filter(
        is_active=True,
        path__startswith=accepting.path,
        memberships__role=Role.WINDOW_CLERK,
        memberships__user__is_active=True,
    ).exclude(pk=accepting.pk)
    near = Q(path__in=home_line) | Q(parent=accepting)
    if application.receiving_window_id:
        near |= Q(pk=application.receiving_window_id)
    rows = {org.pk: org for org in staffed.filter(near).distinct()}
    first = [rows.pop(application.receiving_window_id)] if application.receiving_window_id in rows else []
    line = sorted((o for o in rows.values() if o.path in home_line), key=lambda o: -len(o.path))
    rest = sorted((o for o in rows.values() if o.path not in home_line), key=lambda o: o.path)
    listed = {accepting.pk, application.receiving_window_id, *rows}
    chosen = application.pickup_window
    kept = [chosen] if chosen is not None and chosen.pk not in listed else []
    return [accepting, *first, *kept, *line, *rest]


def default_pickup_window(application: Application) -> Any:
    """The window the result waits at unless the applicant chose another: the chosen one, the
    window that received a walk-in, else the accepting organisation."""
    return application.pickup_window or application.receiving_window or application.accepting_organisation


def _applicant_scope_path(application: Application) -> str:
    party = application.applicant_person or application.applicant_company
    if party is not None and getattr(party, "scope_path", ""):
        return party.scope_path
    return application.applicant.scope_path if application.applicant_id else ""


def _ancestors(path: str) -> list[str]:
    parts = [p for p in (path or "").strip("/").split("/") if p]
    return ["/" + "/".join(parts[: n + 1]) + "/" for n in range(len(parts))]
