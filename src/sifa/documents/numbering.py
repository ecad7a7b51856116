"""Document numbers (发文字号, GB/T 9704 §7.2.4): ``浙司许字〔2026〕第0001号``.

``<province short name>司<kind word>字〔<year>〕第<sequence, 4+ digits>号``. The province short
name comes from the first two digits of the issuing organisation's region code (GB/T 2260); the
ministry, with no region, writes ``部司许字…``. Numbers count per organisation, kind and year, so
the same number can exist at two organisations — a document is identified by its issuing
organisation together with its number, as on paper.

The counter is incremented with one conditional ``UPDATE … SET last_number = last_number + 1``
inside the caller's transaction: the row lock serialises concurrent issuers (PostgreSQL), SQLite
serialises writers anyway (IMMEDIATE transactions), and a rolled-back document gives its number
back, so numbers have no gaps.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F

from sifa.documents.models import DocumentKind, DocumentNumberSequence

KIND_WORDS: dict[str, str] = {
    DocumentKind.ACCEPTANCE_NOTICE: "受",
    DocumentKind.REFUSAL_NOTICE: "不受",
    DocumentKind.CORRECTION_NOTICE: "补",
    DocumentKind.APPROVAL_DECISION: "许",
    DocumentKind.DENIAL_DECISION: "不许",
}

PROVINCE_SHORT_NAMES: dict[str, str] = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
    "53": "滇", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新", "71": "台",
    "81": "港", "82": "澳",
}  # fmt: skip
"""省级行政区简称 (GB/T 2260 codes → the one-character short names used in 文号)."""
MINISTRY_PREFIX = "部"


def province_short_name(organisation: Any) -> str:
    """The short name of the organisation's province, or ``部`` for an organisation without a
    region (the ministry). Walks up the parents when the organisation itself has no region."""
    node = organisation
    while node is not None:
        region_id = getattr(node, "region_id", None)
        if region_id:
            return PROVINCE_SHORT_NAMES.get(str(region_id)[:2], MINISTRY_PREFIX)
        node = node.parent if getattr(node, "parent_id", None) else None
    return MINISTRY_PREFIX


def format_number(prefix: str, kind: str, year: int, sequence: int) -> str:
    """``format_number("浙", "approval_decision", 2026, 1)`` → ``浙司许字〔2026〕第0001号``."""
    return f"{prefix}司{KIND_WORDS[kind]}字〔{year}〕第{sequence:04d}号"


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
