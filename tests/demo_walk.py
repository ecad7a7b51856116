"""Walk a demo case to its end with demo accounts only (no tests here; used by
``test_journey_every_demo_case_closes`` and runnable by hand against a ``make run`` database).

The applicant is a demo account (陈明 for a person's item, 浙江明理律师事务所 for a company's; for an
item that would issue a second 律师执业证 / 律师事务所执业许可证 to them, refused by 律师法 §10, a demo
newcomer holding none, ``newcomer_for``); the
form is filled from the item's JSON Schema, every requested required material uploaded, the
application submitted and pre-reviewed. Then, step by step, the open work item goes to the first
demo staff account the workflow itself lets act on it (``transitions.acting_role``) and the
command for the task's kind is run as that account, through ``workflow.services.run_command`` as
the workbench does. A step no demo account may take is reported as (process, step, role,
organisation) instead of failing at once, so one run lists every gap.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import AccountKind, LegalPerson, NaturalPerson, User
from sifa.accounts.services.registration import id_number_index, register_company
from sifa.applications import services as applications
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.draft_materials import missing_material_errors
from sifa.catalogue.models import ImplementationEntry
from sifa.core.errors import Conflict
from sifa.core.identifiers import make_uscc
from sifa.demo.cases import demo_pdf
from sifa.organisations.models import Role
from sifa.organisations.scope import actor_for
from sifa.workflow.models import CaseDocument, CaseDocumentStatus, WorkItem, WorkItemStatus
from sifa.workflow.services import issue_owed, run_command, start_case
from sifa.workflow.transitions import acting_role

MAX_STEPS = 25
NOTICE_PROCESS = "legal_aid_notice"
"""Started by a notice through the data exchange, not by an application (``_notice``)."""

# The command a demo account gives on a task of each kind (the approving path: every case ends
# delivered). A list is several commands on the same task (人民调解: 指定、记录、结案).
COMMANDS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "accept": [("accept", {})],
    "accept_decide": [("accept", {"decision": "approve"})],
    "review": [("review", {"outcome": "approve", "opinion": "材料齐全，符合条件"})],
    "decide": [("decide", {"decision": "approve", "opinion": "准予", "reasons": "符合法定条件"})],
    "assign": [("assign", {"assignee": "浙江明理律师事务所 周律"})],
    "rule": [("rule", {"ruling": "correct", "reasons": "应免予核查经济困难状况"})],
    "deliver": [("deliver", {"method": "electronic"})],
}

FORM_VALUES = {
    "law_firm": _demo.COMPANY["name"],
    "qualification_number": "A20191234567",
    "organisation_name": _demo.COMPANY["name"],
    "contact_name": _demo.COMPANY["representative"],
    "address": "杭州市西湖区北山街道1号",
    "case_kind": "civil",
    "facts": "用人单位拖欠工资三个月，需要申请劳动仲裁。",
    "decision_kind": "deny",
    "reason": "本人属于免予核查经济困难状况的人员。",
    "other_party": "李四",
    "dispute": "邻居装修噪音扰民，多次协商未果。",
    "cancel_reason": "本人不再从事律师职业",
    "reissue_reason": "damaged",
}


@dataclass
class Walk:
    item: str
    organisation: str
    process: str
    number: str = ""
    query_code: str = ""
    status: str = ""
    steps: list[tuple[str, str]] = field(default_factory=list)
    """(task title, demo account) in order."""
    gap: tuple[str, str, str, str] | None = None
    """(process, step, role, organisation) of the step no demo account may take."""
    refused: str = ""
    """The code the demo account was refused with before another applicant applied: 陈明 and the
    demo law firm hold the 律师执业证 / 律师事务所执业许可证 ``load_cases`` issued, so an item that would
    issue a second is refused to them (``application.licence_already_held``, 律师法 §10)."""


def applicant_for(entry: ImplementationEntry) -> User:
    """陈明 (who holds the demo 律师执业证 once ``load_cases`` ran) or the demo law firm."""
    if "organisation_name" in _schema(entry).get("properties", {}):
        return LegalPerson.objects.get(uscc=_demo._demo_uscc()).user
    person = NaturalPerson.objects.get(id_number_index=id_number_index(_demo._id_number(_demo.CITIZEN)))
    return person.user


def newcomer_for(entry: ImplementationEntry, applicant: User) -> User:
    """A demo account (``is_demo``, registered as anyone registers) that holds no licence yet, of the
    kind of ``applicant``, one per entry: who applies for an item that would issue a licence the
    demo account already holds (律师法 §10: 陈明 cannot be licensed twice; a firm is set up once)."""
    if applicant.kind == AccountKind.COMPANY:
        uscc = make_uscc("3", "1", "330106", f"MA2W{entry.pk % 10000:04d}")
        found = LegalPerson.objects.filter(uscc=uscc).first()
        if found is not None:
            return found.user
        return register_company(
            name=f"浙江演示{entry.pk}律师事务所",
            uscc=uscc,
            legal_representative="吴正",
            phone=f"137{entry.pk % 100000000:08d}",
            password=_demo.DEMO_PASSWORD,
            region_code="330106",
            is_demo=True,
        ).user
    spec = {
        "name": "吴新",
        "birth": "19920202",
        "seq": f"{entry.pk % 1000:03d}",
        "phone": f"136{entry.pk:08d}",
    }
    return _demo._person(spec)


def _schema(entry: ImplementationEntry) -> dict[str, Any]:
    form = getattr(entry.version, "form", None)
    return (form.schema if form is not None else None) or {}


def _value(name: str, spec: dict[str, Any], applicant: User) -> Any:
    if name in FORM_VALUES and (not spec.get("enum") or FORM_VALUES[name] in spec["enum"]):
        return FORM_VALUES[name]
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    if kind == "array":
        return [_value(name, spec.get("items") or {"type": "string"}, applicant)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return spec.get("minimum", 1)
    if spec.get("format") == "date":
        return timezone.localdate().isoformat()
    if name == "id_number":
        person = NaturalPerson.objects.filter(user=applicant).first()
        return person.reveal_id_number() if person is not None else _demo._id_number(_demo.CITIZEN)
    if name == "phone":
        return _demo.COMPANY["phone"] if applicant.kind == AccountKind.COMPANY else _demo.CITIZEN["phone"]
    if name.endswith("_name") or name == "name":
        person = NaturalPerson.objects.filter(user=applicant).first()
        return person.name if person is not None else _demo.CITIZEN["name"]
    pattern = spec.get("pattern", "")
    if pattern and not re.fullmatch(pattern, "演示内容"):
        raise AssertionError(f"no demo value for field {name} ({pattern})")
    return "演示内容" + "。" * max(0, int(spec.get("minLength", 0)) - 4)


def form_data(entry: ImplementationEntry, applicant: User) -> dict[str, Any]:
    """The required fields of the item's form (and the optional ones the demo knows)."""
    schema = _schema(entry)
    properties = schema.get("properties", {})
    wanted = set(schema.get("required", [])) | (set(FORM_VALUES) & set(properties))
    return {name: _value(name, properties[name], applicant) for name in properties if name in wanted}


