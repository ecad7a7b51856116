"""The workflow's write path: start a case's process, and run a staff or applicant command on it.

Every command is one transaction: lock the case's process instance, check scope (404), state (409),
role (403) and input (400) in that order, complete the engine task, project work items, move the
clocks, change status and timeline through ``sifa.applications.services.transition`` (which refuses
a stale ``row_version``), write the audit event and the outbox notification. The handlers live in
``sifa.workflow.commands``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import transition
from sifa.audit.services import record
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import Actor
from sifa.workflow import caseclocks, projection
from sifa.workflow.alerts import resolve_start_failure
from sifa.workflow.engine import runtime
from sifa.workflow.engine.registry import ProcessFile, process_for
from sifa.workflow.models import ProcessInstance, WorkItem, WorkItemStatus

STARTABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.PENDING_ACCEPTANCE)


def process_file_of(application: Application) -> ProcessFile:
    """The process the application's *pinned* version names (a later version never changes it)."""
    try:
        bpmn_file = application.version.process.bpmn_file
    except ObjectDoesNotExist:
        bpmn_file = ""
    return process_for(bpmn_file)


def start_case(application: Application, *, actor: Any = None, on: dt.date | None = None) -> ProcessInstance:
    """Start the BPMN process and open the acceptance work item. Idempotent per application."""
    process = process_file_of(application)
    with transaction.atomic():
        existing = ProcessInstance.objects.select_for_update().filter(application=application).first()
        if existing is not None:
            return existing
        if application.status not in STARTABLE:
            raise Conflict("workflow.command_not_allowed", "该办件当前状态不能进入受理环节")
        projection.check_lanes(application, process)
        workflow = runtime.start(process)
        instance = ProcessInstance.objects.create(
            application=application,
            bpmn_file=process.file_name,
            process_id=process.process_id,
            definition_digest=process.digest,
            state=runtime.dump(workflow),
        )
        if caseclocks.counts_from_receipt(application):
            # 法律援助法 §43/§49: the limit runs from receipt, before anyone has accepted the case.
            caseclocks.start_case_clocks(application, on or timezone.localdate(), actor)
        projection.sync(application, process, runtime.ready_tasks(workflow), on=on or timezone.localdate())
        resolve_start_failure(application)
        record(
            "workflow.start",
            actor=actor,
            object_type="Application",
            object_id=str(application.number or application.pk),
            scope_path=application.scope_path,
            detail={"process": process.process_id, "file": process.file_name},
        )
    return instance


@dataclass
class CommandContext:
    """What a handler works with. ``workflow`` is loaded lazily; ``save_engine`` writes it back."""

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
    def workflow(self):
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


def holds_role(actor: Actor, organisation: Organisation, role: str, *, window: bool = False) -> bool:
    """The actor holds ``role`` at ``organisation`` itself — or, for window work (受理、送达), at an
    organisation below it (一窗受理). Holding it at an ancestor is not enough: a provincial reviewer
    does not do a city's review (the case stays visible to them for supervision)."""
    return any(
        held == role and (org_id == organisation.pk or (window and path.startswith(organisation.path)))
        for org_id, path, held in actor.memberships
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
    record(
        f"workflow.{command}",
        actor=ctx.user,
        organisation=ctx.item.organisation if ctx.item else None,
        role=ctx.role,
        object_type="Application",
        object_id=str(ctx.application.number or ctx.application.pk),
        scope_path=ctx.application.scope_path,
        detail={"status": ctx.application.status, **ctx.audit},
    )


def open_items(application: Application) -> list[WorkItem]:
    return list(
        WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN)
        .select_related("organisation", "clock")
        .order_by("id")
    )


def notify_applicant(application: Application, event: str, **context: Any) -> None:
    """Outbox row in the command's transaction; skipped for walk-in applicants without an account."""
    if application.applicant_id is None:
        return
    from sifa.notifications.services import notify

    notify(
        application.applicant,
        event,
        {"number": application.number, "item_name": application.version.item.name, **context},
        related=application,
    )
