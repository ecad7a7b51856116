"""The partner simulators (``sifa partner-sim --as police|court|procuratorate``): a 公安, 法院 or
检察院 system on the other side of the exchange, as a separate process (docs/exchange.md,
"Partner simulators").

Each one signs with its demo key (``SIFA_VAR_DIR/keys/partners/<kind>.pem``, registered by
``sifa exchange load-partners``), checks Sifa's envelopes with the same rules as the gateway's
``open()`` against Sifa's published public keys (``GET /api/v1/keys/``), keeps what it received and
answered in a SQLite file of its own (idempotent by message id, across restarts), and never reads
Sifa's database.

* :mod:`.protocol` — opening an envelope from Sifa (the checks, in the gateway's order);
* :mod:`.store` — the simulator's own SQLite file;
* :mod:`.data` — what each partner answers (realistic demo data);
* :mod:`.server` — the WSGI app, ``/exchange/`` and ``/healthz``, served until SIGTERM;
* :mod:`.client` — ``send``: a signed request or notice to Sifa's inbox.
"""
