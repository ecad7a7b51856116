"""Which command may run in which status of a case, and why: the workflow's one transition table.

:data:`TRANSITIONS` names every command a case can receive — the statuses it is allowed in, the
reason (the statute article where one applies), the task kinds it acts on and who gives it. Every
place that asks "may this command run now?" reads it, so they cannot drift apart:

* ``sifa.workflow.services.run_command`` refuses a command outside its statuses with 409
  ``workflow.command_not_allowed`` and the Chinese message of :func:`refusal`, then picks the work
  item with :func:`acting_items` and :func:`acting_role` (403 ``workflow.role_required``);
* the workbench's case page offers exactly :func:`offers` — never a button that can only fail;
* the staff case API lists the same offers as ``allowed_commands``.

The status says whether the step exists at all in this state of the case; the open work items then
say which task the command completes, and the actor's memberships whether they may give it. Statuses
not named by any row (草稿, 已提交, 待补正) belong to ``sifa.applications``; closed cases (不予受理,
已送达, 已撤回) take no command. ``tests: workflow/tests/test_transitions.py`` walks the table
against the command handlers. Read-only: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import TERMINAL_STATUSES
from sifa.catalogue.models import ItemType
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import Actor
from sifa.workflow import caseclocks
from sifa.workflow.models import CaseDocument, CaseDocumentKind, CaseDocumentStatus, WorkItem

S = ApplicationStatus
WAITING = frozenset({S.PENDING_ACCEPTANCE})
"""Received, not yet accepted (行政许可法 §32: the acceptance decision is due)."""
IN_HAND = frozenset({S.ACCEPTED, S.IN_REVIEW})
"""Accepted and not yet decided: review and decision (§34–§38)."""
DECIDED = frozenset({S.APPROVED, S.DENIED})
"""Decided, not yet delivered (§44)."""
CASE_ROLES = (Role.REVIEWER, Role.DECISION_MAKER)
"""Who gives a case command (suspend, resume, extend): a reviewer or decision maker of the case."""
TERMINAL_MESSAGE = "该办件已办结或已撤回，不能再办理"
SUSPENDED_MESSAGE = "该办件正在中止计时，请先恢复计时"

Guard = Callable[[Application, list[WorkItem]], str]


@dataclass(frozen=True)
class Transition:
    """One row of the table: where a command is allowed, and why."""

    label: str
    statuses: frozenset[str]
    why: str
    """The reason, quoting the statute where one applies (shown in docs/workflow.md)."""
    kinds: frozenset[str] = frozenset()
    """Task kinds the command completes or acts on; empty for a case command and for withdraw."""
    window: bool = False
    """Window work (受理、送达): the window below the task's organisation that received the case (or,
    for 送达, was chosen for its pickup) may act (一窗受理, :func:`window_organisations`)."""
    by_applicant: bool = False
    refused: str = ""
    """What the user reads in a status outside ``statuses`` ("" → 当前办理环节不能<label>)."""
    guard: Guard | None = None
    """A condition of the case beyond its status; returns why not, or ""."""

    @property
    def case_command(self) -> bool:
        """Acts on the clocks of the whole case, not on one task (suspend, resume, extend)."""
        return not self.kinds and not self.by_applicant


def is_licensing(application: Application) -> bool:
    return application.version.item.item_type == ItemType.LICENSING


def suspension_refusal(application: Application, items: list[WorkItem]) -> str:
    """Why 行政许可法 §45 suspension is not possible for this case now; "" when it is."""
    if not is_licensing(application):
        return "中止计时（行政许可法第四十五条）只适用于行政许可事项"
    if caseclocks.case_clocks_paused(application):
        return "当前环节的时间依法不计入办理期限（行政许可法第四十五条），办理期限已中止计算，无需另行中止"
    return ""


def deciding_items(application: Application, items: list[WorkItem]) -> list[WorkItem]:
    """The open work of the deciding organisation (its review or decision, not the delivery)."""
    deciding_id = application.entry.deciding_organisation_id
    return [i for i in items if i.organisation_id == deciding_id and i.kind != "deliver"]


def extension_refusal(application: Application, items: list[WorkItem]) -> str:
    """Why 行政许可法 §42 extension is not possible for this case now; "" when it is.

    The item version records whether §42 applies (a statute with its own limit — 律师法 §6, §18,
    the 条例 §9 — excludes it). The extension is the deciding organisation's (经本行政机关负责人
    批准), so it is made while that organisation has the case, and extends its stage only."""
    version = application.version
    if not is_licensing(application):
        return "只有行政许可事项可以依行政许可法第四十二条延长期限"
    if not version.extension_applies:
        return f"该事项不适用行政许可法第四十二条延长期限：{version.extension_basis or '法律、法规另有规定'}"
    legal = caseclocks.legal_clock(application)
    if legal is None or legal.stopped_on is not None:
        return "该办件没有正在计算的法定期限"
    if legal.extensions:
        return "法定期限已延长过一次，不能再次延长（行政许可法第四十二条）"
    if not deciding_items(application, items):
        return (
            f"延长期限须由决定机关{application.entry.deciding_organisation.name}在其审查决定环节经负责人批准"
            "（行政许可法第四十二条），下级机关的审查期限不能延长"
        )
    return ""


_ACCEPT = frozenset({"accept", "accept_decide"})
_MEDIATE = frozenset({"mediate"})

TRANSITIONS: dict[str, Transition] = {
    # In the order a person works a case (the workbench lists its buttons in this order).
    "accept": Transition(
        "受理",
        WAITING | {S.ACCEPTED},
        "行政许可法第三十二条第一款第（五）项：申请事项属于本行政机关职权范围，申请材料齐全、符合法定形式"
        "……的，应当受理行政许可申请。已受理时仍可办理的只有即办件的“受理并当场决定”环节：逾期不告知的，"
        "自收到申请材料之日起即为受理（第（四）项），当场决定（第三十四条第二款）仍待窗口作出",
        kinds=_ACCEPT,
        window=True,
    ),
    "refuse": Transition(
        "不予受理",
        WAITING,
        "行政许可法第三十二条第一款第（一）、（二）项：不予受理在受理环节即时作出；"
        "已受理（包括视为受理）的申请，只能作出准予或者不予的决定",
        kinds=_ACCEPT,
        window=True,
        refused="只有待受理的申请可以不予受理；已受理（包括视为受理）的申请应当作出决定",
    ),
    "request_correction": Transition(
        "补正告知",
        WAITING,
        "行政许可法第三十二条第一款第（四）项：应当当场或者在五日内一次告知申请人需要补正的全部内容，"
        "逾期不告知的，自收到申请材料之日起即为受理",
        kinds=_ACCEPT,
        window=True,
        refused="只有待受理的申请可以告知补正；逾期未告知的，自收到申请材料之日起即为受理（行政许可法第三十二条）",
    ),
    "decide": Transition(
        "作出决定",
        IN_HAND,
        "行政许可法第三十七条：行政机关对行政许可申请进行审查后，除当场作出行政许可决定的外，"
        "应当在法定期限内按照规定程序作出行政许可决定（准予或者不予的书面决定：第三十八条）",
        kinds=frozenset({"decide"}),
    ),
    "rule": Transition(
        "作出异议审查决定",
        IN_HAND,
        "法律援助法第四十九条第二款：司法行政部门应当自收到异议之日起五日内进行审查，"
        "作出维持法律援助机构决定或者责令法律援助机构改正的决定",
        kinds=frozenset({"rule"}),
    ),
    "review": Transition(
        "审查",
        IN_HAND,
        "行政许可法第三十四条第一款：行政机关应当对申请人提交的申请材料进行审查；第三十五条：下级行政机关"
        "应当在法定期限内将初步审查意见和全部申请材料直接报送上级行政机关。决定环节可以退回重新审查",
        kinds=frozenset({"review", "decide"}),
    ),
    "assign": Transition(
        "指派",
        frozenset({S.APPROVED, S.ACCEPTED}),
        "法律援助法第四十三条第一款：决定给予法律援助的，应当自作出决定之日起三日内指派法律援助人员"
        "为受援人提供法律援助；第三十六条：法律援助机构收到通知后，应当在三日内指派律师并通知人民法院、"
        "人民检察院、公安机关（通知辩护无需审查决定，收到通知即在办理中）",
        kinds=frozenset({"assign"}),
    ),
    "assign_mediators": Transition(
        "指定人民调解员",
        IN_HAND,
        "人民调解法第十九条：可以指定一名或者数名人民调解员进行调解，也可以由当事人选择一名或者数名"
        "人民调解员进行调解；第二十三条第（一）项：选择或者接受人民调解员。调解结束前可以重新指定",
        kinds=_MEDIATE,
    ),
    "record_session": Transition(
        "记录调解",
        IN_HAND,
        "人民调解法第二十二条、第二十七条：人民调解员应当记录调解情况",
        kinds=_MEDIATE,
    ),
    "conclude_mediation": Transition(
        "结束调解",
        IN_HAND,
        "人民调解法第二十六条：调解不成的，应当终止调解；第二十八条：经人民调解委员会调解达成调解协议的，"
        "可以制作调解协议书",
        kinds=_MEDIATE,
    ),
    "deliver": Transition(
        "送达",
        DECIDED,
        "行政许可法第四十四条：行政机关作出准予行政许可的决定，应当自作出决定之日起十日内向申请人颁发、"
        "送达行政许可证件；不予行政许可的书面决定同样送达（第三十八条第二款）",
        kinds=frozenset({"deliver"}),
        window=True,
    ),
    "resume": Transition(
        "恢复计时",
        frozenset({S.SUSPENDED}),
        "行政许可法第四十五条：所需时间不计算在本节规定的期限内——听证、鉴定、专家评审等结束，期限继续计算",
        refused="该办件未中止计时，无需恢复",
    ),
    "suspend": Transition(
        "中止计时",
        IN_HAND,
        "行政许可法第四十五条：行政机关作出行政许可决定，依法需要听证、招标、拍卖、检验、检测、检疫、"
        "鉴定和专家评审的，所需时间不计算在本节规定的期限内——只在受理后、作出决定前，只适用于行政许可事项",
        refused="只能在受理后、作出决定前中止计时",
        guard=suspension_refusal,
    ),
    "extend": Transition(
        "延长期限",
        IN_HAND | {S.SUSPENDED},
        "行政许可法第四十二条第一款：二十日内不能作出决定的，经本行政机关负责人批准，可以延长十日；"
        "由决定机关在其审查决定环节作出，中止计时期间也可以批准",
        refused="只能在受理后、作出决定前延长办理期限（行政许可法第四十二条）",
        guard=extension_refusal,
    ),
    "withdraw": Transition(
        "撤回申请",
        IN_HAND | {S.SUSPENDED},
        "申请人可以撤回尚未作出决定的申请：受理前在申请人空间撤回（sifa.applications），受理后、"
        "作出决定前以本命令撤回；作出决定后已无可撤回",
        by_applicant=True,
        refused="只能在受理后、作出决定前撤回申请",
    ),
}


BEFORE_DECISION = frozenset(
    {CaseDocumentKind.ACCEPTANCE_NOTICE, CaseDocumentKind.REFUSAL_NOTICE, CaseDocumentKind.CORRECTION_NOTICE}
)
"""Letters owed before the decision (受理、不予受理、补正): not what 送达 hands over."""
DOCUMENT_NOT_ISSUED = "workflow.document_not_issued"
"""The code of the 送达 refusal while a document the decision owes is not issued yet."""


def delivery_hold(application: Application, documents: Iterable[Any] | None = None) -> str:
    """Why 送达 must wait for the documents the decision owes (决定书, 电子证照 …; not the earlier
    受理/不予受理/补正 letters); "" when it need not. The one rule of the case page, the API's
    ``allowed_commands`` and the ``deliver`` command (409 :data:`DOCUMENT_NOT_ISSUED`): 行政许可法
    第四十四条 has the licence and the written decision handed over, and there is nothing to hand over
    while one reads 出具失败，待重试 (the sweep retries it) or is still being issued (seconds after
    the decision, or longer while no worker runs).

    ``documents`` are the case's documents as already read (dicts of ``case_documents``, with
    ``kind``, ``status`` and ``kind_label``); None reads the ones not issued (one query)."""
    if documents is None:
        rows = (
            CaseDocument.objects.filter(application=application)
            .exclude(status=CaseDocumentStatus.ISSUED)
            .exclude(kind__in=BEFORE_DECISION)
            .order_by("id")
            .values("kind", "status")
        )
        documents = [{**row, "kind_label": CaseDocumentKind(row["kind"]).label} for row in rows]
    failed: list[str] = []
    pending: list[str] = []
    for row in documents:
        if row["kind"] in BEFORE_DECISION or row["status"] == CaseDocumentStatus.ISSUED:
            continue
        held = failed if row["status"] == CaseDocumentStatus.FAILED else pending
        if row["kind_label"] not in held:
            held.append(str(row["kind_label"]))
    if failed:
        return f"{'、'.join(failed)}出具失败，待重试，暂不能送达：没有可交付的文书，平台重新出具后才能送达"
    if pending:
        return f"{'、'.join(pending)}正在出具，出具完成后方可送达"
    return ""


def refusal(command: str, application: Application, items: list[WorkItem]) -> str:
    """Why ``command`` may not run on ``application`` in its current state; "" when it may.

    ``items`` are the case's open work items (the §42 guard asks whether the decider has the case).
    """
    rule = TRANSITIONS[command]
    status = application.status
    if status in TERMINAL_STATUSES:
        return TERMINAL_MESSAGE
    if status not in rule.statuses:
        if status == S.SUSPENDED:
            return SUSPENDED_MESSAGE
        return rule.refused or f"当前办理环节不能{rule.label}"
    return rule.guard(application, items) if rule.guard is not None else ""


def window_organisations(command: str, application: Application) -> frozenset[int]:
    """The windows below the task's organisation that may give ``command`` on ``application``
    (一窗受理): the windows that received the case — the accepting organisation's own and, for a
    walk-in, the window that filed it (``receiving_window``): 受理, 不予受理, 补正, 送达 — and the
    window the applicant chose to collect the result at (``pickup_window``: 送达 only). Empty for a
    command that is not window work."""
    if not TRANSITIONS[command].window:
        return frozenset()
    found = {application.accepting_organisation_id, application.receiving_window_id}
    if command == "deliver":
        found.add(application.pickup_window_id)
    return frozenset(found - {None})


def holds_role(
    actor: Actor, organisation: Organisation, role: str, *, windows: frozenset[int] = frozenset()
) -> bool:
    """The actor holds ``role`` at ``organisation`` itself — or, for window work (受理、送达), at one of
    ``windows`` below it (:func:`window_organisations`: the window that received the case or was
    chosen for its pickup, 一窗受理); any other window below does not. Holding it at an ancestor is
    not enough: a provincial reviewer does not do a city's review (the case stays visible to them
    for supervision). A system administrator holds no role by being one: case work is done by the
    organisation's staff."""
    return any(
        held == role
        and (org_id == organisation.pk or (org_id in windows and path.startswith(organisation.path)))
        for org_id, path, held in actor.memberships
    )


