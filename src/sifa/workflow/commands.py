"""The commands of issue 4 item 5, one handler each, dispatched by :func:`run_command`.

| command            | task kind            | who                                   |
|--------------------|----------------------|---------------------------------------|
| accept             | accept, accept_decide| window clerk (assigned org or below)  |
| refuse             | accept, accept_decide| window clerk (assigned org or below)  |
| request_correction | accept, accept_decide| window clerk (assigned org or below)  |
| review             | review; decide→return| the task's role at the assigned org   |
| decide             | decide               | decision maker at the assigned org    |
| assign             | assign               | the task's role at the assigned org   |
| deliver            | deliver              | window clerk (assigned org or below)  |
| suspend/resume     | any open task        | reviewer or decision maker holding an open task's org |
| extend             | open task of the deciding organisation | reviewer or decision maker there (行政许可法 §42) |
| withdraw           | —                    | the applicant (or their agent while a mandate covers it) |

The commands of the legal-aid objection and of mediation (rule, assign_mediators, record_session,
conclude_mediation) live in ``sifa.workflow.service_commands`` and join ``COMMANDS`` at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import TERMINAL_STATUSES
from sifa.applications.services.common import MANDATE_ENDED, MANDATE_ENDED_MESSAGE, agent_may_act
from sifa.catalogue.models import ItemType
from sifa.core.errors import Conflict, Forbidden, NotFound, ServiceError
from sifa.deadlines import clock_services
from sifa.deadlines.clocks import SuspensionKind
from sifa.deadlines.models import ClockPurpose
from sifa.licences.services import check_subject
from sifa.organisations.models import Role
from sifa.organisations.scope import actor_for
from sifa.workflow import caseclocks, casedocs, projection
from sifa.workflow.models import CaseDocumentKind, ProcessInstance
from sifa.workflow.selectors import case_for_staff
from sifa.workflow.services import (
    CommandContext,
    audit,
    bad_input,
    holds_role,
    not_allowed,
    notify_applicant,
    open_items,
    role_required,
    start_case,
)

EXTENSION_DAYS = 10
"""行政许可法 §42: the head of the organisation may extend the limit by ten (working) days, once."""

DELIVERY_METHODS = {"electronic": "电子送达至申请人空间", "mail": "邮寄送达", "pickup": "窗口领取"}
REVIEW_OUTCOMES = {"approve": "通过", "return": "退回重新审查"}
DECISIONS = {"approve": "准予", "deny": "不予"}
CASE_ROLES = (Role.REVIEWER, Role.DECISION_MAKER)


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _require(data: dict[str, Any], *names: str) -> None:
    labels = {
        "reasons": "理由",
        "opinion": "意见",
        "approved_by": "批准人",
        "reason": "事由说明",
        "assignee": "承办的法律援助人员",
        "tracking_number": "邮寄单号",
    }
    missing = [
        {"field": n, "code": f"workflow.{n}_required", "message": f"请填写{labels.get(n, n)}"}
        for n in names
        if not _text(data, n)
    ]
    if missing:
        raise bad_input(missing)


def _choice(data: dict[str, Any], name: str, choices: dict[str, str], label: str) -> str:
    value = data.get(name)
    if value not in choices:
        allowed = "、".join(f"{k}（{v}）" for k, v in choices.items())
        raise bad_input(
            [{"field": name, "code": f"workflow.bad_{name}", "message": f"{label}只能是：{allowed}"}]
        )
    return value


def _is_licensing(ctx: CommandContext) -> bool:
    return ctx.application.version.item.item_type == ItemType.LICENSING


def _decision_words(ctx: CommandContext, decision: str) -> str:
    return casedocs.decision_words(ctx.application, decision)


def _owe_decision(
    ctx: CommandContext,
    decision: str,
    organisation: Any,
    *,
    immediate: bool = False,
    licence_issuer: Any = None,
) -> None:
    """The decision letter (licensing items) and, on approval, the e-licence — issued after commit.

    A non-licensing item gets no 行政许可决定书; if its result is a licence (e.g. 法律援助决定书)
    the licence alone is issued, and a denial gets the letter its procedure owes, if any
    (``casedocs.DENIAL_LETTERS``: 不予法律援助决定书). ``licence_issuer`` is recorded when it is not
    the decider."""
    if decision == "approve":
        kind = CaseDocumentKind.APPROVAL_DECISION if _is_licensing(ctx) else CaseDocumentKind.LICENCE
    elif _is_licensing(ctx):
        kind = CaseDocumentKind.DENIAL_DECISION
    elif ctx.instance is not None and ctx.instance.bpmn_file in casedocs.DENIAL_LETTERS:
        kind = casedocs.DENIAL_LETTERS[ctx.instance.bpmn_file]
    else:
        return
    casedocs.owe(
        ctx.application,
        kind,
        organisation=organisation,
        actor=ctx.user,
        context={
            "reasons": _text(ctx.data, "reasons"),
            "immediate": immediate,
            **({"licence_issuer": licence_issuer.pk} if licence_issuer not in (None, organisation) else {}),
        },
        on=ctx.today,
    )


# --- task commands ---------------------------------------------------------------------------


def accept(ctx: CommandContext) -> None:
    immediate = ctx.item.kind == "accept_decide"
    decision = _choice(ctx.data, "decision", DECISIONS, "决定") if immediate else "accept"
    if decision == "deny":
        _require(ctx.data, "reasons")
    if immediate and decision == "approve" and _is_licensing(ctx):
        check_subject(ctx.application)  # a 换发 decided at once needs the licence still in force (409)
    organisation = ctx.application.accepting_organisation
    if ctx.application.accepted_at is None:
        ctx.record(
            ApplicationStatus.ACCEPTED,
            "accepted",
            "已受理",
            fields={"accepted_at": ctx.now, "current_organisation": organisation},
        )
        if not immediate:
            caseclocks.start_case_clocks(ctx.application, ctx.today, ctx.user)
    ctx.complete({"decision": decision}, outcome=decision)
    if immediate:
        status = ApplicationStatus.APPROVED if decision == "approve" else ApplicationStatus.DENIED
        words = _decision_words(ctx, decision)
        ctx.record(
            status,
            "decided",
            f"当场作出{words}决定",
            _text(ctx.data, "reasons"),
            fields={"decided_at": ctx.now},
        )
        notify_applicant(
            ctx.application, "application.decided", decision=words, reasons=_text(ctx.data, "reasons")
        )
        _owe_decision(ctx, decision, organisation, immediate=True)
    else:
        legal = caseclocks.legal_clock(ctx.application)
        due = (
            legal.due_on.isoformat() + ("（暂定）" if legal.provisional else "")
            if legal and legal.due_on
            else ""
        )
        notify_applicant(ctx.application, "application.accepted", due_date=due)
        if _is_licensing(ctx):  # the 受理通知书 is a 行政许可法 §32 document
            casedocs.owe(
                ctx.application,
                CaseDocumentKind.ACCEPTANCE_NOTICE,
                organisation=organisation,
                actor=ctx.user,
                on=ctx.today,
            )
    ctx.audit["decision"] = decision


def refuse(ctx: CommandContext) -> None:
    _require(ctx.data, "reasons")
    reasons = _text(ctx.data, "reasons")
    ctx.complete({"decision": "refuse"}, outcome="refuse", opinion=reasons)
    caseclocks.stop_all(ctx.application, ctx.today, ctx.user)  # clocks counted from receipt
    ctx.record(ApplicationStatus.NOT_ACCEPTED, "refused", "不予受理", reasons, fields={"closed_at": ctx.now})
    notify_applicant(ctx.application, "application.refused", reasons=reasons)
    if _is_licensing(ctx):  # the 不予受理通知书 cites 行政许可法 §32; other items get the notice above
        casedocs.owe(
            ctx.application,
            CaseDocumentKind.REFUSAL_NOTICE,
            organisation=ctx.application.accepting_organisation,
            actor=ctx.user,
            context={"reasons": reasons},
            on=ctx.today,
        )
    ctx.audit["reasons"] = reasons


def request_correction(ctx: CommandContext) -> None:
    items = ctx.data.get("items")
    if not isinstance(items, list) or not items:
        raise bad_input(
            [{"field": "items", "code": "workflow.items_required", "message": "请列出需要补正的全部内容"}]
        )
    from sifa.applications import services as application_services

    # The acceptance task ends here; the applicant's resubmission passes pre-review again and
    # ``ready_for_acceptance`` starts a fresh process (nothing past acceptance has happened yet).
    projection.cancel_open(ctx.application)
    # A limit counted from receipt restarts with the receipt of the corrected application.
    caseclocks.stop_all(ctx.application, ctx.today, ctx.user)
    ProcessInstance.objects.filter(pk=ctx.instance.pk).delete()
    ctx.application.refresh_from_db()
    application_services.issue_correction_notice(ctx.application, items=items, actor=ctx.user)
    ctx.audit["items"] = len(items)


def review(ctx: CommandContext) -> None:
    outcome = _choice(ctx.data, "outcome", REVIEW_OUTCOMES, "审查意见")
    _require(ctx.data, "opinion")
    opinion = _text(ctx.data, "opinion")
    if ctx.item.kind == "decide":
        if outcome != "return":
            raise not_allowed("决定环节请使用“作出决定”命令")
        variables = {"decision": "return"}
    else:
        variables = {"review_outcome": outcome}
    title = f"{ctx.item.title}{REVIEW_OUTCOMES[outcome]}"
    ctx.complete(variables, outcome=outcome, opinion=opinion)
    ctx.record(ApplicationStatus.IN_REVIEW, "reviewed", title)
    ctx.record(None, "opinion", f"{ctx.item.title}意见", opinion, public=False)
    ctx.audit.update(outcome=outcome, task=ctx.item.task_name)


def decide(ctx: CommandContext) -> None:
    decision = _choice(ctx.data, "decision", DECISIONS, "决定")
    if decision == "deny":
        _require(ctx.data, "reasons")
    elif _is_licensing(ctx):
        check_subject(ctx.application)  # a 换发/注销 needs the licence still in force (409 otherwise)
    reasons = _text(ctx.data, "reasons")
    info = ctx.process.tasks[ctx.item.task_name]
    issuer = projection.lane_organisation(ctx.application, info.issuer_lane) if info.issuer_lane else None
    # Decided: the case's limits are met. Stopped before the engine moves on, so a next task
    # without a stage limit of its own (送达 of a 注销 decision) is not shown against them.
    caseclocks.stop_all(
        ctx.application, ctx.today, ctx.user, purposes=(ClockPurpose.LEGAL, ClockPurpose.PROMISED)
    )
    ctx.complete({"decision": decision}, outcome=decision, opinion=_text(ctx.data, "opinion") or reasons)
    status = ApplicationStatus.APPROVED if decision == "approve" else ApplicationStatus.DENIED
    words = _decision_words(ctx, decision)
    ctx.record(status, "decided", f"作出{words}决定", reasons, fields={"decided_at": ctx.now})
    projection.refresh_case(ctx.application)
    notify_applicant(ctx.application, "application.decided", decision=words, reasons=reasons)
    _owe_decision(ctx, decision, ctx.item.organisation, licence_issuer=issuer)
    ctx.audit.update(decision=decision, reasons=reasons)


def assign(ctx: CommandContext) -> None:
    _require(ctx.data, "assignee")
    assignee = _text(ctx.data, "assignee")
    ctx.complete({}, outcome="assigned", opinion=assignee)
    ctx.record(
        ApplicationStatus.DELIVERED,
        "assigned",
        "已指派法律援助人员",
        f"承办人员：{assignee}",
        fields={"closed_at": ctx.now},
    )
    caseclocks.stop_all(ctx.application, ctx.today, ctx.user)
    notify_applicant(ctx.application, "application.delivered", method="指派法律援助人员")
    ctx.audit["assignee"] = assignee


def deliver(ctx: CommandContext) -> None:
    method = _choice(ctx.data, "method", DELIVERY_METHODS, "送达方式")
    if method == "mail":
        _require(ctx.data, "tracking_number")
    tracking = _text(ctx.data, "tracking_number")
    ctx.complete({}, outcome=method, opinion=tracking)
    detail = f"邮寄单号：{tracking}" if tracking else ""
    ctx.record(
        ApplicationStatus.DELIVERED,
        "delivered",
        f"已送达（{DELIVERY_METHODS[method]}）",
        detail,
        fields={"closed_at": ctx.now},
    )
    caseclocks.stop_all(ctx.application, ctx.today, ctx.user)
    notify_applicant(ctx.application, "application.delivered", method=DELIVERY_METHODS[method])
    ctx.audit.update(method=method, tracking_number=tracking)


# --- case commands (act on the clocks of the whole case) -------------------------------------


def suspend(ctx: CommandContext) -> None:
    if not _is_licensing(ctx):
        raise not_allowed("中止计时（行政许可法第四十五条）只适用于行政许可事项")
    if caseclocks.case_clocks_paused(ctx.application):
        raise not_allowed(
            "当前环节的时间依法不计入办理期限（行政许可法第四十五条），办理期限已中止计算，无需另行中止"
        )
    kind = _choice(ctx.data, "kind", dict(SuspensionKind.choices), "中止事由")
    _require(ctx.data, "reason")
    reason = _text(ctx.data, "reason")
    for clock in caseclocks.running_clocks(ctx.application):
        clock_services.suspend_clock(clock.pk, kind=kind, on=ctx.today, reason=reason, actor=ctx.user)
    ctx.instance.resume_status = ctx.application.status
    ctx.instance.save(update_fields=["resume_status", "updated_at"])
    label = SuspensionKind(kind).label
    ctx.record(
        ApplicationStatus.SUSPENDED, "suspended", f"{label}期间中止计时（行政许可法第四十五条）", reason
    )
    projection.refresh_case(ctx.application)
    ctx.audit.update(kind=kind, reason=reason)


def resume(ctx: CommandContext) -> None:
    for clock in caseclocks.running_clocks(ctx.application):
        # The recorded events decide, not the cached ``paused`` column: that column is not
        # refreshed while a year's calendar is missing, and the clock must still resume.
        if clock.to_clock().paused:
            clock_services.resume_clock(clock.pk, on=ctx.today, actor=ctx.user)
    status = ctx.instance.resume_status or ApplicationStatus.IN_REVIEW
    ctx.record(status, "resumed", "恢复计时")
    projection.refresh_case(ctx.application)


def extension_refusal(application: Application, items: list[Any]) -> str:
    """Why 行政许可法 §42 extension is not possible for this case now; "" when it is.

    The item version records whether §42 applies (a statute with its own limit — 律师法 §6, §18,
    the 条例 §9 — excludes it). The extension is the deciding organisation's (经本行政机关负责人
    批准), so it is made while that organisation has the case, and extends its stage only."""
    version = application.version
    if version.item.item_type != ItemType.LICENSING:
        return "只有行政许可事项可以依行政许可法第四十二条延长期限"
    if not version.extension_applies:
        return f"该事项不适用行政许可法第四十二条延长期限：{version.extension_basis or '法律、法规另有规定'}"
    legal = caseclocks.legal_clock(application)
    if legal is None or legal.stopped_on is not None:
        return "该办件没有正在计算的法定期限"
    if legal.extensions:
        return "法定期限已延长过一次，不能再次延长（行政许可法第四十二条）"
    deciding = application.entry.deciding_organisation
    if not _deciding_items(application, items):
        return (
            f"延长期限须由决定机关{deciding.name}在其审查决定环节经负责人批准（行政许可法第四十二条），"
            "下级机关的审查期限不能延长"
        )
    return ""


def _deciding_items(application: Application, items: list[Any]) -> list[Any]:
    deciding_id = application.entry.deciding_organisation_id
    return [i for i in items if i.organisation_id == deciding_id and i.kind != "deliver"]


def extend(ctx: CommandContext) -> None:
    _require(ctx.data, "approved_by", "reason")
    approved_by, reason = _text(ctx.data, "approved_by"), _text(ctx.data, "reason")
    deciding_clocks = {i.clock_id for i in _deciding_items(ctx.application, open_items(ctx.application))}
    for clock in caseclocks.running_clocks(ctx.application):
        if clock.purpose == ClockPurpose.LEGAL or (
            clock.purpose == ClockPurpose.STAGE and clock.pk in deciding_clocks
        ):
            clock_services.extend_clock(
                clock.pk,
                days=EXTENSION_DAYS,
                approved_by=approved_by,
                reason=reason,
                on=ctx.today,
                actor=ctx.user,
            )
    ctx.record(None, "extended", "经负责人批准，办理期限延长十个工作日（行政许可法第四十二条）", reason)
    projection.refresh_case(ctx.application)
    ctx.audit.update(days=EXTENSION_DAYS, approved_by=approved_by, reason=reason)


def withdraw(ctx: CommandContext) -> None:
    projection.cancel_open(ctx.application)
    caseclocks.stop_all(ctx.application, ctx.today, ctx.user)
    ctx.instance.completed = True
    ctx.instance.save(update_fields=["completed", "updated_at"])
    ctx.record(
        ApplicationStatus.WITHDRAWN,
        "withdrawn",
        "申请人撤回申请",
        _text(ctx.data, "reasons"),
        organisation=ctx.application.current_organisation,
        fields={"closed_at": ctx.now},
    )


@dataclass(frozen=True)
class Command:
    handler: Callable[[CommandContext], None]
    label: str
    kinds: frozenset[str] = frozenset()
    window: bool = False


_ACCEPT_KINDS = frozenset({"accept", "accept_decide"})
COMMANDS: dict[str, Command] = {
    "accept": Command(accept, "受理", _ACCEPT_KINDS, window=True),
    "refuse": Command(refuse, "不予受理", _ACCEPT_KINDS, window=True),
    "request_correction": Command(request_correction, "补正告知", _ACCEPT_KINDS, window=True),
    "review": Command(review, "审查", frozenset({"review", "decide"})),
    "decide": Command(decide, "作出决定", frozenset({"decide"})),
    "assign": Command(assign, "指派", frozenset({"assign"})),
    "deliver": Command(deliver, "送达", frozenset({"deliver"}), window=True),
    "suspend": Command(suspend, "中止计时"),
    "resume": Command(resume, "恢复计时"),
    "extend": Command(extend, "延长期限"),
    "withdraw": Command(withdraw, "撤回申请"),
}
CASE_COMMANDS = ("suspend", "resume", "extend")
DECIDED = (ApplicationStatus.APPROVED, ApplicationStatus.DENIED)


def _check_state(
    command: str, spec: Command, application: Application, instance: ProcessInstance | None
) -> None:
    status = application.status
    if status in TERMINAL_STATUSES:
        raise not_allowed("该办件已办结或已撤回，不能再办理")
    if command == "withdraw":
        if status not in (
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.IN_REVIEW,
            ApplicationStatus.SUSPENDED,
        ):
            raise not_allowed("只能在受理后、作出决定前撤回申请")
    elif command == "resume":
        if status != ApplicationStatus.SUSPENDED:
            raise not_allowed("该办件未中止计时，无需恢复")
    elif status == ApplicationStatus.SUSPENDED and command != "extend":
        raise not_allowed("该办件正在中止计时，请先恢复计时")
    elif command == "suspend" and (status in DECIDED or application.accepted_at is None):
        raise not_allowed("只能在受理后、作出决定前中止计时")
    if instance is None:
        raise not_allowed(f"该办件尚未进入办理流程，不能{spec.label}")


def _target(ctx: CommandContext, command: str, spec: Command) -> None:
    """Pick the work item the command acts on; 409 if none fits, 403 if the actor may do none."""
    items = open_items(ctx.application)
    if command == "extend":
        refusal = extension_refusal(ctx.application, items)
        if refusal:
            raise not_allowed(refusal)
        items = _deciding_items(ctx.application, items)
    if command in CASE_COMMANDS:
        if not items:
            raise not_allowed(f"当前没有可{spec.label}的办理环节")
        allowed = [i for i in items for r in CASE_ROLES if holds_role(ctx.actor, i.organisation, r)]
        if not allowed:
            raise role_required(items[0].organisation, Role.REVIEWER)
        ctx.item = allowed[0]
        ctx.role = next(r for r in CASE_ROLES if holds_role(ctx.actor, ctx.item.organisation, r))
        return
    hint = _text(ctx.data, "task")
    items = [i for i in items if i.kind in spec.kinds and (not hint or hint in (i.task_name, str(i.pk)))]
    if not items:
        raise not_allowed(f"当前办理环节不能{spec.label}")
    allowed = [i for i in items if holds_role(ctx.actor, i.organisation, i.role, window=spec.window)]
    if not allowed:
        raise role_required(items[0].organisation, items[0].role)
    if len(allowed) > 1:
        names = "、".join(f"{i.task_name}（{i.title}）" for i in allowed)
        raise bad_input(
            [{"field": "task", "code": "workflow.task_required", "message": f"请指明办理哪个环节：{names}"}]
        )
    ctx.item, ctx.role = allowed[0], allowed[0].role


def _load_case(user: Any, command: str, number: str) -> Application:
    if command == "withdraw":
        case = Application.objects.filter(number=number).filter(Q(applicant=user) | Q(agent=user)).first()
        if case is None:
            raise NotFound("未找到该办件", code="workflow.case_not_found")
        if not agent_may_act(user, case):  # a former agent (mandate revoked, expired, narrowed)
            raise Forbidden(MANDATE_ENDED_MESSAGE, MANDATE_ENDED)
        return case
    return case_for_staff(actor_for(user), number)


def run_command(user: Any, number: str, command: str, data: dict[str, Any]) -> Application:
    """Run ``command`` on case ``number`` for ``user``; returns the updated application."""
    spec = COMMANDS.get(command)
    if spec is None:
        raise NotFound(f"没有名为 {command} 的办理命令", code="workflow.unknown_command")
    if not isinstance(data, dict):
        raise ServiceError("validation_error", "请求内容应为 JSON 对象")
    with transaction.atomic():
        application = _load_case(user, command, number)
        instance = ProcessInstance.objects.select_for_update().filter(application=application).first()
        if instance is None and application.status == ApplicationStatus.PENDING_ACCEPTANCE:
            instance = start_case(application, actor=user)
        application.refresh_from_db()
        expected = data.get("row_version")
        if expected is not None and expected != application.row_version:
            raise Conflict("application.stale", "该办件已被他人处理，请刷新后重试")
        _check_state(command, spec, application, instance)
        ctx = CommandContext(
            application=application,
            instance=instance,
            user=user,
            actor=actor_for(user),
            data=data,
            today=timezone.localdate(),
            now=timezone.now(),
        )
        if command != "withdraw":
            _target(ctx, command, spec)
        spec.handler(ctx)
        ctx.finish()
        audit(ctx, command)
        application.refresh_from_db()
    return application
