"""通知辩护 through the exchange (法律援助法 §25, §28, §36): the notice in, the lawyer's name out.

§36: 人民法院、人民检察院、公安机关办理刑事案件，发现有本法第二十五条第一款、第二十八条规定情形的，
应当在三日内通知法律援助机构指派律师。法律援助机构收到通知后，应当在三日内指派律师并通知人民法院、
人民检察院、公安机关。

* :func:`receive_legal_aid_notice` is the exchange handler of ``legal-aid.notify`` (registered in
  ``WorkflowConfig.ready``). It runs in the inbox's answer transaction: it finds **the centre** —
  the receiver itself when it is a 法律援助中心, else the centre its bureau set up (its child, as
  the objection finds it) — files the case there (``applications.services.notices.file_notice``),
  starts ``legal_aid_notice.bpmn`` (one ``assign_lawyer`` task, stage 1: 3 自然日 from receipt) and
  answers ``{status: "accepted", case_number, centre, due_on}``. No centre, no entry, a bad
  suspect record, a ground the organ may not notify (§25 第二款 and §28 are the court's): a
  ``ServiceError``, which the gateway answers as a signed refusal. The same notice again (same
  organ, case number and person) answers the case already filed.
* The notice's ``ground`` (``exchange.services.partners.NOTICE_GROUNDS``) is kept on the case: a
  §26 ground (可能被判处无期徒刑、死刑的人, 死刑复核案件的被告人) makes :func:`check_experience`
  part of the assignment, and a §28 notice (强制医疗) asks for a lawyer as 诉讼代理人, not 辩护人.
* :func:`send_assignment` is called by the ``assign`` command on that task, in the command's
  transaction: the outbox queues ``legal-aid.assignment`` to the notifying organ with the lawyer's
  name, licence number and law firm, ``issue`` = the organ's case number.

Each is a row of the data tracker (我的数据使用记录, ``audit.services.record_disclosure``): the
notice in the person's (a partner query about them), the reply in the person's and the lawyer's (a
disclosure to the organ). Visibility is public: a suspect or defendant is entitled to know that a
defender is assigned (§35 obliges the organs to tell them of their right to legal aid), and the
lawyer's practice is public. An interpretation: a row to be withheld during an investigation would be
``restricted`` or ``delayed``, which the notice cannot ask for yet.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from sifa.accounts.services import id_number_index
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import transition
from sifa.applications.services.notices import file_notice
from sifa.audit.models import AccessKind
from sifa.audit.services import record_disclosure
from sifa.catalogue.models import EntryStatus, ImplementationEntry
from sifa.core.errors import ServiceError
from sifa.core.identifiers import IdentifierError, parse_id_number
from sifa.exchange.models import Partner, PartnerKind
from sifa.exchange.services import outbox
from sifa.exchange.services.envelopes import Opened
from sifa.exchange.services.partners import NOTICE_GROUNDS
from sifa.licences.selectors import lawyer_practice_since
from sifa.organisations.models import Organisation, OrganisationKind
from sifa.workflow.engine.registry import LEGAL_AID_NOTICE
from sifa.workflow.models import WorkItem
from sifa.workflow.services.start import start_case

NOTICE_FILE = LEGAL_AID_NOTICE
ASSIGN_TASK = "assign_lawyer"
"""The BPMN task id (``WorkItem.task_name``) of the notice process's one task: the ``assign`` command sends the reply on it."""
ASSIGNMENT_SERVICE = ("legal-aid.assignment", "1")
ASSIGNMENT_PURPOSE = "通知办案机关已指派律师担任辩护人（法律援助法第三十六条）"
AGENT_PURPOSE = "通知人民法院已指派律师担任诉讼代理人（法律援助法第二十八条、第三十六条）"
NOTICE_BASIS = "《法律援助法》第二十五条、第三十六条"
ASSIGNMENT_BASIS = "《法律援助法》第三十六条"
COURT_ONLY_GROUNDS = frozenset({"ordinary_procedure", "compulsory_medical"})
"""§25 第二款 (人民法院可以通知) and §28 (人民法院应当通知): grounds only a court may notify."""
EXPERIENCE_GROUNDS = frozenset({"life_or_death", "death_review"})
"""§26: 对可能被判处无期徒刑、死刑的人，以及死刑复核案件的被告人 … 应当指派具有三年以上相关执业经历的律师。"""
EXPERIENCE_YEARS = 3


def ground_text(code: str) -> str:
    """The ground in the statute's words with its article, e.g. 未成年人（第二十五条第一款第一项）."""
    if code not in NOTICE_GROUNDS:
        return "未注明情形"
    words, article = NOTICE_GROUNDS[code]
    return f"{words}（法律援助法{article}）"


