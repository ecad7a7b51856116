"""What an accepted inbound request *does*: one handler per service Sifa offers.

The inbox (``services.inbox``) opens a partner's envelope, then asks :data:`handlers` for the
service's code (``header["service"]["code"]``). A handler runs **inside the transaction that logs
the answer**, so what it writes (a legal-aid case, an access-log row) commits exactly when the
signed answer is logged, and a duplicate message — answered from the log with its first answer —
never runs it twice.

The app that owns the use case registers its handler in its ``AppConfig.ready``::

    from sifa.exchange.handlers import handlers
    handlers.register("lawyer.status", answer_lawyer_status)

A handler returns the body of Sifa's signed answer (it must match the service's response JSON
Schema). It may raise :class:`~sifa.core.errors.ServiceError` for a request it refuses on its
merits (an unknown licence number, a notice for a centre Sifa does not have): the answer is then a
signed ``{"status": "refused", "code", "message"}``, logged like any other, and the partner reads
the reason. A service without a handler is acknowledged with :data:`ACCEPTED`.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import transaction

from sifa.core.errors import ServiceError
from sifa.core.registry import Registry
from sifa.exchange.services.envelopes import Opened
from sifa.organisations.models import Organisation

ACCEPTED: dict[str, Any] = {"status": "accepted", "message": "已接收"}
"""The answer to a request whose service has no handler: receipt acknowledged, nothing done yet."""


class InboundHandler(Protocol):
    def __call__(self, opened: Opened, organisation: Organisation | None) -> dict[str, Any]:
        """The body of the answer to ``opened`` (a request addressed to ``organisation``)."""


handlers: Registry[InboundHandler] = Registry("exchange.handlers", "交换服务处理")


def answer_body(opened: Opened, organisation: Organisation | None) -> dict[str, Any]:
    """The handler's answer for an accepted request, a signed refusal for a ServiceError, and
    :data:`ACCEPTED` for a service without a handler (and for responses and receipts)."""
    if opened.header["kind"] != "request":
        return dict(ACCEPTED)
    code = opened.header["service"]["code"]
    if code not in handlers.names():
        return dict(ACCEPTED)
    try:
        with transaction.atomic():  # a refused request leaves none of its handler's writes
            return handlers.get(code)(opened, organisation)
    except ServiceError as error:
        return {"status": "refused", "code": error.code, "message": error.message}
