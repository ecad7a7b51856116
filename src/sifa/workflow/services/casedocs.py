"""Documents the workflow owes the applicant: notices, decision letters and the e-licence.

A command calls :func:`owe` inside its own transaction: that writes a ``CaseDocument`` row (the
durable promise) and, only after the commit, enqueues :func:`sifa.workflow.tasks.issue_case_document`.
Rendering and sealing take about half a second, so they never hold up the staff member's click,
and a failure there can never undo the decision: the row stays ``failed`` with the reason (and the
audit event ``workflow.document_failed``), and ``sifa issue-pending-documents`` (run by the
scheduler) retries it with back-off.

:func:`issue_owed` is idempotent: it locks the row, returns at once when it is already issued,
and applies the decision to the licence through ``licences.services.apply_decision`` (one licence
per application) and issues the letter through ``documents.issue_document`` in one transaction
with the timeline entry — so a retried task never makes a second document or licence.

What an approval does to licences follows the pinned catalogue version
(``licences.services.apply_decision``): a new licence, a re-issued version (换发) or a cancelled
one (注销); the letter's title and wording say which (:data:`DECISION_TITLES`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.encoding import iri_to_uri, uri_to_iri

from sifa.applications.models import Application
from sifa.applications.services import transition
from sifa.audit.models import AuditResult
from sifa.catalogue import forms
from sifa.catalogue.models import ItemType, LicenceEffect, Material
from sifa.catalogue.timelimits import describe as describe_time_limit
from sifa.documents.services import issue_document
from sifa.laws import references
from sifa.licences.models import IssueKind, LicenceStatus
from sifa.licences.services import apply_decision, changed_particulars
from sifa.mediation import documents as mediation_documents
from sifa.mediation.selectors import case_of
from sifa.organisations.models import Organisation
from sifa.workflow import tasks
from sifa.workflow.models import CaseDocument, CaseDocumentKind, CaseDocumentStatus
from sifa.workflow.services.case_audit import record_case

logger = logging.getLogger("sifa.workflow")

LICENSING_LAW = "中华人民共和国行政许可法"
REFUSAL_BASIS = f"《{LICENSING_LAW}》第三十二条第一款"
APPROVAL_BASIS = f"《{LICENSING_LAW}》第三十八条第一款"
DENIAL_BASIS = f"《{LICENSING_LAW}》第三十八条第二款"
CORRECTION_REQUIREMENT = "请按本告知书一次性补正后重新提交（行政许可法第三十二条第一款第（四）项）"
DECISION_WORDS = {
    LicenceEffect.ISSUE: ("准予行政许可", "不予行政许可"),
    LicenceEffect.REISSUE: ("准予变更", "不予变更"),
    LicenceEffect.CANCEL: ("注销", "不予注销"),
}
"""What a licensing decision is called, by the version's licence effect (行政许可法 §38, §49, §70)."""
DECISION_TITLES = {
    (LicenceEffect.REISSUE, CaseDocumentKind.APPROVAL_DECISION): "准予变更行政许可决定书",
    (LicenceEffect.REISSUE, CaseDocumentKind.DENIAL_DECISION): "不予变更行政许可决定书",
    (LicenceEffect.CANCEL, CaseDocumentKind.APPROVAL_DECISION): "注销行政许可决定书",
    (LicenceEffect.CANCEL, CaseDocumentKind.DENIAL_DECISION): "不予注销行政许可决定书",
}
"""Letters whose title differs from the document kind's (准予行政许可决定书 / 不予行政许可决定书)."""
PARTICULAR_LABELS = {"practice_organisation": "执业机构", "principal": "负责人"}
RETRY_AFTER_SECONDS = 60
"""A pending row younger than this still has its own task on the way; the sweep leaves it alone."""
MAX_BACKOFF_SECONDS = 3600


def owe(
    application: Application,
    kind: str,
    *,
    organisation: Any,
    actor: Any = None,
    context: dict[str, Any] | None = None,
    key: str = "",
    on: dt.date | None = None,
) -> CaseDocument:
    """Record that ``kind`` is owed for ``application`` and enqueue its issuance after commit.

    Call inside the command's transaction. Owing the same (application, kind, key) twice returns
    the first row and enqueues nothing more.
    """
    row, created = CaseDocument.objects.get_or_create(
        application=application,
        kind=kind,
        key=key,
        defaults={
            "organisation": organisation,
            "actor": actor if getattr(actor, "pk", None) else None,
            "context": context or {},
            "issued_on": on or timezone.localdate(),
        },
    )
    if created:
        transaction.on_commit(lambda: tasks.enqueue_issue(row.pk))
    return row


