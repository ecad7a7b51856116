"""Read queries for documents, always through the caller's data scope; and a document's stored file.

A 通报 (``models.CIRCULATED_KINDS``) is addressed to the organisations below its issuer: staff of
any organisation in the issuer's subtree read it (``circulated_q``: its ``scope_path`` is one of the
ancestors-or-self of the reader's organisations — in SQL, never a per-row check); nobody outside.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet

from sifa.core.errors import NotFound
from sifa.documents.models import CIRCULATED_KINDS, Document
from sifa.organisations.scope import Actor, actor_for, scoped


def ancestors_or_self(paths: tuple[str, ...]) -> list[str]:
    """Every path from the root down to each of ``paths`` (``/1/12/345/`` → ``/1/``, ``/1/12/``,
    ``/1/12/345/``): the organisations whose subtree holds one of them."""
    found: set[str] = set()
    for path in paths:
        parts = [p for p in path.split("/") if p]
        found.update("/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    return sorted(found)


def circulated_q(actor: Actor) -> Q:
    """The circulated documents (a 通报) that reach ``actor``'s organisations: issued by one of them
    or by an organisation above one of them — in SQL, an ``IN`` over the few ancestor paths."""
    if not actor.is_staff_actor:
        return Q(pk__in=[])
    return Q(kind__in=CIRCULATED_KINDS, scope_path__in=ancestors_or_self(actor.paths_for()))


def visible(queryset: QuerySet[Document], actor: Actor, also: Q | None = None) -> QuerySet[Document]:
    """``queryset`` narrowed to what ``actor`` may read: the data scope (staff: their subtrees;
    others: documents addressed to them), plus the 通报 of the organisations above a staff member's,
    plus ``also`` — a predicate of the app that owns the documents' subject (the workflow's
    documents of the cases the actor sees, ``workflow.selectors.case_documents_q``), still SQL."""
    if actor.user_id is None:
        return queryset.none()
    if actor.is_superuser:
        return queryset
    own = scoped(Document.objects.all(), actor).values("pk")
    predicate = Q(pk__in=own) | circulated_q(actor)
    if also is not None:
        predicate |= also
    return queryset.filter(predicate)


def documents_for(user: Any, also: Q | None = None) -> QuerySet[Document]:
    """Documents ``user`` may see: staff within their organisations' subtrees (and the 通报 of the
    organisations above theirs, which are addressed to them), others their own; and ``also`` (see
    :func:`visible`)."""
    return visible(Document.objects.select_related("organisation"), actor_for(user), also)


def circulated_from_above(actor: Actor, limit: int = 5) -> list[Document]:
    """The latest 通报 issued by the organisations above the actor's own (上级通报 on the worklist,
    for every member of staff), newest first; withdrawn ones included (marked)."""
    if not actor.is_staff_actor:
        return []
    own = set(actor.paths_for())
    above = [p for p in ancestors_or_self(tuple(own)) if p not in own]
    if not above:
        return []
    rows = Document.objects.filter(kind__in=CIRCULATED_KINDS, scope_path__in=above)
    return list(rows.select_related("organisation").order_by("-created_at", "-id")[:limit])


def circulated_to(actor: Actor, organisation: Any, limit: int = 12) -> list[Document]:
    """The 上级通报 of ``organisation``: the 通报 issued by the organisations above it (not by itself),
    newest first, withdrawn ones included (marked), as far as ``actor`` may read them."""
    above = [p for p in ancestors_or_self((organisation.path,)) if p != organisation.path]
    if not above:
        return []
    rows = Document.objects.filter(kind__in=CIRCULATED_KINDS, scope_path__in=above).select_related(
        "organisation"
    )
    return list(visible(rows, actor).order_by("-created_at", "-id")[:limit])


def document_for(user: Any, public_id: str, also: Q | None = None) -> Document:
    """One visible document by its public id; out of scope reads as not found (404)."""
    try:
        return documents_for(user, also).get(public_id=uuid.UUID(str(public_id)))
    except (Document.DoesNotExist, ValueError):
        raise NotFound("未找到该文书", code="documents.not_found") from None


def issued_for(actor: Actor, organisation: Any, kind: str, related: tuple[str, str]) -> Document | None:
    """The current (not withdrawn) document of ``kind`` that ``organisation`` issued about
    ``related`` (type, id) — e.g. its 绩效通报 of a month — if it did and ``actor`` may see it; else
    ``None``."""
    related_type, related_id = related
    rows = Document.objects.filter(
        organisation=organisation,
        kind=kind,
        related_type=related_type,
        related_id=related_id,
        withdrawn_at__isnull=True,
    ).select_related("organisation")
    return scoped(rows, actor).first()


def withdrawn_for(actor: Actor, organisation: Any, kind: str, related: tuple[str, str]) -> list[Document]:
    """The withdrawn (已撤销) documents of ``kind`` that ``organisation`` issued about ``related``,
    newest first, as far as ``actor`` may see them."""
    related_type, related_id = related
    rows = Document.objects.filter(
        organisation=organisation,
        kind=kind,
        related_type=related_type,
        related_id=related_id,
        withdrawn_at__isnull=False,
    ).select_related("organisation", "withdrawn_by")
    return list(scoped(rows, actor).order_by("-withdrawn_at", "-id"))


def read_pdf(document: Document) -> bytes:
    """The stored sealed PDF of ``document``."""
    with default_storage.open(document.storage_key, "rb") as handle:
        return handle.read()
