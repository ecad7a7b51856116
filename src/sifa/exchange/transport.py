"""The seam for what is not built yet: how a sealed envelope travels to a partner.

The outbox relay (retries with back-off for 24 h, alerts, the dead-letter list) calls a
:class:`Transport`; :class:`sifa.exchange.http_transport.HttpTransport` is the one over HTTP. The
gateway core only seals, opens and logs. The
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
        """Deliver ``envelope`` to ``endpoint`` and return the partner's signed answer (not yet
        opened: the caller checks it with :func:`sifa.exchange.services.open`). Raises
        :class:`TransportError` when delivery is uncertain."""
        ...
