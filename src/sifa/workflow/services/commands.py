"""The statutory commands of a case, one handler each: accept, refuse, request_correction, review,
decide, assign, deliver, and the case commands suspend, resume, extend and withdraw.

Which status, task kind and role each needs — and why — is the one transition table
(``sifa.workflow.transitions.TRANSITIONS``); a handler runs only after ``run_command``
(``services.dispatch``) has checked them. It reads its input (400 listing every problem), completes
the engine task, moves clocks, status and timeline, notifies the applicant, owes the documents and
fills ``ctx.audit``. The commands of the legal-aid objection and of mediation are in
``services.service_commands``.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from sifa.applications import services as application_services
from sifa.applications.models import ApplicationStatus
from sifa.core.db import FixedUpdate, itself, run_fixed, write
from sifa.core.errors import Conflict
from sifa.deadlines import services as clock_services
from sifa.deadlines.clocks import SuspensionKind
from sifa.deadlines.models import ClockPurpose
from sifa.licences.selectors import law_firm_of, lawyer_licence_by_number
from sifa.licences.services import check_subject
from sifa.workflow import caseclocks
from sifa.workflow.models import CaseDocumentKind, ProcessInstance
from sifa.workflow.services import casedocs, clocks, notices, projection
from sifa.workflow.services.context import (
    CommandContext,
    bad_input,
    choice,
    flag,
    not_allowed,
    notify_applicant,
    open_items,
    require,
    text,
)
from sifa.workflow.transitions import DOCUMENT_NOT_ISSUED, deciding_items, delivery_hold, is_licensing

_RESUME_STATUS = FixedUpdate(ProcessInstance, "resume_status", "updated_at")

EXTENSION_DAYS = 10
"""行政许可法 §42: the head of the organisation may extend the limit by ten (working) days, once."""

DELIVERY_METHODS = {"electronic": "电子送达至申请人空间", "mail": "邮寄送达", "pickup": "窗口领取"}
REVIEW_OUTCOMES = {"approve": "通过", "return": "退回重新审查"}
DECISIONS = {"approve": "准予", "deny": "不予"}


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
        kind = (
            CaseDocumentKind.APPROVAL_DECISION if is_licensing(ctx.application) else CaseDocumentKind.LICENCE
        )
    elif is_licensing(ctx.application):
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
            "reasons": text(ctx.data, "reasons"),
            "immediate": immediate,
            **({"licence_issuer": licence_issuer.pk} if licence_issuer not in (None, organisation) else {}),
        },
        on=ctx.today,
    )


# --- task commands ---------------------------------------------------------------------------


def accept(ctx: CommandContext) -> None:
    immediate = ctx.item.kind == "accept_decide"
    decision = choice(ctx.data, "decision", DECISIONS, "决定") if immediate else "accept"
    if decision == "deny":
        require(ctx.data, "reasons")
    if immediate and decision == "approve" and is_licensing(ctx.application):
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
            clocks.start_case_clocks(ctx.application, ctx.today, ctx.user)
    ctx.complete({"decision": decision}, outcome=decision)
    if immediate:
        status = ApplicationStatus.APPROVED if decision == "approve" else ApplicationStatus.DENIED
        words = _decision_words(ctx, decision)
        ctx.record(
            status,
            "decided",
            f"当场作出{words}决定",
            text(ctx.data, "reasons"),
            fields={"decided_at": ctx.now},
        )
        notify_applicant(
            ctx.application, "application.decided", decision=words, reasons=text(ctx.data, "reasons")
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
        if is_licensing(ctx.application):  # the 受理通知书 is a 行政许可法 §32 document
            casedocs.owe(
                ctx.application,
                CaseDocumentKind.ACCEPTANCE_NOTICE,
                organisation=organisation,
                actor=ctx.user,
                on=ctx.today,
            )
    ctx.audit["decision"] = decision


def refuse(ctx: CommandContext) -> None:
    require(ctx.data, "reasons")
    reasons = text(ctx.data, "reasons")
    ctx.complete({"decision": "refuse"}, outcome="refuse", opinion=reasons)
    clocks.stop_all(ctx.application, ctx.today, ctx.user)  # clocks counted from receipt
    ctx.record(ApplicationStatus.NOT_ACCEPTED, "refused", "不予受理", reasons, fields={"closed_at": ctx.now})
    notify_applicant(ctx.application, "application.refused", reasons=reasons)
    # The 不予受理通知书 cites 行政许可法 §32; other items get the notice above.
    if is_licensing(ctx.application):
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
    # Every item names a material or form field of the case (400 before anything is undone).
    application_services.check_correction_items(ctx.application, items)
    # The acceptance task ends here; the applicant's resubmission passes pre-review again and
    # ``ready_for_acceptance`` starts a fresh process (nothing past acceptance has happened yet).
    projection.cancel_open(ctx.application)
    # A limit counted from receipt restarts with the receipt of the corrected application.
    clocks.stop_all(ctx.application, ctx.today, ctx.user)
    ProcessInstance.objects.filter(pk=ctx.instance.pk).delete()
    ctx.application.refresh_from_db()
    application_services.issue_correction_notice(ctx.application, items=items, actor=ctx.user)
    ctx.audit["items"] = len(items)


def review(ctx: CommandContext) -> None:
    outcome = choice(ctx.data, "outcome", REVIEW_OUTCOMES, "审查意见")
    require(ctx.data, "opinion")
    opinion = text(ctx.data, "opinion")
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
    decision = choice(ctx.data, "decision", DECISIONS, "决定")
    if decision == "deny":
        require(ctx.data, "reasons")
    elif is_licensing(ctx.application):
        check_subject(ctx.application)  # a 换发/注销 needs the licence still in force (409 otherwise)
    reasons = text(ctx.data, "reasons")
    info = ctx.process.tasks[ctx.item.task_name]
    issuer = projection.lane_organisation(ctx.application, info.issuer_lane) if info.issuer_lane else None
    # Decided: the case's limits are met. Stopped before the engine moves on, so a next task
    # without a stage limit of its own (送达 of a 注销 decision) is not shown against them.
    clocks.stop_all(
        ctx.application, ctx.today, ctx.user, purposes=(ClockPurpose.LEGAL, ClockPurpose.PROMISED)
    )
    ctx.complete({"decision": decision}, outcome=decision, opinion=text(ctx.data, "opinion") or reasons)
    status = ApplicationStatus.APPROVED if decision == "approve" else ApplicationStatus.DENIED
    words = _decision_words(ctx, decision)
    ctx.record(status, "decided", f"作出{words}决定", reasons, fields={"decided_at": ctx.now})
    projection.refresh_case(ctx.application)
    notify_applicant(ctx.application, "application.decided", decision=words, reasons=reasons)
    _owe_decision(ctx, decision, ctx.item.organisation, licence_issuer=issuer)
    ctx.audit.update(decision=decision, reasons=reasons)


def assign(ctx: CommandContext) -> None:
    if ctx.item is not None and ctx.item.task_name == notices.ASSIGN_TASK:
        _assign_defender(ctx)
        return
    require(ctx.data, "assignee")
    assignee = text(ctx.data, "assignee")
    ctx.complete({}, outcome="assigned", opinion=assignee)
    ctx.record(
        ApplicationStatus.DELIVERED,
        "assigned",
        "已指派法律援助人员",
        f"承办人员：{assignee}",
        fields={"closed_at": ctx.now},
    )
    clocks.stop_all(ctx.application, ctx.today, ctx.user)
    notify_applicant(ctx.application, "application.delivered", method="指派法律援助人员")
    ctx.audit["assignee"] = assignee


def _assign_defender(ctx: CommandContext) -> None:
    """通知辩护 (法律援助法 §36): 指派律师 — a lawyer with a licence in force, by 执业证号 — and
    通知人民法院、人民检察院、公安机关: the signed reply is queued in this transaction."""
    require(ctx.data, "licence_number")
    number = text(ctx.data, "licence_number")
    licence = lawyer_licence_by_number(number)
    if licence is None:
        raise bad_input(
            [
                {
                    "field": "licence_number",
                    "code": "workflow.lawyer_not_found",
                    "message": "证照库中没有该律师执业证号",
                }
            ]
        )
    if not licence.is_usable:
        raise bad_input(
            [
                {
                    "field": "licence_number",
                    "code": "workflow.lawyer_not_practising",
                    "message": f"该律师执业证{licence.effective_status_label()}，不能指派",
                }
            ]
        )
    notices.check_experience(
        ctx.application, licence, confirmed=flag(ctx.data, "experience_confirmed"), today=ctx.today
    )
    lawyer = {"name": licence.holder_name, "licence_number": licence.number, "law_firm": law_firm_of(licence)}
    ctx.complete({}, outcome="assigned", opinion=lawyer["name"])
    firm = f"，{lawyer['law_firm']}" if lawyer["law_firm"] else ""
    ctx.record(
        ApplicationStatus.DELIVERED,
        "assigned",
        f"已指派律师担任{notices.role_words(ctx.application)}",
        f"承办律师：{lawyer['name']}（执业证号 {lawyer['licence_number']}{firm}）",
        fields={"closed_at": ctx.now},
    )
    clocks.stop_all(ctx.application, ctx.today, ctx.user)
    item = notices.send_assignment(
        ctx.application,
        lawyer=lawyer,
        licence=licence,
        official=ctx.user.get_username(),
        official_user=ctx.user,
        assigned_at=ctx.now,
    )
    ctx.record(
        None,
        "notifier_informed",
        "已通知办案机关（数据交换）",
        f"{item.partner.name}：指派律师通知已签名发出，待对方确认",
    )
    ctx.audit.update(
        assignee=lawyer["name"], licence_number=lawyer["licence_number"], reply=str(item.message_id)
    )


def deliver(ctx: CommandContext) -> None:
    # Nothing to hand over while the decision's letter (or licence) is not issued: the rule the
    # case page and ``allowed_commands`` offer by (``transitions.delivery_hold``).
    hold = delivery_hold(ctx.application)
    if hold:
        raise Conflict(DOCUMENT_NOT_ISSUED, hold)
    method = choice(ctx.data, "method", DELIVERY_METHODS, "送达方式")
    if method == "electronic" and ctx.application.applicant_id is None:
        # A walk-in applicant recorded without an account has no 申请人空间 to receive it in:
        # the case would read 已送达（电子送达至申请人空间）with nothing delivered anywhere.
        raise bad_input(
            [
                {
                    "field": "method",
                    "code": "workflow.no_applicant_space",
                    "message": "申请人在窗口申请、没有平台账户，无法电子送达至申请人空间：请选择邮寄送达或窗口领取",
                }
            ]
        )
    if method == "mail":
        require(ctx.data, "tracking_number")
    tracking = text(ctx.data, "tracking_number")
    ctx.complete({}, outcome=method, opinion=tracking)
    detail = f"邮寄单号：{tracking}" if tracking else ""
    ctx.record(
        ApplicationStatus.DELIVERED,
        "delivered",
        f"已送达（{DELIVERY_METHODS[method]}）",
        detail,
        fields={"closed_at": ctx.now},
    )
    clocks.stop_all(ctx.application, ctx.today, ctx.user)
    notify_applicant(ctx.application, "application.delivered", method=DELIVERY_METHODS[method])
    ctx.audit.update(method=method, tracking_number=tracking)


# --- case commands (act on the clocks of the whole case) -------------------------------------


_SUSPENSION_KINDS = dict(SuspensionKind.choices)
"""``dict(SuspensionKind.choices)``, built once (the enum builds its choices anew on every read)."""


def suspend(ctx: CommandContext) -> None:
    # Licensing items only, and not while a not-counted stage holds the clocks: the guard of
    # ``transitions.TRANSITIONS["suspend"]`` refused every other case before this runs.
    kind = choice(ctx.data, "kind", _SUSPENSION_KINDS, "中止事由")
    require(ctx.data, "reason")
    reason = text(ctx.data, "reason")
    running = caseclocks.running_clocks(ctx.application)  # locked by ``run_command``
    clock_services.suspend_clocks(
        running, kind=kind, on=ctx.today, reason=reason, actor=ctx.user, audit_into=ctx.clock_audit
    )
    ctx.instance.resume_status = ctx.application.status
    db = itself(connection)  # one look-up, not one per attribute the preparation reads
    params = _RESUME_STATUS.params(ctx.instance, db)  # save(update_fields=…), compiled once
    write(lambda: _store_resume_status(params, db))
    label = SuspensionKind(kind).label
    ctx.record(
        ApplicationStatus.SUSPENDED, "suspended", f"{label}期间中止计时（行政许可法第四十五条）", reason
    )
    projection.refresh_case(ctx.application, ctx.open_items)
    ctx.audit.update(kind=kind, reason=reason)


def _store_resume_status(params: list, db: Any = None) -> None:
    db = db or itself(connection)
    run_fixed(db, _RESUME_STATUS.sql(db), params)


def resume(ctx: CommandContext) -> None:
    # The recorded events decide, not the cached ``paused`` column: that column is not
    # refreshed while a year's calendar is missing, and the clock must still resume.
    paused = [clock for clock in caseclocks.running_clocks(ctx.application) if clock.to_clock().paused]
    clock_services.resume_clocks(paused, on=ctx.today, actor=ctx.user, audit_into=ctx.clock_audit)
    status = ctx.instance.resume_status or ApplicationStatus.IN_REVIEW
    ctx.record(status, "resumed", "恢复计时")
    projection.refresh_case(ctx.application, ctx.open_items)


def extend(ctx: CommandContext) -> None:
    require(ctx.data, "approved_by", "reason")
    approved_by, reason = text(ctx.data, "approved_by"), text(ctx.data, "reason")
    deciding_clocks = {i.clock_id for i in deciding_items(ctx.application, open_items(ctx.application))}
    for clock in caseclocks.running_clocks(ctx.application):
        if clock.purpose == ClockPurpose.LEGAL or (
            clock.purpose == ClockPurpose.STAGE and clock.pk in deciding_clocks
        ):
            clock_services.extend_clock(
                clock,
                days=EXTENSION_DAYS,
                approved_by=approved_by,
                reason=reason,
                on=ctx.today,
                actor=ctx.user,
                audit_into=ctx.clock_audit,
            )
    ctx.record(None, "extended", "经负责人批准，办理期限延长十个工作日（行政许可法第四十二条）", reason)
    projection.refresh_case(ctx.application, ctx.open_items)
    ctx.audit.update(days=EXTENSION_DAYS, approved_by=approved_by, reason=reason)


def withdraw(ctx: CommandContext) -> None:
    projection.cancel_open(ctx.application)
    clocks.stop_all(ctx.application, ctx.today, ctx.user)
    ctx.instance.completed = True
    ctx.instance.save(update_fields=["completed", "updated_at"])
    ctx.record(
        ApplicationStatus.WITHDRAWN,
        "withdrawn",
        "申请人撤回申请",
        text(ctx.data, "reasons"),
        organisation=ctx.application.current_organisation,
        fields={"closed_at": ctx.now},
    )
