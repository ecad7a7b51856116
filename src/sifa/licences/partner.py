"""The licences' answer on the exchange: 律师执业状态查询 (``lawyer.status``), asked by a court.

A court asks whether a lawyer's licence is valid (律师法 §24 ff.: a lawyer whose practice is
suspended or whose licence is revoked may not act as defender or agent). The handler
(``exchange.handlers``, registered in ``LicencesConfig.ready``) reads the licence **live** by its
执业证号 and answers only what the purpose needs — status, holder name, law firm, the validity and
a suspension's end — never the holder's ID number. The query is a row of the lawyer's data tracker
(我的数据使用记录: ``audit.services.record_disclosure``, a partner query, public to the holder):

``{"status": "valid"|"suspended"|"revoked"|"cancelled"|"expired"|"not_found", "licence_number",
"holder_name", "law_firm", "valid_until"?, "suspended_until"?, "checked_at"}``

``expired`` is computed from ``valid_until`` (a 律师执业证 is issued 长期, so it does not occur for
licences issued here; an imported one may carry an end date).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sifa.audit.models import AccessKind
from sifa.audit.services import record_disclosure
from sifa.exchange.models import PartnerService
from sifa.exchange.services.envelopes import Opened
from sifa.licences.selectors import law_firm_of, lawyer_licence_by_number
from sifa.organisations.models import Organisation

STATUSES = ("valid", "suspended", "revoked", "cancelled", "expired", "not_found")


def answer_lawyer_status(opened: Opened, organisation: Organisation | None) -> dict[str, Any]:
    number = str(opened.body.get("licence_number", "")).strip()
    now = timezone.now()
    checked_at = now.astimezone(timezone.get_current_timezone()).isoformat(timespec="seconds")
    licence = lawyer_licence_by_number(number)
    if licence is None:
        return {"status": "not_found", "licence_number": number, "checked_at": checked_at}
    status = licence.effective_status(timezone.localdate(now))
    answer: dict[str, Any] = {
        "status": status,
        "licence_number": licence.number,
        "holder_name": licence.holder_name,
        "law_firm": law_firm_of(licence),
        "checked_at": checked_at,
    }
    if licence.valid_until:
        answer["valid_until"] = licence.valid_until.isoformat()
    if status == "suspended" and licence.suspended_until:
        answer["suspended_until"] = licence.suspended_until.isoformat()
    _track(opened, organisation, licence)
    return answer


def _track(opened: Opened, organisation: Organisation | None, licence: Any) -> None:
    """The lawyer's data tracker: a row for the court's query (in the answer's transaction)."""
    header = opened.header
    service = PartnerService.objects.filter(
        provider__isnull=True, code=header["service"]["code"], version=header["service"]["version"]
    ).first()
    record_disclosure(
        subject=licence.holder,
        subject_ref=licence.identifier,
        object_type="licences.Licence",
        receiver=opened.partner.name,
        purpose=header["purpose"] or "法院核实律师执业证是否有效",
        legal_basis=(service.legal_basis if service else "") or "《律师法》第二十四条；《律师执业管理办法》",
        organisation=organisation,
        scope_path=licence.scope_path,
        case_number=header["issue"],
        message_id=header["message_id"],
        kind=AccessKind.PARTNER_QUERY,
    )
