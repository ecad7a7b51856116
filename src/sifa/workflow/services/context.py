"""What every workflow command handler works with: the case, the engine, the timeline and the audit.

``run_command`` (``services.dispatch``) builds one :class:`CommandContext` per command inside the
command's transaction; the handlers (``services.commands``, ``services.service_commands``) read their
input with :func:`text`, :func:`require` and :func:`choice`, complete the engine task with
:meth:`CommandContext.complete`, change status and timeline with :meth:`CommandContext.record`
(``sifa.applications.services.transition``, which refuses a stale ``row_version``) and fill
``ctx.audit`` for the audit event ``workflow.<command>`` written by :func:`audit`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sifa.applications.models import Application
from sifa.applications.services import transition
from sifa.audit.services import append
from sifa.core.db import PreparedQuery
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.notifications.services import notify
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import Actor
from sifa.workflow import caseclocks
from sifa.workflow.engine import runtime
from sifa.workflow.engine.registry import ProcessFile
from sifa.workflow.models import ProcessInstance, WorkItem, WorkItemStatus
from sifa.workflow.services import projection
from sifa.workflow.services.case_audit import case_event
from sifa.workflow.services.start import process_file_of

INPUT_LABELS = {
    "reasons": "理由",
    "opinion": "意见",
    "approved_by": "批准人",
    "reason": "事由说明",
    "assignee": "承办的法律援助人员",
    "licence_number": "指派律师的执业证号",
    "tracking_number": "邮寄单号",
}


@dataclass
class CommandContext:
    """What a handler works with. ``workflow`` is loaded lazily; :meth:`complete` stores it back."""

    application: Application
    instance: ProcessInstance | None
    user: Any
    actor: Actor
    data: dict[str, Any]
    today: dt.date
    now: dt.datetime
    item: WorkItem | None = None
    role: str = ""
    audit: dict[str, Any] = field(default_factory=dict)
    handover_to: Organisation | None = None
    pending_entries: list[tuple[str, str, str]] = field(default_factory=list)
    clock_audit: list[dict[str, Any]] = field(default_factory=list)
    """The clocks' audit events of a case command, appended with the command's own by :func:`audit`
    (one chain append per command, in the order they happened)."""
    open_items: list[WorkItem] = field(default_factory=list)
    """The case's open work items as read before the handler ran."""
    _process: ProcessFile | None = None
    _workflow: Any = None

    @property
    def process(self) -> ProcessFile:
        if self._process is None:
            self._process = process_file_of(self.application)
            if self.instance is not None and self.instance.definition_digest != self._process.digest:
                raise Conflict(
                    "workflow.definition_changed", "该办件所依据的流程文件已被修改，请联系系统管理员处理"
                )
        return self._process

    @property
    def workflow(self) -> Any:
        if self._workflow is None:
            self._workflow = runtime.load(self.process, self.instance.state)
        return self._workflow

    def complete(self, variables: dict[str, str], *, outcome: str, opinion: str = "") -> list[WorkItem]:
        """Complete the targeted task, project the work items, store the engine state."""
        before = {self.item.organisation_id} if self.item else set()
        runtime.complete(self.workflow, self.item.task_id, variables)
        not_counted: list[tuple[str, Any]] = []
        open_items = projection.sync(
            self.application,
            self.process,
            runtime.ready_tasks(self.workflow),
            on=self.today,
            actor=self.user,
            outcome=outcome,
            opinion=opinion,
            events=not_counted,
        )
        for what, stage in not_counted:
            # 行政许可法 §45: the applicant reads that (and when) the stage's time is not counted.
            if what == "suspended":
                title = f"{stage.name}期间不计算办理期限（行政许可法第四十五条）"
            else:
                title = f"{stage.name}结束，自次日起恢复计算办理期限"
            self.pending_entries.append((f"not_counted_{what}", title, stage.legal_basis))
        self.instance.state = runtime.dump(self.workflow)
        self.instance.version += 1
        self.instance.completed = self.workflow.is_completed()
        self.instance.save(update_fields=["state", "version", "completed", "updated_at"])
        handed = [i.organisation for i in open_items if i.organisation_id not in before]
        if handed and before:
            self.handover_to = handed[0]
        return open_items

    def finish(self) -> None:
        """After the command's own entry: record a hand-over across levels (e.g. city review →
        provincial decision), which moves the case to the next organisation; then the §45 entries
        of a not-counted stage."""
        if self.handover_to is not None:
            organisation, self.handover_to = self.handover_to, None
            self.record(
                None,
                "handed_over",
                f"移送{organisation.name}办理",
                organisation=organisation,
                fields={"current_organisation": organisation},
            )
        while self.pending_entries:
            event, title, detail = self.pending_entries.pop(0)
            self.record(None, event, title, detail)

    def record(
        self,
        status: str | None,
        event: str,
        title: str,
        detail: str = "",
        *,
        public: bool = True,
        organisation: Organisation | None = None,
        fields: dict[str, Any] | None = None,
        occurred_at: dt.datetime | None = None,
    ) -> None:
        transition(
            self.application,
            status=status,
            event=event,
            title=title,
            detail=detail,
            organisation=organisation or (self.item.organisation if self.item else None),
            public=public,
            fields=fields,
            occurred_at=occurred_at,
        )


