"""交换 (一张网): signed data exchange with 公安、法院、检察院 (docs/exchange.md).

The partner registry, the signed envelope (:mod:`sifa.exchange.services.envelopes`), the
hash-chained message log and the inbox. The outbox relay, the partner simulators and the use
cases are not built yet; :class:`sifa.exchange.transport.Transport` is their seam.
"""