def situation_answers(entry: ImplementationEntry) -> dict[str, str]:
    return {s.code: s.options[0]["value"] for s in entry.version.situations.all() if s.options}


def _staff_who_may(application: Application, item: WorkItem, command: str) -> User | None:
    for user in User.objects.filter(is_demo=True, kind=AccountKind.STAFF).order_by("username"):
        if acting_role(actor_for(user), command, item, application):
            return user
    return None


def _mediate(user: User, application: Application) -> None:
    from sifa.demo.mediation import ensure_roster

    mediators = [m.pk for m in ensure_roster()[:1]]
    today = timezone.localdate()
    run_command(user, application.number, "assign_mediators", {"mediators": mediators})
    run_command(
        user,
        application.number,
        "record_session",
        {
            "held_on": today,
            "place": "司法所调解室",
            "mediators": mediators,
            "parties_present": "陈明、李四",
            "summary": "双方达成一致",
        },
    )
    run_command(
        user,
        application.number,
        "conclude_mediation",
        {
            "result": "agreement",
            "facts": "装修噪音扰民",
            "terms": ["李四每日20时后停止施工"],
            "effective_on": today,
        },
    )


def _senior_lawyer() -> str:
    from sifa.demo.lawyers import SENIOR_NUMBER, ensure_senior_lawyer

    ensure_senior_lawyer()
    return SENIOR_NUMBER


def _issue_documents(application: Application) -> None:
    for row in CaseDocument.objects.filter(application=application, status=CaseDocumentStatus.PENDING):
        issue_owed(row.pk)


