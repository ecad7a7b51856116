"""The exchange gateway's commands: the partner registry, sealing and opening envelopes, the
message log and its export. Every write of the exchange app happens here."""

from sifa.exchange.services.envelopes import SigningUnavailable, open, seal
from sifa.exchange.services.log import chain_pending

__all__ = ["SigningUnavailable", "chain_pending", "open", "seal"]
