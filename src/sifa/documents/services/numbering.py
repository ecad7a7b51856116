"""The counter behind document numbers (发文字号, see ``sifa.documents.numbering`` for their form).

The counter is incremented with one conditional ``UPDATE … SET last_number = last_number + 1``
inside the caller's transaction: the row lock serialises concurrent issuers (PostgreSQL), SQLite
serialises writers anyway (IMMEDIATE transactions), and a rolled-back document gives its number
back, so numbers have no gaps. It is part of ``issue_document``, whose audit event names the number.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from sifa.documents.models import DocumentNumberSequence
from sifa.documents.numbering import KIND_WORDS


def next_sequence(organisation: Any, kind: str, year: int) -> int:
    """Take the next number of (organisation, kind, year); must run inside the caller's
    transaction, so the number is only used if the document is."""
    if kind not in KIND_WORDS:
        raise ValueError(f"unknown document kind {kind!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_sequence must run inside transaction.atomic()")
    sequence, _created = DocumentNumberSequence.objects.get_or_create(
        organisation=organisation, kind=kind, year=year
    )
    DocumentNumberSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
    sequence.refresh_from_db(fields=["last_number"])
    return sequence.last_number
