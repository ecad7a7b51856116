"""Read queries for documents, always through the caller's data scope; and a document's stored file."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet

from sifa.core.errors import NotFound
from sifa.documents.models import Document
from sifa.organisations.scope import Actor, actor_for, scoped


def documents_for(user: Any) -> QuerySet[Document]:
    """Documents ``user`` may see: staff within their organisations' subtrees, others their own."""
    return scoped(Document.objects.select_related("organisation"), actor_for(user))


def document_for(user: Any, public_id: str) -> Document:
    """One visible document by its public id; out of scope reads as not found (404)."""
    try:
        return documents_for(user).get(public_id=uuid.UUID(str(public_id)))
    except (Document.DoesNotExist, ValueError):
        raise NotFound("未找到该文书", code="documents.not_found") from None


def issued_for(actor: Actor, organisation: Any, kind: str, related: tuple[str, str]) -> Document | None:
    """The document of ``kind`` that ``organisation`` issued about ``related`` (type, id) — e.g.
    its 绩效通报 of a month — if it did and ``actor`` may see it; else ``None``."""
    related_type, related_id = related
    rows = Document.objects.filter(
        organisation=organisation, kind=kind, related_type=related_type, related_id=related_id
    ).select_related("organisation")
    return scoped(rows, actor).first()


def read_pdf(document: Document) -> bytes:
    """The stored sealed PDF of ``document``."""
    with default_storage.open(document.storage_key, "rb") as handle:
        return handle.read()