def _suspect_id() -> str:
    from sifa.core.identifiers import id_number_check_digit

    first17 = "33010620100101123"
    return first17 + id_number_check_digit(first17)


def _notice(entry: ImplementationEntry) -> Application:
    """通知辩护 (法律援助法 §36) as the exchange delivers it to the handler of ``legal-aid.notify``:
    a public-security organ's notice for a minor suspect; the case starts in hand at the centre."""
    from types import SimpleNamespace

    from sifa.exchange.demo import demo_partner
    from sifa.exchange.models import Partner
    from sifa.workflow.services.notices import receive_legal_aid_notice

    police = demo_partner("police")  # loaded by `sifa exchange load-partners`, as `make run` does

    opened = SimpleNamespace(
        header={
            "sender": police.uscc,
            "message_id": f"demo-walk-{entry.pk}",
            "receiver": entry.accepting_organisation.name,
            "user_id": {"organisation": police.name},
            "purpose": "通知辩护",
        },
        body={
            "case_number": f"杭西公（刑）字〔2026〕{entry.pk}号",
            "court_or_organ": police.name,
            "notified_at": timezone.localdate().isoformat(),
            "ground": "minor",
            "charge": "盗窃罪",
            "suspect": {"name": "李小明", "id_number": _suspect_id()},
        },
        partner=Partner.objects.filter(uscc=police.uscc).first(),
        message=SimpleNamespace(recorded_at=timezone.now()),
    )
    answer = receive_legal_aid_notice(opened, entry.accepting_organisation)
    return Application.objects.get(number=answer["case_number"])


def _draft(entry: ImplementationEntry, applicant: User) -> Application:
    return applications.start_draft(
        entry,
        actor=applicant,
        form_data=form_data(entry, applicant),
        situation_answers=situation_answers(entry),
    )


def _apply(entry: ImplementationEntry, result: Walk) -> Application:
    applicant = applicant_for(entry)
    try:
        application = _draft(entry, applicant)
    except Conflict as refused:
        if refused.code != "application.licence_already_held":
            raise
        result.refused = refused.code
        applicant = newcomer_for(entry, applicant)
        application = _draft(entry, applicant)
    for problem in missing_material_errors(application):
        material_id = int(problem["field"].split(".", 1)[1])
        applications.upload_material(
            application,
            actor=applicant,
            material_id=material_id,
            fileobj=io.BytesIO(demo_pdf(f"material {material_id}")),
            filename="演示材料.pdf",
            declared_content_type="application/pdf",
        )
    application, result.query_code = applications.submit(application, actor=applicant)
    findings = applications.run_pre_review(application.pk)
    assert not findings, [f.message for f in findings]
    return application


def walk(entry: ImplementationEntry) -> Walk:
    """Apply for ``entry`` as a demo applicant (or, for 通知辩护, receive the notice) and take the case
    as far as demo staff can."""
    process = entry.version.process.bpmn_file.removesuffix(".bpmn")
    result = Walk(entry.item.name, entry.organisation.name, process)
    application = _notice(entry) if process == NOTICE_PROCESS else _apply(entry, result)
    result.number = application.number
    for _ in range(MAX_STEPS):
        application.refresh_from_db()
        _issue_documents(application)
        if application.status == ApplicationStatus.PENDING_ACCEPTANCE:
            start_case(application)  # normally the ready_for_acceptance receiver's work; idempotent
        items = list(
            WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN)
            .select_related("organisation")
            .order_by("id")
        )
        if not items:
            break
        item = items[0]
        commands = COMMANDS[item.kind] if item.kind != "mediate" else [("assign_mediators", {})]
        if process == NOTICE_PROCESS:
            commands = [("assign", {"licence_number": _senior_lawyer(), "experience_confirmed": True})]
        user = _staff_who_may(application, item, commands[0][0])
        if user is None:
            result.gap = (process, item.title, Role(item.role).label, item.organisation.name)
            break
        result.steps.append((item.title, user.username))
        if item.kind == "mediate":
            _mediate(user, application)
        else:
            for name, data in commands:
                if item.kind == "review":
                    data = {**data, "task": item.task_name}
                run_command(user, application.number, name, data)
    application.refresh_from_db()
    _issue_documents(application)
    result.status = application.status
    return result
