"""The actions of the case page: which ones the signed-in staff member may take now, and how each
one reaches its service.

Availability mirrors the checks of ``sifa.workflow.commands`` (task kind, role at the assigned
organisation, 一窗受理 for window work) so nobody is offered a button that can only fail; the
service still re-checks everything when the form is confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sifa.applications import services as application_services
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import TERMINAL_STATUSES
from sifa.applications.services.prereview import NOTICE_STATUSES
from sifa.catalogue.models import ItemType
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor
from sifa.workbench import forms, service_forms
from sifa.workflow import caseclocks
from sifa.workflow.commands import CASE_ROLES, COMMANDS, DECIDED, extension_refusal, run_command
from sifa.workflow.models import WorkItem
from sifa.workflow.service_commands import SERVICE_COMMANDS
from sifa.workflow.services import holds_role

PRE_REVIEW_ROLES = (Role.WINDOW_CLERK,)


def _workflow(command: str) -> Callable[[Any, Application, dict[str, Any]], Any]:
    def run(user: Any, case: Application, data: dict[str, Any]) -> Any:
        return run_command(user, case.number, command, data)

    return run


def _add_finding(user: Any, case: Application, data: dict[str, Any]) -> Any:
    return application_services.add_finding(
        case, actor=user, field=data.get("field", ""), message=data.get("message", "")
    )


def _correction_notice(user: Any, case: Application, data: dict[str, Any]) -> Any:
    return application_services.issue_correction_notice(case, items=data.get("items") or [], actor=user)


@dataclass(frozen=True)
class ActionSpec:
    name: str
    label: str
    form_class: type[forms.ActionForm]
    run: Callable[[Any, Application, dict[str, Any]], Any]
    warning: str = ""
    """Said on the confirmation page when the step cannot be undone."""
    done: str = ""


ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        ActionSpec(
            "accept", "受理", forms.AcceptForm, _workflow("accept"), "受理后开始计算法定办理期限。", "已受理"
        ),
        ActionSpec(
            "refuse",
            "不予受理",
            forms.RefuseForm,
            _workflow("refuse"),
            "不予受理后办件即办结，不能撤销。",
            "已作出不予受理决定",
        ),
        ActionSpec(
            "request_correction",
            "一次性告知补正",
            forms.CorrectionForm,
            _workflow("request_correction"),
            "补正告知只能发出一次，请确认已列出全部需补正的内容。",
            "已发出一次性告知书",
        ),
        ActionSpec(
            "review", COMMANDS["review"].label, forms.ReviewForm, _workflow("review"), "", "审查意见已提交"
        ),
        ActionSpec(
            "decide",
            COMMANDS["decide"].label,
            forms.DecideForm,
            _workflow("decide"),
            "决定作出后不能在本系统撤销。",
            "已作出决定",
        ),
        ActionSpec("assign", COMMANDS["assign"].label, forms.AssignForm, _workflow("assign"), "", "已指派"),
        ActionSpec(
            "deliver",
            COMMANDS["deliver"].label,
            forms.DeliverForm,
            _workflow("deliver"),
            "送达后办件即办结。",
            "已送达",
        ),
        ActionSpec(
            "suspend",
            "中止计时",
            forms.SuspendForm,
            _workflow("suspend"),
            "中止期间不能办理其他环节，直到恢复计时。",
            "已中止计时",
        ),
        ActionSpec("resume", "恢复计时", forms.ResumeForm, _workflow("resume"), "", "已恢复计时"),
        ActionSpec(
            "extend",
            "延长办理期限",
            forms.ExtendForm,
            _workflow("extend"),
            "法定期限只能延长一次（十个工作日）。",
            "办理期限已延长",
        ),
        ActionSpec(
            "rule",
            SERVICE_COMMANDS["rule"].label,
            service_forms.RuleForm,
            _workflow("rule"),
            "异议审查决定作出后不能在本系统撤销。",
            "已作出异议审查决定",
        ),
        ActionSpec(
            "assign_mediators",
            SERVICE_COMMANDS["assign_mediators"].label,
            service_forms.AssignMediatorsForm,
            _workflow("assign_mediators"),
            "",
            "已指定人民调解员",
        ),
        ActionSpec(
            "record_session",
            SERVICE_COMMANDS["record_session"].label,
            service_forms.SessionForm,
            _workflow("record_session"),
            "",
            "调解记录已保存",
        ),
        ActionSpec(
            "conclude_mediation",
            SERVICE_COMMANDS["conclude_mediation"].label,
            service_forms.ConcludeForm,
            _workflow("conclude_mediation"),
            "结束调解后办件即办结，调解协议书或调解终止记录将送达申请人。",
            "调解已结束",
        ),
        ActionSpec("add_finding", "添加预审意见", forms.FindingForm, _add_finding, "", "预审意见已添加"),
        ActionSpec(
            "correction_notice",
            "一次性告知补正",
            forms.CorrectionForm,
            _correction_notice,
            "补正告知只能发出一次，请确认已列出全部需补正的内容。",
            "已发出一次性告知书",
        ),
    )
}


@dataclass(frozen=True)
class Available:
    """One action offered on the case page; ``item`` is the work item it acts on, if any."""

    spec: ActionSpec
    item: WorkItem | None = None
    task: str = ""

    @property
    def key(self) -> str:
        return f"{self.spec.name}-{self.task}" if self.task else self.spec.name

    @property
    def title(self) -> str:
        if self.spec.name == "review" and self.item is not None and self.item.kind == "decide":
            return "退回重新审查"
        return f"{self.spec.label}（{self.item.title}）" if self.task and self.item else self.spec.label


def _window_clerk_for(actor: Actor, case: Application) -> bool:
    """A window clerk at the accepting organisation or below it (一窗受理)."""
    path = case.accepting_organisation.path
    return actor.is_superuser or any(p.startswith(path) for p in actor.paths_for(PRE_REVIEW_ROLES))


def _task_actions(actor: Actor, items: list[WorkItem]) -> list[Available]:
    found: list[Available] = []
    # The decision before its "send back" alternative (a review with outcome return).
    for name in (
        "accept",
        "refuse",
        "request_correction",
        "decide",
        "rule",
        "review",
        "assign",
        "assign_mediators",
        "record_session",
        "conclude_mediation",
        "deliver",
    ):
        command = COMMANDS[name]
        mine = [
            i
            for i in items
            if i.kind in command.kinds
            and (actor.is_superuser or holds_role(actor, i.organisation, i.role, window=command.window))
        ]
        for item in mine:
            found.append(Available(ACTIONS[name], item, item.task_name if len(mine) > 1 else ""))
    return found


def _case_actions(actor: Actor, case: Application, items: list[WorkItem]) -> list[Available]:
    holder = next(
        (
            i
            for i in items
            for role in CASE_ROLES
            if actor.is_superuser or holds_role(actor, i.organisation, role)
        ),
        None,
    )
    if holder is None:
        return []
    if case.status == ApplicationStatus.SUSPENDED:
        return [Available(ACTIONS["resume"], holder)]
    found = []
    if (
        case.version.item.item_type == ItemType.LICENSING  # §45 is a 行政许可法 rule
        and case.accepted_at is not None
        and case.status not in DECIDED
        and not caseclocks.case_clocks_paused(case)  # a not-counted stage (行政许可法 §45) runs
    ):
        found.append(Available(ACTIONS["suspend"], holder))
    if not extension_refusal(case, items):
        # 行政许可法 §42: the deciding organisation extends, while it has the case.
        decider = next(
            (
                i
                for i in items
                for role in CASE_ROLES
                if i.organisation_id == case.entry.deciding_organisation_id
                and i.kind != "deliver"
                and (actor.is_superuser or holds_role(actor, i.organisation, role))
            ),
            None,
        )
        if decider is not None:
            found.append(Available(ACTIONS["extend"], decider))
    return found


def available_actions(actor: Actor, case: Application, items: list[WorkItem]) -> list[Available]:
    """What this actor may do on this case now, in the order a person would do it."""
    if case.status in TERMINAL_STATUSES:
        return []
    found: list[Available] = []
    clerk = _window_clerk_for(actor, case)
    if case.status == ApplicationStatus.PENDING_ACCEPTANCE and not items and clerk:
        # The process starts with the first command (workflow.commands.run_command).
        found += [Available(ACTIONS[n]) for n in ("accept", "refuse", "request_correction")]
    found += _task_actions(actor, items)
    found += _case_actions(actor, case, items)
    if case.status in NOTICE_STATUSES and clerk:
        if case.status == ApplicationStatus.SUBMITTED:
            # Pre-review still running: no acceptance task yet, the notice goes out directly.
            found.insert(0, Available(ACTIONS["correction_notice"]))
        found.append(Available(ACTIONS["add_finding"]))
    return found


def find(available: list[Available], key: str) -> Available | None:
    return next((a for a in available if a.key == key), None)