def notice_basis(code: str) -> str:
    """The legal basis of a notice on the data tracker: §28 for 强制医疗, §25 for the others."""
    if code == "compulsory_medical":
        return "《法律援助法》第二十八条、第三十六条"
    return NOTICE_BASIS


def role_words(application: Application) -> str:
    """辩护人 (criminal defence, §25) or 诉讼代理人 (强制医疗, §28) — what the lawyer is assigned as."""
    return "诉讼代理人" if (application.form_data or {}).get("ground") == "compulsory_medical" else "辩护人"


def needs_experience(application: Application) -> bool:
    return (application.form_data or {}).get("ground") in EXPERIENCE_GROUNDS


def centre_for(organisation: Organisation | None) -> Organisation | None:
    """The legal-aid centre a notice addressed to ``organisation`` goes to: the centre itself, or
    the one its bureau set up (its active child of kind 法律援助中心, as for objections)."""
    if organisation is None or not organisation.is_active:
        return None
    if organisation.kind == OrganisationKind.LEGAL_AID_CENTRE:
        return organisation
    return (
        Organisation.objects.filter(
            parent=organisation, kind=OrganisationKind.LEGAL_AID_CENTRE, is_active=True
        )
        .order_by("path")
        .first()
    )


def notice_entry(centre: Organisation) -> ImplementationEntry | None:
    return (
        ImplementationEntry.objects.filter(
            accepting_organisation=centre,
            status=EntryStatus.ACTIVE,
            version__process__bpmn_file=NOTICE_FILE,
        )
        .select_related("version")
        .first()
    )


def _due_on(application: Application) -> str | None:
    item = (
        WorkItem.objects.filter(application=application, task_name=ASSIGN_TASK)
        .order_by("-id")
        .values_list("due_on", flat=True)
        .first()
    )
    return item.isoformat() if item else None


def _answer(application: Application) -> dict[str, Any]:
    return {
        "status": "accepted",
        "case_number": application.number,
        "centre": application.accepting_organisation.name,
        "due_on": _due_on(application),
    }


def _same_notice(sender: str, court_case_number: str, index: str) -> Application | None:
    return (
        Application.objects.filter(
            version__process__bpmn_file=NOTICE_FILE,
            form_data__notifier_uscc=sender,
            form_data__court_case_number=court_case_number,
            applicant_person__id_number_index=index,
        )
        .select_related("accepting_organisation")
        .order_by("created_at")
        .first()
    )


def receive_legal_aid_notice(opened: Opened, organisation: Organisation | None) -> dict[str, Any]:
    """The ``legal-aid.notify`` handler: file and start the case at the right centre."""
    header, body = opened.header, opened.body
    centre = centre_for(organisation)
    if centre is None:
        name = organisation.name if organisation else header["receiver"]
        raise ServiceError(
            "legal_aid.no_centre",
            f"{name}未设立法律援助机构，请通知设立法律援助机构的司法行政机关或者法律援助中心",
        )
    entry = notice_entry(centre)
    if entry is None:
        raise ServiceError("legal_aid.no_entry", f"{centre.name}尚未开通通知辩护办理，请电话通知该机构")
    ground = body.get("ground", "")
    if ground in COURT_ONLY_GROUNDS and (opened.partner is None or opened.partner.kind != PartnerKind.COURT):
        words, article = NOTICE_GROUNDS[ground]
        raise ServiceError(
            "legal_aid.ground_not_for_organ",
            f"“{words}”的通知辩护由人民法院发出（法律援助法{article}），本机关不能以此情形通知",
        )
    suspect = body["suspect"]
    try:
        number = parse_id_number(suspect["id_number"]).value
    except IdentifierError as error:
        raise ServiceError(
            "legal_aid.person_invalid", f"犯罪嫌疑人、被告人公民身份号码无效：{error.message}"
        ) from None
    existing = _same_notice(header["sender"], body["case_number"], id_number_index(number))
    if existing is not None:
        return _answer(existing)
    received_at = opened.message.recorded_at or timezone.now()  # 收到通知: when the gateway logged it
    notifier = opened.partner.name if opened.partner is not None else header["user_id"]["organisation"]
    application = file_notice(
        entry,
        person_name=suspect["name"],
        id_number=number,
        received_at=received_at,
        notifier=notifier,
        form_data={
            "court_case_number": body["case_number"],
            "notifying_organ": body["court_or_organ"],
            "notifier_uscc": header["sender"],
            "notified_at": body["notified_at"],
            "charge": body.get("charge", ""),
            "ground": ground,
            "ground_text": ground_text(ground),
            "notice_message_id": header["message_id"],
        },
    )
    received_on = timezone.localdate(received_at)
    start_case(application, on=received_on)
    application.refresh_from_db()
    # No acceptance step: §36 binds the centre from receipt, so the case is in hand at once.
    transition(
        application,
        status=ApplicationStatus.ACCEPTED,
        event="notice_in_hand",
        title="进入指派环节",
        detail="法律援助法第三十六条：法律援助机构收到通知后，应当在三日内指派律师并通知办案机关",
        organisation=centre,
        occurred_at=received_at,
        fields={"accepted_at": received_at},
    )
    person = application.applicant_person
    record_disclosure(  # the person's data tracker: the organ's notice about them
        subject=person.user,
        subject_ref=str(person.pk),
        object_type="accounts.NaturalPerson",
        receiver=notifier,
        purpose=f"{header['purpose']}（通知辩护，{centre.name}办理）",
        legal_basis=notice_basis(ground),
        organisation=centre,
        scope_path=application.scope_path,
        case_number=body["case_number"],
        message_id=header["message_id"],
        kind=AccessKind.PARTNER_QUERY,
    )
    return _answer(application)


