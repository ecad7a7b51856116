"""What the 人民调解协议书 and the 调解终止记录 say, read from the concluded mediation.

The workflow's document job (``sifa.workflow.services.casedocs``) calls these when it renders the owed
document, so the letter always shows what was recorded — the parties (§29(1)), the facts and
terms (§29(2)–(3)), the mediators, the §33 confirmation date, or the reason and remedies (§26).
"""

from __future__ import annotations

from typing import Any

from sifa.mediation.models import MediationCase
from sifa.mediation.services import REMEDIES


def parties(case: MediationCase) -> list[str]:
    form = case.application.form_data or {}
    rows = []
    for label, key in (("申请人", "applicant_name"), ("对方当事人", "other_party")):
        value = form.get(key)
        if isinstance(value, str) and value.strip():
            rows.append(f"{label}：{value.strip()[:100]}")
    return rows


def _common(case: MediationCase) -> dict[str, Any]:
    application = case.application
    return {
        "item_name": application.version.item.name,
        "application_number": application.number,
        "committee_name": case.committee.name if case.committee else "",
        "parties": parties(case),
        "mediators": [m.name for m in case.mediators.order_by("name", "id")],
    }


def agreement_context(case: MediationCase) -> dict[str, Any]:
    return {
        **_common(case),
        "facts": case.facts,
        "terms": list(case.terms),
        "effective_on": case.effective_on,
        # Without the calendar of its year the day may still move: the letter then states the
        # 30 days only; a day on the provisional calendar is printed with its 暂定 note.
        "confirmation_due": case.confirmation_due if case.confirmation_due_exact else None,
        "confirmation_provisional": case.confirmation_due_provisional,
    }


def termination_context(case: MediationCase) -> dict[str, Any]:
    form = case.application.form_data or {}
    return {
        **_common(case),
        "dispute": str(form.get("dispute") or "").strip()[:2000],
        "reason": case.termination_reason,
        "remedies": list(REMEDIES),
        "terminated_on": case.concluded_on,
        "sessions_held": case.sessions.count(),
    }
