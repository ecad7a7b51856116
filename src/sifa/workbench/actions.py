"""The actions of the case page: which ones the signed-in staff member may take now, and how each
one reaches its service.

The workflow's actions are exactly ``sifa.workflow.transitions.offers`` — the transition table
(status, §42/§45 guards), the task kind and the role at the assigned organisation (一窗受理 for window
work) that ``run_command`` itself applies — so nobody is offered a button that can only fail; the
service still re-checks everything when the form is confirmed. Pre-review actions before the
process starts are the applications app's (``NOTICE_STATUSES``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sifa.applications import services as application_services
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import TERMINAL_STATUSES
from sifa.applications.services.prereview import NOTICE_STATUSES
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor
from sifa.workbench import forms, service_forms
from sifa.workflow.models import WorkItem
from sifa.workflow.services import run_command
from sifa.workflow.transitions import TRANSITIONS, Offer, offers

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
            "review", TRANSITIONS["review"].label, forms.ReviewForm, _workflow("review"), "", "审查意见已提交"
        ),
        ActionSpec(
            "decide",
            TRANSITIONS["decide"].label,
            forms.DecideForm,
            _workflow("decide"),
            "决定作出后不能在本系统撤销。",
            "已作出决定",
        ),
        ActionSpec(
            "assign", TRANSITIONS["assign"].label, forms.AssignForm, _workflow("assign"), "", "已指派"
        ),
        ActionSpec(
            "deliver",
            TRANSITIONS["deliver"].label,
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
            TRANSITIONS["rule"].label,
            service_forms.RuleForm,
            _workflow("rule"),
            "异议审查决定作出后不能在本系统撤销。",
            "已作出异议审查决定",
        ),
        ActionSpec(
            "assign_mediators",
            TRANSITIONS["assign_mediators"].label,
            service_forms.AssignMediatorsForm,
            _workflow("assign_mediators"),
            "",
            "已指定人民调解员",
        ),
        ActionSpec(
            "record_session",
            TRANSITIONS["record_session"].label,
            service_forms.SessionForm,
            _workflow("record_session"),
            "",
            "调解记录已保存",
        ),
        ActionSpec(
            "conclude_mediation",
            TRANSITIONS["conclude_mediation"].label,
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
    """A window clerk at a window that received the case: the accepting organisation's own, or the
    window below it that filed the walk-in (``receiving_window``, 一窗受理) — the rule of
    ``applications.services.prereview``."""
    windows = {case.accepting_organisation_id, case.receiving_window_id} - {None}
    return actor.is_superuser or any(
        org_id in windows for org_id, _path, role in actor.memberships if role in PRE_REVIEW_ROLES
    )


def available_actions(
    actor: Actor, case: Application, items: list[WorkItem], *, offered: list[Offer] | None = None
) -> list[Available]:
    """What this actor may do on this case now, in the order a person would do it (``offered``: the
    workflow's offers when already asked for, held ones included)."""
    if case.status in TERMINAL_STATUSES:
        return []
    offered = [o for o in offered if not o.held] if offered is not None else offers(actor, case, items)
    per_command = {o.command: sum(1 for x in offered if x.command == o.command) for o in offered}
    found = [
        Available(
            ACTIONS[o.command],
            o.item,
            o.item.task_name if o.item is not None and per_command[o.command] > 1 else "",
        )
        for o in offered
    ]
    if case.status in NOTICE_STATUSES and _window_clerk_for(actor, case):
        if case.status == ApplicationStatus.SUBMITTED:
            # Pre-review still running: no acceptance task yet, the notice goes out directly.
            found.insert(0, Available(ACTIONS["correction_notice"]))
        found.append(Available(ACTIONS["add_finding"]))
    return found


def find(available: list[Available], key: str) -> Available | None:
    return next((a for a in available if a.key == key), None)