def acting_items(command: str, application: Application, items: list[WorkItem]) -> list[WorkItem]:
    """The open work items ``command`` can act on, whoever asks: its task kinds; for §42 extension
    the deciding organisation's; for the other case commands any open item (it names the
    organisation whose staff may suspend or resume)."""
    rule = TRANSITIONS[command]
    if command == "extend":
        return deciding_items(application, items)
    if rule.case_command:
        return list(items)
    return [i for i in items if i.kind in rule.kinds]


def acting_role(actor: Actor, command: str, item: WorkItem, application: Application) -> str:
    """The role in which ``actor`` may give ``command`` on ``item`` of ``application``; "" when they
    may not."""
    rule = TRANSITIONS[command]
    if rule.case_command:
        return next((r for r in CASE_ROLES if holds_role(actor, item.organisation, r)), "")
    windows = window_organisations(command, application)
    return item.role if holds_role(actor, item.organisation, item.role, windows=windows) else ""


@dataclass(frozen=True)
class Offer:
    """A command ``actor`` may give now; ``item`` is the work item it acts on (None: the process
    starts with this command, at the accepting organisation's window)."""

    command: str
    item: WorkItem | None = None
    held: str = ""
    """Why it must wait although status, task and role allow it (送达: :func:`delivery_hold`); a
    held offer is not offered — :func:`considered` lists it so a page can say why."""

    @property
    def label(self) -> str:
        return TRANSITIONS[self.command].label


