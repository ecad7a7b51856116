"""Commands of the public-service procedures: the legal-aid objection (``rule``, 法律援助法 §49) and
people's mediation (``assign_mediators``, ``record_session``, ``conclude_mediation``, 人民调解法).

They run inside :func:`sifa.workflow.services.run_command` like every other command (scope →
state → role → input, one transaction, audit ``workflow.<command>``); their statuses, task kinds
and the reason are rows of ``sifa.workflow.transitions.TRANSITIONS``. The mediation's own rows are
written by ``sifa.mediation.services``; only ``conclude_mediation`` completes the engine task.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sifa.applications.models import ApplicationStatus
from sifa.deadlines.models import ClockPurpose
from sifa.mediation import services as mediation
from sifa.organisations.models import Organisation, OrganisationKind
from sifa.workflow.models import CaseDocumentKind
from sifa.workflow.services import casedocs, clocks, projection
from sifa.workflow.services.context import (
    CommandContext,
    choice,
    not_allowed,
    notify_applicant,
    require,
    text,
)

RULINGS = {"uphold": "维持法律援助机构的决定", "correct": "责令法律援助机构改正"}
"""法律援助法 §49(2): the two decisions the 司法行政部门 may make on an objection."""
ORIGINAL_DECISIONS = {"deny": "不予法律援助决定", "terminate": "终止法律援助决定"}
"""法律援助法 §49(1): what can be objected to (the form's ``decision_kind``)."""
MEDIATION_RESULTS = {"agreement": "达成调解协议", "terminated": "调解不成，终止调解"}


# --- 法律援助异议 -----------------------------------------------------------------------------


def _aid_centre(ctx: CommandContext) -> str:
    """The centre the objection is about: the one the bureau set up (its child), else the form."""
    bureau = ctx.application.accepting_organisation
    centre = (
        Organisation.objects.filter(parent=bureau, kind=OrganisationKind.LEGAL_AID_CENTRE, is_active=True)
        .order_by("path")
        .first()
    )
    form = ctx.application.form_data or {}
    return centre.name if centre else str(form.get("aid_centre") or "法律援助机构").strip()[:100]


def _original_decision(ctx: CommandContext) -> str:
    form = ctx.application.form_data or {}
    words = ORIGINAL_DECISIONS.get(form.get("decision_kind"), "决定")
    number = str(form.get("decision_number") or "").strip()[:64]
    return f"{words}（{number}）" if number else words


def rule(ctx: CommandContext) -> None:
    ruling = choice(ctx.data, "ruling", RULINGS, "审查决定")
    require(ctx.data, "reasons")
    reasons = text(ctx.data, "reasons")
    ctx.complete({}, outcome=ruling, opinion=reasons)
    # 异议成立 (责令改正) is the applicant's request granted; 维持 is the objection dismissed.
    status = ApplicationStatus.APPROVED if ruling == "correct" else ApplicationStatus.DENIED
    words = f"作出{RULINGS[ruling]}的决定"
    ctx.record(status, "decided", words, reasons, fields={"decided_at": ctx.now})
    clocks.stop_all(
        ctx.application, ctx.today, ctx.user, purposes=(ClockPurpose.LEGAL, ClockPurpose.PROMISED)
    )
    projection.refresh_case(ctx.application)
    notify_applicant(ctx.application, "application.decided", decision=RULINGS[ruling], reasons=reasons)
    casedocs.owe(
        ctx.application,
        CaseDocumentKind.OBJECTION_DECISION,
        organisation=ctx.item.organisation,
        actor=ctx.user,
        context={
            "ruling": ruling,
            "reasons": reasons,
            "aid_centre": _aid_centre(ctx),
            "original_decision": _original_decision(ctx),
        },
        on=ctx.today,
    )
    ctx.audit.update(ruling=ruling, reasons=reasons)


# --- 人民调解 ----------------------------------------------------------------------------------


def _accepted_on(ctx: CommandContext) -> dt.date:
    return timezone.localdate(ctx.application.accepted_at) if ctx.application.accepted_at else ctx.today


def assign_mediators(ctx: CommandContext) -> None:
    case = mediation.open_case(ctx.application)
    result = mediation.assign(case, ctx.data.get("mediators"), text(ctx.data, "preference_note"))
    detail = f"{result['committee']}：{'、'.join(result['mediators'])}"
    if result["followed"]:
        detail += f"；按申请人的选择指定：{'、'.join(result['followed'])}"
    if result["not_followed"]:
        detail += f"；申请人选择的{'、'.join(result['not_followed'])}未予指定，理由：{result['note']}"
    ctx.record(ApplicationStatus.IN_REVIEW, "mediators_assigned", "已指定人民调解员", detail)
    ctx.audit.update(
        committee=result["committee"], mediators=result["mediators"], not_followed=result["not_followed"]
    )


def record_session(ctx: CommandContext) -> None:
    case = mediation.open_case(ctx.application)
    session = mediation.record_session(
        case,
        held_on=ctx.data.get("held_on"),
        place=text(ctx.data, "place"),
        mediator_ids=ctx.data.get("mediators"),
        parties_present=text(ctx.data, "parties_present"),
        summary=text(ctx.data, "summary"),
        user=ctx.user,
        accepted_on=_accepted_on(ctx),
        today=ctx.today,
    )
    names = "、".join(m.name for m in session.mediators.order_by("name", "id"))
    ctx.record(
        None,
        "mediation_session",
        f"第{session.number}次调解（{session.held_on.isoformat()}，{session.place}）",
        f"人民调解员：{names}；到场：{session.parties_present}",
    )
    ctx.record(None, "mediation_minutes", f"第{session.number}次调解记录", session.summary, public=False)
    ctx.audit.update(session=session.number, held_on=session.held_on.isoformat())


def conclude_mediation(ctx: CommandContext) -> None:
    result = choice(ctx.data, "result", MEDIATION_RESULTS, "调解结果")
    case = mediation.open_case(ctx.application)
    if not case.mediators.exists():
        raise not_allowed("尚未指定人民调解员，不能结束调解")
    if result == "agreement":
        case = mediation.conclude_agreement(
            case,
            facts=text(ctx.data, "facts"),
            terms=ctx.data.get("terms"),
            effective_on=ctx.data.get("effective_on"),
            accepted_on=_accepted_on(ctx),
            today=ctx.today,
        )
        kind, detail = (
            CaseDocumentKind.MEDIATION_AGREEMENT,
            f"可于{mediation.due_text(case)}前共同申请司法确认",
        )
    else:
        case = mediation.conclude_termination(case, reason=text(ctx.data, "reason"), today=ctx.today)
        kind, detail = CaseDocumentKind.MEDIATION_TERMINATION, case.termination_reason
    ctx.complete({"decision": result}, outcome=result, opinion=detail)
    ctx.record(
        ApplicationStatus.DELIVERED,
        "mediation_concluded",
        MEDIATION_RESULTS[result],
        detail,
        fields={"decided_at": ctx.now, "closed_at": ctx.now},
    )
    clocks.stop_all(ctx.application, ctx.today, ctx.user)
    casedocs.owe(ctx.application, kind, organisation=ctx.item.organisation, actor=ctx.user, on=ctx.today)
    if result == "agreement":
        notify_applicant(ctx.application, "mediation.agreement", due_text=f"{mediation.due_text(case)}前")
        case.notified_at = ctx.now
        case.save(update_fields=["notified_at"])
    else:
        notify_applicant(ctx.application, "mediation.terminated", reason=case.termination_reason)
    ctx.audit.update(result=result)
