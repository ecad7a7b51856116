"""``sifa partner-sim --as KIND send …``: the partner sends a signed request or notice to Sifa's
inbox and checks Sifa's signed answer with the same rules as everything it receives.

* ``lawyer-status --licence N`` (法院): 律师执业状态查询, Sifa's ``lawyer.status``;
* ``legal-aid-notify`` (法院/检察院/公安): 通知辩护, Sifa's ``legal-aid.notify``.
"""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

from sifa.exchange.envelope import Envelope, EnvelopeError, now_timestamp
from sifa.exchange.simulator.protocol import open_from_sifa, refuse
from sifa.exchange.simulator.server import Simulator

SERVICES = {
    "lawyer-status": ("lawyer.status", "法院核实律师执业证是否有效"),
    "legal-aid-notify": ("legal-aid.notify", "通知法律援助机构指派律师"),
}


def send(
    sim: Simulator,
    inbox_url: str,
    what: str,
    body: dict[str, Any],
    *,
    receiver: str,
    issue: str = "",
    official: str = "",
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Seal, POST, check the answer; return ``{"request": …, "status": …, "answer": …}``."""
    from sifa.exchange.services.envelopes import seal

    code, purpose = SERVICES[what]
    envelope = seal(
        {
            "kind": "request",
            "issue": issue,
            "purpose": purpose,
            "service": {"code": code, "version": "1"},
            "sender": sim.partner.uscc,
            "receiver": receiver,
            "user_id": {"official": official or f"{sim.kind}-exchange", "organisation": sim.partner.name},
        },
        body,
        signer=sim.signer,
    )
    header = json.loads(envelope.header_bytes)
    wire = json.dumps(envelope.as_wire(), ensure_ascii=False)
    sim.store.record_sent(header["message_id"], receiver, code, wire, now_timestamp())
    parts = urlsplit(inbox_url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = cls(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request(
            "POST", parts.path or "/", body=wire.encode("utf-8"), headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        status, payload = response.status, response.read()
    finally:
        connection.close()
    try:
        data = json.loads(payload)
    except ValueError:
        data = {"raw": payload[:200].decode("utf-8", "replace")}
    result: dict[str, Any] = {"request": header["message_id"], "status": status}
    if status != 200:
        result["refused"] = data
        return result
    answer = Envelope.from_wire(data)
    answer_header = json.loads(answer.header_bytes)
    if answer_header.get("correlation_id") != header["message_id"]:
        raise refuse("exchange.unknown_correlation", "司法行政平台的答复不是对本消息的答复")
    try:
        opened = open_from_sifa(answer, keys=sim.keys, own_uscc=sim.partner.uscc, store=sim.store)
    except EnvelopeError:
        raise
    sim.store.record_answer(header["message_id"], json.dumps(data, ensure_ascii=False))
    result.update(verified=True, answer_id=opened.header["message_id"], answer=opened.body)
    return result