def check_experience(application: Application, licence: Any, *, confirmed: bool, today: dt.date) -> None:
    """§26 for a notice on a §26 ground: the lawyer has practised for three years or more (from the
    first 律师执业证 Sifa holds for them — ``licences.selectors.lawyer_practice_since``) and the
    centre's staff confirm the experience is 相关 (criminal defence), which no record shows.
    "三年以上" includes three years (以上 includes the number, as in 刑法 §99). Refusals are 400s
    on the field, in the command's error shape."""
    if not needs_experience(application):
        return
    errors = []
    since = lawyer_practice_since(licence)
    if since is None or since > years_before(today, EXPERIENCE_YEARS):
        started = f"自{since:%Y年%-m月%-d日}起执业，" if since else ""
        errors.append(
            {
                "field": "licence_number",
                "code": "workflow.lawyer_experience",
                "message": f"该律师{started}执业不满三年：可能被判处无期徒刑、死刑的人以及死刑复核案件的被告人，"
                "应当指派具有三年以上相关执业经历的律师（法律援助法第二十六条）",
            }
        )
    if not confirmed:
        errors.append(
            {
                "field": "experience_confirmed",
                "code": "workflow.experience_confirmed_required",
                "message": "请确认该律师具有三年以上相关执业经历（法律援助法第二十六条）",
            }
        )
    if errors:
        raise ServiceError(
            "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
        )


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def is_notice_case(application: Application) -> bool:
    return application.version.process.bpmn_file == NOTICE_FILE


def send_assignment(
    application: Application,
    *,
    lawyer: dict[str, str],
    licence: Any = None,
    official: str,
    official_user: Any = None,
    assigned_at: Any,
) -> Any:
    """Queue the reply to the notifying organ (in the caller's transaction): the outbox item."""
    form = application.form_data or {}
    partner = Partner.objects.filter(uscc=form.get("notifier_uscc", ""), is_active=True).first()
    if partner is None:
        raise ServiceError(
            "legal_aid.notifier_unknown",
            "通知机关不在数据交换伙伴名录中，不能经数据交换答复，请书面通知",
            status=409,
        )
    purpose = AGENT_PURPOSE if role_words(application) == "诉讼代理人" else ASSIGNMENT_PURPOSE
    item = outbox.send(
        organisation=application.accepting_organisation,
        partner=partner,
        service=ASSIGNMENT_SERVICE,
        body={
            "case_number": form.get("court_case_number", ""),
            "notice_message_id": form.get("notice_message_id", ""),
            "legal_aid_case_number": application.number,
            "centre": application.accepting_organisation.name,
            "lawyer": lawyer,
            "assigned_at": timezone.localtime(assigned_at).isoformat(timespec="seconds"),
        },
        purpose=purpose,
        official=official,
        issue=form.get("court_case_number", ""),
        case_number=application.number,
    )
    # Both data trackers: the person defended (whose case the reply is about) and the lawyer
    # (whose name, 执业证号 and firm it discloses).
    person = application.applicant_person
    rows = [(person.user, str(person.pk), "accounts.NaturalPerson")] if person is not None else []
    if licence is not None:
        rows.append((licence.holder, licence.identifier, "licences.Licence"))
    for subject, ref, object_type in rows:
        record_disclosure(
            subject=subject,
            subject_ref=ref,
            object_type=object_type,
            receiver=partner.name,
            purpose=purpose,
            legal_basis=ASSIGNMENT_BASIS,
            organisation=application.accepting_organisation,
            scope_path=application.scope_path,
            case_number=form.get("court_case_number", ""),
            message_id=str(item.message_id),
            official=official_user,
            kind=AccessKind.DISCLOSURE,
        )
    return item
