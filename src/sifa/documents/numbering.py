"""Document numbers (发文字号, GB/T 9704-2012 §7.2.5): ``浙司许〔2026〕1号``.

``<机关代字><kind word>〔<year>〕<sequence>号``: the issuing organisation's own 代字
(``Organisation.document_code``, e.g. 浙司 for 浙江省司法厅, 杭司 for 杭州市司法局; see
:mod:`sifa.organisations.services.document_codes`), the kind word of the document (许, 受, 补 …), the full
year in 六角括号, and the sequence in Arabic numerals without 第 and without leading zeros (1,
not 0001). Codes are unique per organisation, so no two organisations issue the same number;
numbers count per organisation, kind and year.

The counter that hands out the sequence is a write, in ``sifa.documents.services.numbering``.
"""

from __future__ import annotations

from sifa.documents.models import DocumentKind

KIND_WORDS: dict[str, str] = {
    DocumentKind.ACCEPTANCE_NOTICE: "受",
    DocumentKind.REFUSAL_NOTICE: "不受",
    DocumentKind.CORRECTION_NOTICE: "补",
    DocumentKind.APPROVAL_DECISION: "许",
    DocumentKind.DENIAL_DECISION: "不许",
    DocumentKind.LEGAL_AID_DENIAL: "援不",
    DocumentKind.OBJECTION_DECISION: "援异",
    DocumentKind.MEDIATION_AGREEMENT: "调",
    DocumentKind.MEDIATION_TERMINATION: "调终",
    DocumentKind.PERFORMANCE_REPORT: "通",
}
"""The second layer of the 代字 (GB/T 9704 leaves it to the organ): one word per document kind,
taken from the document's title (受理, 不予受理, 补正, 准予许可, 不予许可; 不予法律援助, 法律援助异议,
人民调解协议, 调解终止; 通报)."""


def format_number(document_code: str, kind: str, year: int, sequence: int) -> str:
    """``format_number("浙司", "approval_decision", 2026, 1)`` → ``浙司许〔2026〕1号``."""
    if not document_code or sequence < 1:
        raise ValueError("a document number needs a 机关代字 and a sequence from 1")
    return f"{document_code}{KIND_WORDS[kind]}〔{year}〕{sequence}号"