def split_reasons(text: str) -> list[str]:
    """One reason per line (or per 。/；), as the letters list them."""
    parts = [p.strip(" \t;；。") for p in re.split(r"[\n；;]+|。(?=.)", text or "")]
    return [p for p in parts if p]


def correction_items(
    items: list[dict[str, Any]], schema: dict[str, Any] | None = None
) -> list[dict[str, str]]:
    """The notice's findings as the letter's rows: which material or form field (by the title the
    form shows, from ``schema``), what, what to do."""
    material_ids = [
        int(i["field"].split(".", 1)[1])
        for i in items
        if str(i.get("field", "")).startswith("materials.") and i["field"].split(".", 1)[1].isdigit()
    ]
    names = dict(Material.objects.filter(pk__in=material_ids).values_list("pk", "name"))
    rows = []
    for item in items:
        field = str(item.get("field", ""))
        message = str(item.get("message", "")).strip()
        material = ""
        if field.startswith("materials.") and field.split(".", 1)[1].isdigit():
            material = names.get(int(field.split(".", 1)[1]), "")
        elif field and schema:
            title = forms.field_title(schema, field)
            material = f"申请表：{title}" if title else ""
        if not material and "：" in message:
            material = message.split("：", 1)[0]
        rows.append(
            {"material": material or "申请表", "problem": message, "requirement": CORRECTION_REQUIREMENT}
        )
    return rows


def _item_basis(application: Application) -> str:
    item = application.version.item
    refs = item.legal_basis or (item.parent.legal_basis if item.parent_id else [])
    by_law: dict[str, list[str]] = {}
    for ref in refs or []:
        if isinstance(ref, dict) and ref.get("law"):
            by_law.setdefault(ref["law"], []).append(ref.get("article", ""))
    return "；".join(f"《{law}》{'、'.join(a for a in articles if a)}" for law, articles in by_law.items())


def cited_articles(legal_basis: str, application: Application) -> list[dict[str, str]]:
    """The articles a letter's legal basis cites that the law library holds, each with its
    permanent address (absolute, ``settings.PUBLIC_URL``): printed under the letter so the reader
    can look the article up. ``url`` is readable (Chinese as written), ``href`` the encoded link;
    an act the library does not hold is simply not listed."""
    item = application.version.item
    context = references.context_laws(item.legal_basis or (item.parent.legal_basis if item.parent_id else []))
    cited, seen = [], set()
    for citation in references.find(legal_basis or "", context):
        if not citation.resolved or citation.article.pk in seen:
            continue
        seen.add(citation.article.pk)
        article = citation.article
        url = settings.PUBLIC_URL.rstrip("/") + uri_to_iri(article.get_absolute_url())
        cited.append(
            {
                "label": f"《{article.statute.title}》{article.label}",
                "url": url,
                "href": iri_to_uri(url),
            }
        )
    return cited


def effect(application: Application) -> str:
    return application.version.licence_effect or LicenceEffect.ISSUE


def decision_words(application: Application, decision: str) -> str:
    """准予行政许可 / 准予变更 / 注销 … (licensing items), 准予办理 / 不予办理 (other items)."""
    if application.version.item.item_type != ItemType.LICENSING:
        return "准予办理" if decision == "approve" else "不予办理"
    approve, deny = DECISION_WORDS.get(effect(application), DECISION_WORDS[LicenceEffect.ISSUE])
    return approve if decision == "approve" else deny


def _applicant_name(application: Application) -> str:
    form = application.form_data or {}
    for name in ("applicant_name", "organisation_name"):
        if isinstance(form.get(name), str) and form[name].strip():
            return form[name].strip()[:100]
    return getattr(application.applicant, "display_name", "") or "申请人"


