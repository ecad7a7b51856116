"""Issuing documents: render → number → seal → store → audit, in one transaction.

``issue_document`` is what the workflow calls for notices and decision letters, and what the
indicators app calls for the monthly 绩效通报 (with its own template); the licences app
uses :func:`sifa.documents.rendering.render_pdf` and :func:`sifa.documents.sealing.seal_pdf`
directly for the licence PDF (it has its own identifiers instead of document numbers).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from sifa.audit.services import record
from sifa.core.errors import Conflict, ServiceError
from sifa.documents.models import ONCE_PER_SUBJECT, Document, DocumentKind
from sifa.documents.numbering import format_number
from sifa.documents.rendering import render_pdf
from sifa.documents.sealing import seal_pdf
from sifa.documents.services.numbering import next_sequence
from sifa.organisations.services import ensure_document_code

DEFAULT_REVIEW_CHANNELS = (
    "书面申请：当面递交或者邮寄行政复议申请书",
    "通过行政复议机关指定的互联网渠道在线提交",
    "书面申请确有困难的，可以口头申请，由行政复议机关当场记录",
)
"""行政复议法 (2023) §22: the ways an application for administrative review may be made."""


@dataclass(frozen=True)
class KindSpec:
    template: str
    """The template in this app; empty for a kind whose body belongs to the calling app, which
    passes its own (``issue_document(…, template=…)``)."""
    required: tuple[str, ...]
    reason: str


KINDS: dict[str, KindSpec] = {
    DocumentKind.ACCEPTANCE_NOTICE: KindSpec(
        "documents/acceptance_notice.html", ("applicant_name", "item_name", "time_limit"), "受理行政许可申请"
    ),
    DocumentKind.REFUSAL_NOTICE: KindSpec(
        "documents/refusal_notice.html",
        ("applicant_name", "item_name", "reasons", "legal_basis"),
        "不予受理行政许可申请",
    ),
    DocumentKind.CORRECTION_NOTICE: KindSpec(
        "documents/correction_notice.html", ("applicant_name", "item_name", "items"), "一次性告知补正材料"
    ),
    DocumentKind.APPROVAL_DECISION: KindSpec(
        "documents/approval_decision.html", ("applicant_name", "item_name", "legal_basis"), "准予行政许可决定"
    ),
    DocumentKind.DENIAL_DECISION: KindSpec(
        "documents/denial_decision.html",
        ("applicant_name", "item_name", "reasons", "legal_basis"),
        "不予行政许可决定",
    ),
    # 法律援助法 §43: a denial is told in writing with its reasons; §49: the objection's decision.
    DocumentKind.LEGAL_AID_DENIAL: KindSpec(
        "documents/legal_aid_denial.html", ("applicant_name", "item_name", "reasons"), "不予法律援助决定"
    ),
    DocumentKind.OBJECTION_DECISION: KindSpec(
        "documents/objection_decision.html",
        ("applicant_name", "item_name", "ruling", "reasons", "aid_centre", "original_decision"),
        "法律援助异议审查决定",
    ),
    # 人民调解法 §28–§29, §33: the agreement; §26: the record of a mediation ended without one.
    DocumentKind.MEDIATION_AGREEMENT: KindSpec(
        "documents/mediation_agreement.html",
        ("item_name", "committee_name", "parties", "mediators", "facts", "terms"),
        "人民调解协议书",
    ),
    DocumentKind.MEDIATION_TERMINATION: KindSpec(
        "documents/mediation_termination.html",
        ("item_name", "committee_name", "parties", "mediators", "dispute", "reason", "remedies"),
        "调解终止记录",
    ),
    # 绩效通报 (issue 12): the body is the indicators app's (``indicators/report.html``); it is
    # addressed to the organisations below, not to a person, and issued once per month.
    DocumentKind.PERFORMANCE_REPORT: KindSpec("", (), "印发绩效通报"),
}
LIST_FIELDS = ("reasons", "items", "parties", "mediators", "terms", "remedies")
RULINGS = ("uphold", "correct")
"""法律援助法 §49: 维持法律援助机构决定 or 责令法律援助机构改正."""

CORRECTION_ITEM_FIELDS = ("material", "problem", "requirement")


def _check_context(kind: str, context: dict[str, Any]) -> None:
    """Every missing or malformed field at once (one 400 listing them all)."""
    errors = []
    for name in KINDS[kind].required:
        value = context.get(name)
        if name in LIST_FIELDS:
            if not isinstance(value, list | tuple) or not value:
                errors.append(
                    {"field": name, "code": "documents.required", "message": f"{name} 至少需要一项"}
                )
        elif not isinstance(value, str) or not value.strip():
            errors.append({"field": name, "code": "documents.required", "message": f"缺少 {name}"})
    if kind == DocumentKind.CORRECTION_NOTICE and isinstance(context.get("items"), list | tuple):
        for index, item in enumerate(context["items"]):
            if not isinstance(item, dict) or any(
                not str(item.get(f, "")).strip() for f in CORRECTION_ITEM_FIELDS
            ):
                errors.append(
                    {
                        "field": f"items[{index}]",
                        "code": "documents.bad_item",
                        "message": "每个补正事项都需要 material（材料）、problem（问题）和 requirement（补正要求）",
                    }
                )
    if kind == DocumentKind.OBJECTION_DECISION and context.get("ruling") not in RULINGS:
        errors.append(
            {"field": "ruling", "code": "documents.bad_ruling", "message": "ruling 只能是 uphold 或 correct"}
        )
    if errors:
        raise ServiceError(
            "documents.bad_context",
            "文书内容不完整：" + "；".join(e["message"] for e in errors),
            errors=errors,
        )


def _already_issued(organisation: Any, kind: str, related: tuple[str, str]) -> bool:
    related_type, related_id = related
    return Document.objects.filter(
        organisation=organisation,
        kind=kind,
        related_type=str(related_type)[:50],
        related_id=str(related_id)[:64],
        withdrawn_at__isnull=True,
    ).exists()


def _already(kind: str) -> Conflict:
    return Conflict("documents.already_issued", f"该{DocumentKind(kind).label}已经印发，不能重复印发")


def _storage_key(document_id: str, organisation_id: int, year: int) -> str:
    return f"documents/{year}/{organisation_id}/{document_id}.pdf"


def issue_document(
    kind: str,
    *,
    organisation: Any,
    recipient: Any = None,
    context: dict[str, Any],
    related: tuple[str, str] | None = None,
    actor: Any = None,
    scope_path: str = "",
    issued_on: dt.date | None = None,
    title: str | None = None,
    template: str | None = None,
) -> Document:
    """Render, number, seal, store and audit one document; return the saved :class:`Document`.

    ``context`` holds the template fields (see docs/documents.md for each kind; e.g.
    ``applicant_name``, ``item_name``, ``application_number``, ``submitted_on``, ``verify_url``);
    ``organisation``, ``title``, ``number`` and ``issued_on`` are filled in here. ``related`` is
    (type, id), e.g. ``("application", "330106202611270001")``. ``scope_path`` defaults to the
    issuing organisation's path (who may read it: its staff and those above; and the recipient).
    ``title`` replaces the kind's title where the same kind has a more exact name (a decision to
    change or to cancel a licence is 准予变更行政许可决定书 / 注销行政许可决定书, not 准予行政许可).
    ``template`` is the calling app's template for a kind whose body it owns (the 绩效通报: the
    indicators app's ``indicators/report.html``); it gets the same fields (``number``, ``title``,
    ``organisation_name``, ``issued_on``) and marks where the seal goes with ``id="seal"``.

    A kind issued once per related object (``models.ONCE_PER_SUBJECT``) refuses a second current
    one (a withdrawn one does not count) with 409 ``documents.already_issued``; the database's constraint backs the check against a
    concurrent issuer, whose transaction then fails on it.

    The number is taken inside the transaction that stores the document, so a failure anywhere
    (bad context, sealing, storage) uses no number.
    """
    if kind not in KINDS:
        raise ServiceError("documents.bad_kind", f"不支持的文书种类：{str(kind)[:40]}")
    if not isinstance(context, dict):
        raise ServiceError("documents.bad_context", "文书内容必须是字典")
    _check_context(kind, context)
    spec = KINDS[kind]
    template = template or spec.template
    if not template:
        raise ServiceError("documents.no_template", f"{DocumentKind(kind).label}需要由出具它的模块提供模板")
    issued_on = issued_on or timezone.localdate()
    title = (title or "").strip()[:100] or DocumentKind(kind).label
    related_type, related_id = related or ("", "")
    full_context = {
        "review_body": "作出本决定的行政机关的本级人民政府",
        "court": "有管辖权的人民法院",
        "review_channels": list(DEFAULT_REVIEW_CHANNELS),
        **context,
        "title": title,
        "organisation_name": organisation.name,
        "issued_on": issued_on,
    }
    try:
        with transaction.atomic():
            if kind in ONCE_PER_SUBJECT and related and _already_issued(organisation, kind, related):
                raise _already(kind)
            document_code = ensure_document_code(organisation)
            sequence = next_sequence(organisation, kind, issued_on.year)
            number = format_number(document_code, kind, issued_on.year, sequence)
            pdf = render_pdf(template, {**full_context, "number": number})
            sealed = seal_pdf(pdf, organisation, reason=spec.reason, location=organisation.name)
            document = Document(
                kind=kind,
                title=title,
                number=number,
                year=issued_on.year,
                sequence=sequence,
                organisation=organisation,
                recipient=recipient,
                related_type=str(related_type)[:50],
                related_id=str(related_id)[:64],
                size=len(sealed.pdf),
                sm3=sealed.sm3_hex,
                sm2_signature=sealed.sm2_signature_der,
                sm2_key_id=sealed.sm2_key_id,
                seal_certificate_serial=sealed.certificate_serial,
                scope_path=scope_path or organisation.path,
            )
            # The file is written before the row commits: a committed document always has its file.
            # If the transaction rolls back, an unreferenced file may remain; it is never served.
            document.storage_key = default_storage.save(
                _storage_key(str(document.public_id), organisation.pk, issued_on.year),
                ContentFile(sealed.pdf),
            )
            document.save()
            record(
                "documents.issue",
                actor=actor,
                organisation=organisation,
                subject=document,
                scope_path=document.scope_path,
                detail={
                    "kind": kind,
                    "number": number,
                    "sm3": sealed.sm3_hex,
                    "key_id": sealed.sm2_key_id,
                    "related": f"{related_type}:{related_id}" if related else "",
                },
            )
    except IntegrityError:
        # a concurrent issuer of the same once-per-subject document committed first
        if kind in ONCE_PER_SUBJECT and related and _already_issued(organisation, kind, related):
            raise _already(kind) from None
        raise
    return document
