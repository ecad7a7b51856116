"""``run_command``: the one entry of every workflow command, staff's and the applicant's.

Every command is one transaction: lock the case's process instance (starting it when the case still
waits for acceptance), check scope (404), state (409, from ``sifa.workflow.transitions``), role (403)
and input (400) in that order, run the handler — engine task, work items, clocks, status and
timeline, notification, documents owed — and write the audit event ``workflow.<command>``. On
SQLite, whose write lock is the whole database's, the case commands (suspend, resume, extend) are
prepared before that transaction and only write in it, each write checked by version
(:func:`_run_prepared`; docs/workflow.md, "Case commands on SQLite").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.common import MANDATE_ENDED, MANDATE_ENDED_MESSAGE, agent_may_act
from sifa.core.db import PreparedQuery, Stale, deferred_writes
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor, actor_for
from sifa.workflow import caseclocks
from sifa.workflow.models import ProcessInstance
from sifa.workflow.selectors import STAFF_CASE_RELATIONS, case_for_command, case_for_staff
from sifa.workflow.services import commands, service_commands
from sifa.workflow.services.context import (
    CommandContext,
    audit,
    bad_input,
    not_allowed,
    open_items,
    role_required,
    text,
)
from sifa.workflow.services.start import start_case
from sifa.workflow.transitions import TRANSITIONS, acting_items, acting_role, refusal

Handler = Callable[[CommandContext], None]

COMMANDS: dict[str, Handler] = {
    "accept": commands.accept,
    "refuse": commands.refuse,
    "request_correction": commands.request_correction,
    "review": commands.review,
    "decide": commands.decide,
    "assign": commands.assign,
    "deliver": commands.deliver,
    "suspend": commands.suspend,
    "resume": commands.resume,
    "extend": commands.extend,
    "withdraw": commands.withdraw,
    "rule": service_commands.rule,
    "assign_mediators": service_commands.assign_mediators,
    "record_session": service_commands.record_session,
    "conclude_mediation": service_commands.conclude_mediation,
}
"""The handler of every command of ``transitions.TRANSITIONS`` (a test checks both name the same)."""


def _target(ctx: CommandContext, command: str, open_now: list) -> None:
    """Pick the work item the command acts on (of ``open_now``, the case's open work items); 409 if
    none fits, 403 if the actor may do none."""
    rule = TRANSITIONS[command]
    items = acting_items(command, ctx.application, open_now)
    if rule.case_command:
        if not items:
            raise not_allowed(f"当前没有可{rule.label}的办理环节")
        mine = [(i, role) for i in items if (role := acting_role(ctx.actor, command, i, ctx.application))]
        if not mine:
            raise role_required(items[0].organisation, Role.REVIEWER)
        ctx.item, ctx.role = mine[0]
        return
    hint = text(ctx.data, "task")
    items = [i for i in items if not hint or hint in (i.task_name, str(i.pk))]
    if not items:
        raise not_allowed(f"当前办理环节不能{rule.label}")
    mine = [(i, role) for i in items if (role := acting_role(ctx.actor, command, i, ctx.application))]
    if not mine:
        raise role_required(items[0].organisation, items[0].role)
    if len(mine) > 1:
        names = "、".join(f"{i.task_name}（{i.title}）" for i, _role in mine)
        raise bad_input(
            [{"field": "task", "code": "workflow.task_required", "message": f"请指明办理哪个环节：{names}"}]
        )
    ctx.item, ctx.role = mine[0]


def _load_case(user: Any, command: str, number: str, actor: Actor) -> Application:
    if TRANSITIONS[command].by_applicant:
        case = Application.objects.filter(number=number).filter(Q(applicant=user) | Q(agent=user)).first()
        if case is None:
            raise NotFound("未找到该办件", code="workflow.case_not_found")
        if not agent_may_act(user, case):  # a former agent (mandate revoked, expired, narrowed)
            raise Forbidden(MANDATE_ENDED_MESSAGE, MANDATE_ENDED)
        return case
    return case_for_staff(actor, number)


def run_command(
    user: Any, number: str, command: str, data: dict[str, Any], *, actor: Actor | None = None
) -> Application:
    """Run ``command`` on case ``number`` for ``user``; returns the updated application.

    ``actor`` is ``actor_for(user)`` when the caller already built it for this request (the
    scope is resolved once per request, not once per use)."""
    handler = COMMANDS.get(command)
    if handler is None:
        raise NotFound(f"没有名为 {command} 的办理命令", code="workflow.unknown_command")
    if not isinstance(data, dict):
        raise ServiceError("validation_error", "请求内容应为 JSON 对象")
    actor = actor if actor is not None else actor_for(user)
    rule = TRANSITIONS[command]
    if rule.case_command and not rule.by_applicant and prepared_before_lock(connection):
        done = _run_prepared(user, number, command, data, actor, handler)
        if done is not None:
            return done
    with transaction.atomic():
        if rule.by_applicant:
            application = _load_case(user, command, number, actor)
            instance = _lock(application=application)
            # Read again now that the case is locked, with what every command reads (item, entry).
            application = _reload(application)
        else:
            # Lock first, then read the case once, in the actor's scope (404 outside it, and the
            # transaction, lock included, is rolled back), with what every command reads.
            instance = _lock_number(number, with_state=not rule.case_command)
            # A case command reads the case lean, but for a case whose process has not started:
            # the command starts it (``start_case`` reads more of it) or is refused.
            lean = rule.case_command and instance is not None
            application = case_for_command(actor, number, lean=lean)
        if instance is None and application.status == ApplicationStatus.PENDING_ACCEPTANCE:
            instance = start_case(application, actor=user)
            application = _reload(application)
        _run(application, instance, user, actor, command, data, handler)
    if rule.case_command:
        # A case command (suspend, resume, extend) changes the case only through ``ctx.record``,
        # which sets what its UPDATE wrote on this instance: it is the row as stored.
        return application
    return _reload(application)


def _run(
    application: Application,
    instance: ProcessInstance | None,
    user: Any,
    actor: Actor,
    command: str,
    data: dict[str, Any],
    handler: Handler,
) -> None:
    """Check the command against the case as read (row_version, state, target, role, input) and
    run its handler, then its audit event."""
    rule = TRANSITIONS[command]
    if rule.case_command:
        caseclocks.hold_running_clocks(application)  # the guard, handler and answer share them
    expected = data.get("row_version")
    if expected is not None and expected != application.row_version:
        raise Conflict("application.stale", "该办件已被他人处理，请刷新后重试")
    items = open_items(application)
    refused = refusal(command, application, items)
    if refused:
        raise not_allowed(refused)
    if instance is None:
        raise not_allowed(f"该办件尚未进入办理流程，不能{TRANSITIONS[command].label}")
    ctx = CommandContext(
        application=application,
        instance=instance,
        user=user,
        actor=actor,
        data=data,
        today=timezone.localdate(),
        now=timezone.now(),
        open_items=items,
    )
    if not rule.by_applicant:
        _target(ctx, command, items)
    handler(ctx)
    ctx.finish()
    audit(ctx, command)


ATTEMPTS = 3
"""How often a case command prepared before the write lock is read and prepared again when the
case or one of its clocks changed between its reads and its writes (then 409 ``application.stale``)."""


def prepared_before_lock(connection: Any) -> bool:
    """Whether case commands read and prepare before they take the write lock: where a writer
    locks the whole database (SQLite), not a row (PostgreSQL, where the case's lock stops only
    the commands on the same case and the command stays one transaction from its lock on)."""
    return not connection.features.has_select_for_update


def _run_prepared(
    user: Any, number: str, command: str, data: dict[str, Any], actor: Actor, handler: Handler
) -> Application | None:
    """A case command (suspend, resume, extend) in two phases (docs/workflow.md, "Case
    commands on SQLite"): its reads, checks, handler and audit rows first, outside any transaction, with
    every write collected (``core.db.deferred_writes``) and its values prepared; then only those
    writes, in one transaction, each conditional on the version read (the case's ``row_version``,
    each changed clock's ``version``). A case changed in between (``core.db.Stale``) is read and
    prepared again, at most :data:`ATTEMPTS` times; the answer is then what the serial order gives
    (the second suspend of two is refused as it would be after the first). None for a case whose
    process has not started: that command runs in one transaction (``start_case`` writes)."""
    for attempt in range(1, ATTEMPTS + 1):
        with deferred_writes() as plan:
            instance = _lock_number(number, with_state=False)  # no row lock here: SQLite has none
            application = case_for_command(actor, number, lean=True)
            if instance is None:
                return None
            _run(application, instance, user, actor, command, data, handler)
        try:
            _write(plan)
        except Stale:
            if attempt == ATTEMPTS:
                raise
            continue
        return application
    raise AssertionError("unreachable")  # pragma: no cover


def _write(plan: list[Callable[[], None]]) -> None:
    """The prepared writes of a case command, in order, in one transaction (on SQLite its
    ``BEGIN IMMEDIATE`` takes the write lock)."""
    with transaction.atomic():
        for step in plan:
            step()


def _lock(**case: Any) -> ProcessInstance | None:
    """The case's process instance, locked for the rest of the command's transaction."""
    return ProcessInstance.objects.select_for_update(of=("self",)).filter(**case).first()


_LOCK_BY_NUMBER = PreparedQuery(
    lambda number: ProcessInstance.objects.select_for_update(of=("self",)).filter(application__number=number),
    "\x00number",
)


_LOCK_BY_NUMBER_WITHOUT_STATE = PreparedQuery(
    lambda number: (
        ProcessInstance.objects.select_for_update(of=("self",))
        .filter(application__number=number)
        .defer("state")
    ),
    "\x00number",
)
"""The same lock without the engine state (≈ 4 kB of JSON): a case command (suspend, resume,
extend) acts on the clocks, never on the engine, so its state is neither read nor parsed; were it
ever read, Django would load it then (a deferred field), and a save stores only what was loaded."""


def _lock_number(number: str, *, with_state: bool = True) -> ProcessInstance | None:
    """:func:`_lock` by the case's number (a staff command): one statement compiled once.
    ``with_state=False`` leaves the engine state unread until it is used. A case has at most one
    process instance (``application`` is one-to-one) and a number one case, so the statement has
    no ``ORDER BY``/``LIMIT``: on PostgreSQL a sort and a limit fewer to start per command."""
    found = (_LOCK_BY_NUMBER if with_state else _LOCK_BY_NUMBER_WITHOUT_STATE).rows(number)
    return found[0] if found else None


CASE_RELATIONS = STAFF_CASE_RELATIONS
"""The relations every command reads (``selectors.case_for_staff`` loads the same)."""


def _reload(application: Application) -> Application:
    """The case as stored, with the relations the commands and the case view read (one query;
    ``refresh_from_db`` would drop them and read each again later)."""
    return Application.objects.select_related(*CASE_RELATIONS).get(pk=application.pk)