def build_context(row: CaseDocument, application: Application, licence: Any = None) -> dict[str, Any]:
    """The template fields of docs/documents.md for ``row.kind``, from the case and the command."""
    context: dict[str, Any] = {
        "applicant_name": _applicant_name(application),
        "item_name": application.version.item.name,
        "application_number": application.number,
        "submitted_on": timezone.localdate(application.submitted_at) if application.submitted_at else None,
    }
    reasons = split_reasons(row.context.get("reasons", ""))
    if row.kind == CaseDocumentKind.ACCEPTANCE_NOTICE:
        # The item's own limit, its stages and who decides, from the pinned version (catalogue.timelimits).
        wording = describe_time_limit(application)
        context.update(time_limit=wording.total or "法定期限", time_limit_detail=wording.sentence)
    elif row.kind == CaseDocumentKind.REFUSAL_NOTICE:
        context.update(reasons=reasons, legal_basis=REFUSAL_BASIS)
    elif row.kind == CaseDocumentKind.CORRECTION_NOTICE:
        context["items"] = row.context.get("items", [])
    elif row.kind == CaseDocumentKind.APPROVAL_DECISION and effect(application) != LicenceEffect.ISSUE:
        context.update(legal_basis=_item_basis(application), effect=effect(application))
        if licence is not None:
            particulars, _name = changed_particulars(application)
            context.update(
                licence_name=licence.name,
                licence_number=licence.number,
                licence_version=licence.version,
                changed=[(PARTICULAR_LABELS.get(k, k), v) for k, v in particulars.items()]
                + ([("名称", licence.holder_name)] if _name else []),
                verify_url=f"{settings.PUBLIC_URL}/verify/{licence.identifier}",
            )
    elif row.kind == CaseDocumentKind.APPROVAL_DECISION:
        context["legal_basis"] = "；".join(b for b in (_item_basis(application), APPROVAL_BASIS) if b)
        if licence is not None:
            context.update(
                licence_name=licence.name,
                licence_number=licence.number,
                valid_until=licence.valid_until,
                permitted_scope=(licence.particulars or {}).get("practice_organisation", ""),
                verify_url=f"{settings.PUBLIC_URL}/verify/{licence.identifier}",
            )
    elif row.kind == CaseDocumentKind.DENIAL_DECISION:
        context.update(
            reasons=reasons,
            legal_basis="；".join(b for b in (_item_basis(application), DENIAL_BASIS) if b),
            decision_text=decision_words(application, "deny"),
        )
    elif row.kind == CaseDocumentKind.LEGAL_AID_DENIAL:
        # 法律援助法 §49: an objection goes to the 司法行政部门 that set up the centre (its parent).
        parent = row.organisation.parent
        context.update(reasons=reasons, objection_body=parent.name if parent else "")
    elif row.kind == CaseDocumentKind.OBJECTION_DECISION:
        context.update(
            reasons=reasons,
            ruling=row.context.get("ruling", ""),
            aid_centre=row.context.get("aid_centre", ""),
            original_decision=row.context.get("original_decision", ""),
            received_on=timezone.localdate(application.received_at) if application.received_at else None,
        )
    elif row.kind in (CaseDocumentKind.MEDIATION_AGREEMENT, CaseDocumentKind.MEDIATION_TERMINATION):
        case = case_of(application)
        if row.kind == CaseDocumentKind.MEDIATION_AGREEMENT:
            return mediation_documents.agreement_context(case)
        return mediation_documents.termination_context(case)
    if context.get("legal_basis"):
        context["cited_articles"] = cited_articles(context["legal_basis"], application)
    return context


def _licence_words(licence: Any) -> str:
    if licence.status == LicenceStatus.CANCELLED:
        return f"已注销电子证照“{licence.name}”，证照编号 {licence.number}"
    if licence.issue_kind == IssueKind.REISSUE:
        return f"已换发电子证照“{licence.name}”（第{licence.version}版），证照编号 {licence.number}"
    return f"已颁发电子证照“{licence.name}”，证照编号 {licence.number}"


def _timeline_title(row: CaseDocument, licence: Any) -> tuple[str, str]:
    if row.document_id is not None:
        title = f"已送达{row.document.title}"
        detail = f"文号：{row.document.number}"
        if licence is not None:
            detail += f"；{_licence_words(licence)}"
        return title, detail
    return f"已颁发电子证照（{licence.name}）", f"证照编号 {licence.number}，证照标识 {licence.identifier}"


def _licence_issuer(row: CaseDocument) -> Organisation:
    """Who issues the e-licence: the decider, unless the process names another lane's organisation
    (公证法 §21: 司法部 appoints, the province issues the 公证员执业证书)."""
    issuer_id = row.context.get("licence_issuer")
    if issuer_id:
        return Organisation.objects.get(pk=issuer_id)
    return row.organisation


