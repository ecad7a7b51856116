"""The seam between the outbox relay and the wire: how a sealed envelope travels to a partner.

The outbox relay (:mod:`sifa.exchange.services.outbox`: retries with back-off for 24 h, alerts,
dead letters) sends through a :class:`Transport`; :class:`sifa.exchange.http_transport.HttpTransport`
is the one over HTTP. The gateway core only seals, opens and logs. The
address always comes from :func:`sifa.exchange.services.partners.endpoint_for` (the configured
allow-list), never from a message or a request.
"""

from __future__ import annotations

from typing import Protocol

from sifa.exchange.envelope import Envelope


class TransportError(Exception):
    """The envelope may not have arrived (timeout, connection reset, 5xx): the relay retries it.
    Its message id makes the retry safe: the partner answers a duplicate with its first answer."""


class Transport(Protocol):
    def send(self, endpoint: str, envelope: Envelope, *, timeout: float) -> Envelope:
        """Deliver ``envelope`` to ``endpoint`` and return the partner's signed answer. The relay
        opens it with :func:`sifa.exchange.services.open`, unless the transport also has
        ``deliver`` (the :class:`~sifa.exchange.http_transport.HttpTransport`), which opens and
        logs the answer itself: the relay then takes that result and verifies nothing twice. Raises
        :class:`TransportError` when delivery is uncertain (the relay retries), and an
        :class:`~sifa.exchange.envelope.EnvelopeError` with the partner's reason code when the
        partner refused the message (the relay makes it a dead letter at once)."""
        ...


DEFAULT_TRANSPORT = "sifa.exchange.http_transport.HttpTransport"
"""The transport the relay uses outside tests (the HTTP transport to the allow-listed endpoints)."""

_override: Transport | None = None


def default_transport() -> Transport:
    """The relay's transport: the one installed with :func:`use_transport` (tests, simulators), or
    :data:`DEFAULT_TRANSPORT`. Without one the relay cannot send: ``exchange.no_transport`` (503)."""
    if _override is not None:
        return _override
    from django.utils.module_loading import import_string

    from sifa.core.errors import ServiceError

    try:
        return import_string(DEFAULT_TRANSPORT)()
    except ImportError:
        raise ServiceError(
            "exchange.no_transport", "未安装数据交换的传输通道，消息留在发件箱中", status=503
        ) from None


def use_transport(transport: Transport | None) -> None:
    """Install ``transport`` for the relay in this process (``None``: back to the default)."""
    global _override
    _override = transport
