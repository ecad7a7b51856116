"""What each simulated partner answers: realistic, deterministic demo data (docs/exchange.md).

* 公安 ``identity.verify``: a valid 公民身份号码 (GB 11643 check digit, birth date, address code)
  matches the name given unless its 顺序码 (digits 15–17) is 990–999 — those numbers are registered
  to someone else. An invalid number is refused (``partner.id_number_invalid``).
* 公安 ``criminal-record.check``: the numbers in :data:`CRIMINAL_RECORDS` have a record; every other
  valid number has none.
* 法院 ``judicial-confirmation.refer``: acknowledged with a 司法确认 case number derived from the
  message id.
* 法院/检察院/公安 ``legal-aid.assignment``: Sifa's 指派律师通知 (法律援助法 §36, the reply to
  their 通知辩护) is acknowledged ``{"status": "received"}`` once it names the lawyer.
* Any partner: a response or receipt from Sifa to a message the partner sent gets a receipt.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from sifa.core.identifiers import IdentifierError, id_number_check_digit, parse_id_number
from sifa.exchange.simulator.protocol import refuse
from sifa.exchange.simulator.store import Store


def _with_check(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


CRIMINAL_RECORDS = frozenset(
    _with_check(first17) for first17 in ("33010619700101001", "33010219820315002", "11010519900707003")
)
"""Demo ID numbers with a criminal record (the rest of the valid numbers have none)."""

MISMATCH_SEQUENCES = range(990, 1000)

SERVICES = {
    "police": ("identity.verify", "criminal-record.check", "legal-aid.assignment"),
    "court": ("judicial-confirmation.refer", "legal-aid.assignment"),
    "procuratorate": ("legal-aid.assignment",),
}


def _id_number(body: dict[str, Any]) -> str:
    name, number = body.get("name"), body.get("id_number")
    if not isinstance(name, str) or not name.strip() or not isinstance(number, str):
        raise refuse("exchange.schema", "正文应为 {name, id_number}")
    try:
        return parse_id_number(number, today=_today()).value
    except IdentifierError as error:
        raise refuse("partner.id_number_invalid", f"公民身份号码无效：{error.message}") from None


def _today() -> dt.date:
    """Today in the platform's time zone, what ``parse_id_number`` reads by default
    (``timezone.localdate()``): the simulator never activates a zone of its own, so it is
    ``TIME_ZONE``'s, without ``localdate``'s per-call look-up of the active zone
    (docs/performance.md, session 15)."""
    return dt.datetime.now(timezone.get_default_timezone()).date()


SHANGHAI = ZoneInfo("Asia/Shanghai")
"""The court's own time: a 案号's year is the year in China when the case is registered."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def court_year(now: dt.datetime | None = None) -> int:
    """The year of a 案号 the court gives now (Beijing time: 1 January begins 8 hours before UTC's)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(SHANGHAI).year


def answer_body(kind: str, header: dict[str, Any], body: dict[str, Any], store: Store) -> dict[str, Any]:
    """The body of the answer to an accepted message, or an EnvelopeError refusing it."""
    service = header["service"]["code"]
    if header["kind"] != "request":
        if not store.was_sent_to(header["correlation_id"], header["sender"]):
            raise refuse("exchange.unknown_correlation", "所答复的消息不是本单位发给对方的消息")
        return {"status": "received", "message": "已接收"}
    if service not in SERVICES[kind] or header["service"]["version"] != "1":
        raise refuse(
            "exchange.unknown_service", f"本单位未提供服务 {service} v{header['service']['version']}"
        )
    if service == "identity.verify":
        number = _id_number(body)
        return {"match": int(number[14:17]) not in MISMATCH_SEQUENCES, "checked_at": _now()}
    if service == "criminal-record.check":
        number = _id_number(body)
        return {"has_record": number in CRIMINAL_RECORDS, "checked_at": _now()}
    if service == "legal-aid.assignment":
        lawyer = body.get("lawyer")
        if not isinstance(lawyer, dict) or not all(
            isinstance(lawyer.get(k), str) and lawyer.get(k) for k in ("name", "licence_number")
        ):
            raise refuse("exchange.schema", "指派律师通知应写明律师姓名和执业证号")
        return {
            "status": "received",
            "message": f"已收到指派律师{lawyer['name']}担任辩护人的通知（案号 {body.get('case_number', '')}）",
            "acknowledged_at": _now(),
        }
    # judicial-confirmation.refer
    year = court_year()
    serial = int(header["message_id"].replace("-", "")[:6], 16) % 9000 + 1000
    return {
        "status": "received",
        "message": "已收到司法确认申请，将在受理后十五日内作出确认",
        "court_case_number": f"({year})浙01民特{serial}号",
        "acknowledged_at": _now(),
    }