def _issue(row: CaseDocument) -> None:
    application = Application.objects.select_related("version__item__parent", "applicant").get(
        pk=row.application_id
    )
    licence = None
    if row.kind in (CaseDocumentKind.APPROVAL_DECISION, CaseDocumentKind.LICENCE):
        # The decision was authorised by the command; a 即办件 decided at the window is signed on
        # the system's authority because the clerk holds no decision-maker role.
        actor = None if row.context.get("immediate") else row.actor
        licence = apply_decision(application, actor, issuer=_licence_issuer(row))
    if row.kind != CaseDocumentKind.LICENCE:
        row.document = issue_document(
            row.kind,
            organisation=row.organisation,
            recipient=application.applicant,
            context=build_context(row, application, licence),
            related=("application", application.number),
            actor=row.actor,
            scope_path=application.scope_path,
            issued_on=row.issued_on,
            title=DECISION_TITLES.get((effect(application), row.kind)),
        )
    row.licence = licence
    row.status = CaseDocumentStatus.ISSUED
    row.issued_at = timezone.now()
    row.last_error = ""
    row.next_attempt_at = None
    row.save(update_fields=["document", "licence", "status", "issued_at", "last_error", "next_attempt_at"])
    if row.document_id is None and licence is None:
        return  # nothing to tell: the result of this item is neither a letter nor a licence
    title, detail = _timeline_title(row, licence)
    transition(
        application,
        status=None,
        event=f"document_{row.kind}",
        title=title,
        detail=detail,
        organisation=row.organisation,
    )


def issue_owed(case_document_id: int) -> CaseDocument | None:
    """Issue one owed document (and licence). Never raises: a failure is recorded for the retry."""
    try:
        with transaction.atomic():
            row = (
                # ``of=("self",)``: PostgreSQL cannot lock the nullable side (``actor``) of the join.
                CaseDocument.objects.select_for_update(of=("self",))
                .select_related("organisation", "actor")
                .filter(pk=case_document_id)
                .first()
            )
            if row is None or row.status == CaseDocumentStatus.ISSUED:
                return row
            _issue(row)
            return row
    except Exception as failure:  # any failure is recorded and retried, never lost
        logger.exception("办件文书 %s 出具失败，将重试", case_document_id)
        return _record_failure(case_document_id, failure)


def _record_failure(case_document_id: int, failure: Exception) -> CaseDocument | None:
    """Mark the row failed with its back-off, and audit it (``workflow.document_failed``) in the
    same transaction: the trail shows every owed letter that could not be issued, and why."""
    with transaction.atomic():
        row = (
            CaseDocument.objects.select_for_update(of=("self",))
            .select_related("application")
            .filter(pk=case_document_id)
            .first()
        )
        if row is None:
            return None
        row.attempts += 1
        row.status = CaseDocumentStatus.FAILED
        message = getattr(failure, "message", "") or f"{type(failure).__name__}: {failure}"
        row.last_error = str(message)[:500]
        backoff = min(RETRY_AFTER_SECONDS * 2 ** (row.attempts - 1), MAX_BACKOFF_SECONDS)
        row.next_attempt_at = timezone.now() + dt.timedelta(seconds=backoff)
        row.save(update_fields=["attempts", "status", "last_error", "next_attempt_at"])
        record_case(
            "workflow.document_failed",
            row.application,
            result=AuditResult.FAILED,
            detail={
                "kind": row.kind,
                "attempts": row.attempts,
                "error": row.last_error,
                "next_attempt_at": row.next_attempt_at.isoformat(),
            },
        )
    return row


def due_for_retry(now: dt.datetime | None = None) -> QuerySet[CaseDocument]:
    """Rows the sweep should (re)try: failed and due, or pending whose task seems lost."""
    now = now or timezone.now()
    return CaseDocument.objects.filter(
        Q(status=CaseDocumentStatus.FAILED, next_attempt_at__lte=now)
        | Q(
            status=CaseDocumentStatus.PENDING, created_at__lte=now - dt.timedelta(seconds=RETRY_AFTER_SECONDS)
        )
    ).order_by("created_at", "id")


DENIAL_LETTERS: dict[str, str] = {"legal_aid.bpmn": CaseDocumentKind.LEGAL_AID_DENIAL}
"""The written denial a non-licensing procedure owes, by its process file: 法律援助法 §43 —
决定不给予法律援助的，应当书面告知申请人，并说明理由. (Licensing items owe 不予行政许可决定书.)"""
