"""Synchronous queries to a partner: ask and wait for the signed answer (docs/exchange.md,
"Synchronous queries").

The outbox (:mod:`sifa.exchange.services.outbox`) is for messages that must arrive however long it
takes. A *query* is different: someone is waiting for the answer now (the applicant's draft asks
the police whether the applicant's identity matches), and when the partner cannot answer within a
few seconds the caller does something else (asks the applicant to upload the document). So
:func:`ask` does not queue and does not retry:

1. it finds the service the partner offers (:class:`~sifa.exchange.models.PartnerService`) and the
   partner's address in the allow-list (``exchange.no_endpoint`` otherwise);
2. it seals the request with Sifa's key (``exchange.signing_unavailable`` when it cannot: nothing
   is sent unsigned) and appends it to the message log (outbound, in the caller's transaction);
3. it posts it through :class:`~sifa.exchange.http_transport.HttpTransport` with the caller's
   timeout, which opens the partner's signed answer with the gateway's checks and logs it.

Every failure is a :class:`~sifa.core.errors.ServiceError` with a stable code: the transport's
``exchange.partner_unreachable``, ``exchange.partner_timeout``, ``exchange.partner_refused``,
``exchange.bad_answer``, ``exchange.endpoint_not_allowed``, and ``exchange.no_endpoint``,
``exchange.signing_unavailable``, ``exchange.no_service``, ``exchange.no_uscc`` from here.
:attr:`QueryFailed.sent` says whether the request left (it was signed and handed to the transport),
so the caller knows whether the person's data may have been disclosed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sifa.core.errors import ServiceError
from sifa.exchange.envelope import parse_timestamp
from sifa.exchange.http_transport import HttpTransport
from sifa.exchange.models import Direction, MessageStatus, Partner, PartnerService
from sifa.exchange.services import envelopes, log
from sifa.exchange.services.partners import endpoint_for
from sifa.organisations.models import Organisation


@dataclass(frozen=True)
class Answer:
    """The partner's signed answer to a query."""

    request_id: str
    """The message id of the request (the message that carried the person's data)."""
    answer_id: str
    """The message id of the partner's answer (the provenance a material keeps)."""
    answered_at: dt.datetime
    """The answer's signed timestamp."""
    body: dict[str, Any]
    partner: Partner
    service: PartnerService


class QueryFailed(ServiceError):
    """The partner gave no usable answer. ``cause`` is the original error (its ``code`` is kept);
    ``sent`` is True when the signed request was handed to the transport (it may have arrived);
    ``request_id`` is then its message id."""

    def __init__(self, cause: ServiceError, *, sent: bool, request_id: str = "") -> None:
        super().__init__(cause.code, cause.message, status=getattr(cause, "status", 503))
        self.cause = cause
        self.sent = sent
        self.request_id = request_id


def service_of(partner: Partner, code: str, version: str = "1") -> PartnerService:
    service = PartnerService.objects.filter(provider=partner, code=code, version=version).first()
    if service is None:
        raise ServiceError("exchange.no_service", f"{partner.name} 未登记服务 {code} v{version}", status=503)
    return service


def offering(code: str, *, kind: str, version: str = "1") -> PartnerService | None:
    """The active partner of ``kind`` that offers ``code`` (the first registered, when several do)."""
    return (
        PartnerService.objects.filter(
            code=code, version=version, provider__kind=kind, provider__is_active=True
        )
        .select_related("provider")
        .order_by("provider_id")
        .first()
    )


def ask(
    *,
    organisation: Organisation,
    partner: Partner,
    service: tuple[str, str],
    body: dict[str, Any],
    official: str,
    issue: str = "",
    purpose: str = "",
    timeout: float,
    transport: HttpTransport | None = None,
) -> Answer:
    """Send one request to ``partner`` and return its opened answer, or raise :class:`QueryFailed`.

    ``purpose`` defaults to the service's registered purpose. The request is logged in the
    caller's transaction (and the answer with it)."""
    request_id = ""
    sent = False
    try:
        offered = service_of(partner, service[0], service[1])
        endpoint = endpoint_for(partner)
        if not organisation.uscc:
            raise ServiceError(
                "exchange.no_uscc", f"{organisation.name} 没有统一社会信用代码，不能发送交换消息", status=503
            )
        request_id = str(uuid.uuid4())
        header = {
            "message_id": request_id,
            "correlation_id": None,
            "kind": "request",
            "issue": issue,
            "purpose": purpose or offered.purpose,
            "service": {"code": service[0], "version": service[1]},
            "sender": organisation.uscc,
            "receiver": partner.uscc,
            "user_id": {"official": official, "organisation": organisation.name},
        }
        envelope = envelopes.seal(header, body)
        log.append(
            envelope,
            json.loads(envelope.header_bytes),
            body,
            direction=Direction.OUTBOUND,
            status=MessageStatus.SENT,
            partner=partner,
            scope_path=organisation.path,
        )
        sent = True
        delivered = (transport or HttpTransport()).deliver(endpoint, envelope, timeout=timeout)
    except ServiceError as error:
        raise QueryFailed(error, sent=sent, request_id=request_id if sent else "") from error
    return Answer(
        request_id=request_id,
        answer_id=str(delivered.header["message_id"]),
        answered_at=parse_timestamp(delivered.header["timestamp"]),
        body=delivered.body,
        partner=partner,
        service=offered,
    )