def offers(
    actor: Actor, application: Application, items: list[WorkItem], *, documents: Iterable[Any] | None = None
) -> list[Offer]:
    """Every staff command ``actor`` may give on ``application`` now, in the table's order.

    The same rules as ``run_command``: the status (and guard) of :data:`TRANSITIONS`, then the task
    kind and the actor's role at the task's organisation, and 送达 not while the decision's
    documents are not issued (:func:`delivery_hold`, the ``deliver`` command's own check). ``items``
    are the case's open work items; ``documents`` the case's documents when already read.
    """
    return [o for o in considered(actor, application, items, documents=documents) if not o.held]


def considered(
    actor: Actor, application: Application, items: list[WorkItem], *, documents: Iterable[Any] | None = None
) -> list[Offer]:
    """:func:`offers` with the held ones among them (``Offer.held`` says why). The documents are read
    only when 送达 would be offered (a decided case, a window clerk of it): never for the other
    commands."""
    found: list[Offer] = []
    for command, rule in TRANSITIONS.items():
        if rule.by_applicant or refusal(command, application, items):
            continue
        if not items and rule.kinds == _ACCEPT and application.status == S.PENDING_ACCEPTANCE:
            # Not started yet (or its start failed): the first command starts the process, whose
            # acceptance task is the accepting organisation's window work.
            windows = window_organisations(command, application)
            if holds_role(actor, application.accepting_organisation, Role.WINDOW_CLERK, windows=windows):
                found.append(Offer(command))
            continue
        mine = [
            i
            for i in acting_items(command, application, items)
            if acting_role(actor, command, i, application)
        ]
        found += [Offer(command, item) for item in (mine[:1] if rule.case_command else mine)]
    if any(o.command == "deliver" for o in found):
        hold = delivery_hold(application, documents)
        if hold:
            found = [Offer(o.command, o.item, hold) if o.command == "deliver" else o for o in found]
    return found