def role_required(organisation: Organisation, role: str) -> Forbidden:
    return Forbidden(f"该环节须由{organisation.name}的{Role(role).label}办理", code="workflow.role_required")


def not_allowed(message: str) -> Conflict:
    return Conflict("workflow.command_not_allowed", message)


def bad_input(errors: list[dict[str, str]]) -> ServiceError:
    return ServiceError(
        "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
    )


def audit(ctx: CommandContext, command: str) -> None:
    """The audit event ``workflow.<command>``, after the clocks' events the command collected."""
    values = case_event(
        f"workflow.{command}",
        ctx.application,
        actor=ctx.user,
        organisation=ctx.item.organisation if ctx.item else None,
        role=ctx.role,
        detail={"status": ctx.application.status, **ctx.audit},
    )
    append([*ctx.clock_audit, values])
    ctx.clock_audit.clear()


_OPEN_ITEMS = PreparedQuery(
    lambda application_id: (
        WorkItem.objects.filter(application_id=application_id, status=WorkItemStatus.OPEN)
        .select_related("organisation", "clock")
        .order_by("id")
    ),
    uuid.UUID(int=0xF00D),
)


_OPEN_ITEMS_OF_HELD = PreparedQuery(
    lambda application_id: (
        WorkItem.objects.filter(application_id=application_id, status=WorkItemStatus.OPEN)
        .select_related("organisation")
        .order_by("id")
    ),
    uuid.UUID(int=0xF00D),
)
_ITEM_CLOCK = WorkItem._meta.get_field("clock")


def open_items(application: Application) -> list[WorkItem]:
    """The case's open work items with their organisation and clock (one statement compiled once:
    every command reads them). In a case command, whose clocks are held already
    (``caseclocks.hold_running_clocks``: all the case's clocks, read in the same transaction or,
    on SQLite, before the same write lock), each item's clock is the held one, not read again."""
    held = caseclocks.held_clocks(application)
    if held is None:
        return _OPEN_ITEMS.rows(application.pk)
    clocks = {clock.pk: clock for clock in held}
    items = _OPEN_ITEMS_OF_HELD.rows(application.pk)
    if any(item.clock_id is not None and item.clock_id not in clocks for item in items):
        return _OPEN_ITEMS.rows(application.pk)  # a clock not the case's: read as before
    for item in items:
        _ITEM_CLOCK.set_cached_value(item, None if item.clock_id is None else clocks[item.clock_id])
    return items


def notify_applicant(application: Application, event: str, **context: Any) -> None:
    """Outbox row in the command's transaction; skipped for walk-in applicants without an account."""
    if application.applicant_id is None:
        return
    notify(
        application.applicant,
        event,
        {"number": application.number, "item_name": application.version.item.name, **context},
        related=application,
    )


def text(data: dict[str, Any], name: str) -> str:
    """A text input, stripped ("" when missing or not a string)."""
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def flag(data: dict[str, Any], name: str) -> bool:
    """A yes/no input: true for ``True`` (the API) or "on"/"true"/"1" (an HTML checkbox)."""
    value = data.get(name)
    return value is True or (isinstance(value, str) and value.strip().lower() in {"on", "true", "1"})


def require(data: dict[str, Any], *names: str) -> None:
    """400 listing every one of ``names`` left empty."""
    missing = [
        {"field": n, "code": f"workflow.{n}_required", "message": f"请填写{INPUT_LABELS.get(n, n)}"}
        for n in names
        if not text(data, n)
    ]
    if missing:
        raise bad_input(missing)


def choice(data: dict[str, Any], name: str, choices: dict[str, str], label: str) -> str:
    """One of ``choices``' keys, or 400 naming them all."""
    value = data.get(name)
    if value not in choices:
        allowed = "、".join(f"{k}（{v}）" for k, v in choices.items())
        raise bad_input(
            [{"field": name, "code": f"workflow.bad_{name}", "message": f"{label}只能是：{allowed}"}]
        )
    return value
