"""交换 (一张网): signed data exchange with 公安、法院、检察院 (docs/exchange.md).

The partner registry, the signed envelope (:mod:`sifa.exchange.services.envelopes`), the
hash-chained message log, the inbox, the HTTP transport (:mod:`sifa.exchange.http_transport`) and
the partner simulators (:mod:`sifa.exchange.simulator`, ``sifa partner-sim``). The outbox relay and
the use cases are not built yet; :class:`sifa.exchange.transport.Transport` is their seam.
"""
