"""撤销 a wrong document (a 绩效通报): marked 已撤销 with the reason, who and when — never deleted.

The file, its number, seal and signatures stay as issued (anyone holding the PDF can still check
that it is authentic); the row says it is no longer in force, and every reader (the document API,
the 通报 links) shows so. A withdrawn document no longer counts as the one issued for its related
object, so a corrected one can be issued with the next number (``models.ONCE_PER_SUBJECT``).
Who may withdraw is the calling app's rule (the 通报: ``sifa.indicators.services.withdraw_report``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.audit.services import record
from sifa.core.errors import Conflict, ServiceError
from sifa.documents.models import WITHDRAWABLE_KINDS, Document, DocumentKind

REASON_MIN, REASON_MAX = 5, 500


def check_reason(reason: Any) -> str:
    text = str(reason or "").strip()
    if not REASON_MIN <= len(text) <= REASON_MAX:
        raise ServiceError(
            "documents.withdrawal_reason",
            f"请写明撤销理由（{REASON_MIN}至{REASON_MAX}字）",
            errors=[
                {
                    "field": "reason",
                    "code": "documents.withdrawal_reason",
                    "message": f"请写明撤销理由（{REASON_MIN}至{REASON_MAX}字）",
                }
            ],
        )
    return text


def withdraw_document(document: Document, *, actor: Any, reason: str) -> Document:
    """Mark ``document`` 已撤销 (audited as ``documents.withdraw``); 409 when it is already."""
    text = check_reason(reason)
    if document.kind not in WITHDRAWABLE_KINDS:
        raise ServiceError(
            "documents.not_withdrawable", f"{DocumentKind(document.kind).label}不能撤销", status=409
        )
    with transaction.atomic():
        row = Document.objects.select_for_update().get(pk=document.pk)
        if row.withdrawn_at is not None:
            raise Conflict("documents.already_withdrawn", f"{row.number}已于此前撤销")
        row.withdrawn_at = timezone.now()
        row.withdrawn_by = actor
        row.withdrawal_reason = text
        row.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        record(
            "documents.withdraw",
            actor=actor,
            organisation=row.organisation,
            subject=row,
            scope_path=row.scope_path,
            detail={"kind": row.kind, "number": row.number, "reason": text},
        )
    return row


def record_read(document: Document, *, reader: Any) -> None:
    """A staff read of a circulated document (a 通报) goes into the audit trail
    (``documents.read``), as the issuer's reads and every reader below it are then on record."""
    record(
        "documents.read",
        actor=reader,
        subject=document,
        scope_path=document.scope_path,
        detail={"kind": document.kind, "number": document.number},
    )
