"""W9's two sides as client pools: signed and unsigned round trips to a partner simulator.

``python -m bench.exchangespeed prepare KEYS_FILE`` writes Sifa's public keys (the JSON form of
``GET /api/v1/keys/``) to KEYS_FILE for the simulator's ``--sifa-keys``, and prints the sender
(a Sifa organisation with a USCC) and the receiver (the demo 公安) as JSON.

``python -m bench.exchangespeed signed|logged-unsigned|unsigned SECONDS CLIENTS BASE_URL`` runs CLIENTS worker
processes (spawned; each its own Django set-up and database connection, as a pool of relays
would be). They wait at a barrier, then each runs round trips back to back for SECONDS and the
parent prints ``round trips/s: N`` (the sum over the workers).

A **signed** round trip is the gateway's own code, nothing re-implemented here:
``services.envelopes.seal`` (canonical JSON, SM3 body digest, SM2 signature with Sifa's key ring)
→ ``services.log.append`` of the request (``before_sending=True``: one statement committed by
itself and durable before it leaves, as the relay logs a copy signed again; ADR 0020, 0022)
→ ``HttpTransport.deliver`` to
``BASE_URL/exchange/`` (allow-listed) → the simulator opens it (signature, digest, replay, clock),
stores it, answers and signs → ``deliver`` opens the answer with ``services.envelopes.open``
(signature, key validity, digest, correlation, response schema) and appends it to the message log.
The log is chained in batches by ``services.log.BATCHER`` (SIFA_EXCHANGE_LOG_BATCH /
SIFA_EXCHANGE_LOG_BATCH_MS), as in production.

A **logged-unsigned** round trip is the signed one with only SM2 taken out, in the worker process:
the same ``seal`` with a placeholder "signer", the same log appends and commits, the same
``deliver`` and ``open`` with every verification answered True, to the simulator's
``BASE_URL/bench/unsigned/`` (no SM2 there either; the SM3 digests stay). Signed ÷ logged-unsigned
is the cost of the cryptography alone (R9a as the brief words it: "no signing/verifying").

An **unsigned** round trip sends the same request (same service, same body, same header fields,
canonical JSON) with the same HTTP client code (``HttpTransport._post``) to the same simulator
process's ``BASE_URL/bench/unsigned/`` (served only with ``--unsigned-bench``), which does the same
shape checks, store lookup and write and answer, without any signature; the client parses the
answer (``Envelope.from_wire``) and checks its correlation. No SM3 digest, no SM2, **and no message
log**: the denominator is an exchange without the X-Road machinery, as X-Road's users compare
(scale.md W9: signed ≈ 0.11 × unsigned there).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
import uuid
from typing import Any

KINDS = ("signed", "logged-unsigned", "unsigned")
SERVICE = {"code": "identity.verify", "version": "1"}
PURPOSE = "核验律师执业申请人的身份（W9 基准）"
TIMEOUT = 30.0


def _setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
    django.setup()


def _parties() -> tuple[Any, Any]:
    """(the sending Sifa organisation, the demo 公安 partner)."""
    from sifa.exchange.demo import demo_partner
    from sifa.exchange.models import Partner
    from sifa.organisations.models import Organisation

    organisation = Organisation.objects.filter(is_active=True).exclude(uscc="").order_by("path").first()
    if organisation is None:
        raise SystemExit("no active organisation with a USCC: run the organisation loaders first")
    partner = Partner.objects.filter(uscc=demo_partner("police").uscc, is_active=True).first()
    if partner is None:
        raise SystemExit("the demo 公安 partner is not registered: run `sifa exchange load-partners`")
    return organisation, partner


def _body(index: int) -> dict[str, Any]:
    from sifa.core.identifiers import id_number_check_digit

    first17 = f"33010619850505{index % 990:03d}"
    return {"name": "张三", "id_number": first17 + id_number_check_digit(first17)}


def _header(organisation: Any, partner: Any) -> dict[str, Any]:
    return {
        "kind": "request",
        "issue": "",
        "purpose": PURPOSE,
        "service": SERVICE,
        "sender": organisation.uscc,
        "receiver": partner.uscc,
        "user_id": {"official": "bench-w9", "organisation": organisation.name},
    }


def _gateway() -> Any:
    """What a signed round trip calls, imported once (a worker's set-up, not each request's). The
    modules, not their functions: ``bench.w9_phases`` times a function by replacing it in its
    module."""
    from types import SimpleNamespace

    from sifa.exchange.models import Direction, MessageStatus
    from sifa.exchange.services import envelopes, log

    return SimpleNamespace(
        envelopes=envelopes,
        log=log,
        OUTBOUND=Direction.OUTBOUND,
        SENT=MessageStatus.SENT,
    )


class _Accepts:
    """W9's logged-unsigned side only: a verifier that checks nothing."""

    def verify(self, data: bytes, signature: bytes) -> bool:
        return True


class _Placeholder:
    """W9's logged-unsigned side only: a "signer" that signs nothing (key id of the real key)."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id

    def sign(self, data: bytes) -> bytes:
        from sifa.exchange.simulator.server import PLACEHOLDER_SIGNATURE

        return PLACEHOLDER_SIGNATURE


class Signed:
    """The gateway's round trip. With ``crypto=False`` (``logged-unsigned``) the very same code
    runs with SM2 taken out in this worker process only: a placeholder instead of each signature,
    every verification answered True, and the simulator's ``/bench/unsigned/``."""

    def __init__(self, base_url: str, *, crypto: bool = True) -> None:
        from sifa.core.signing import default_keyring
        from sifa.exchange.http_transport import HttpTransport
        from sifa.exchange.services import envelopes

        self.organisation, self.partner = _parties()
        self.transport = HttpTransport()
        self.signer = None
        self._gateway = _gateway()
        self._bodies = [_body(index) for index in range(990)]
        if crypto:
            self.endpoint = f"{base_url}/exchange/"
        else:
            self.endpoint = f"{base_url}/bench/unsigned/"
            self.signer = _Placeholder(default_keyring().signer().key_id)
            envelopes._verifier = lambda key_id, pem: _Accepts()

    def once(self, index: int) -> None:
        # The load generator's own work per round trip is only what the gateway's caller does;
        # the imports and the request bodies (990 distinct numbers) are made once per worker,
        # not per request (docs/performance.md, "session 10: W9").
        gateway = self._gateway
        body = self._bodies[index % len(self._bodies)]
        envelope = gateway.envelopes.seal(_header(self.organisation, self.partner), body, signer=self.signer)
        gateway.log.append(  # committed and durable before it leaves, as the relay's copy
            envelope,
            json.loads(envelope.header_bytes),
            body,
            direction=gateway.OUTBOUND,
            status=gateway.SENT,
            partner=self.partner,
            scope_path=self.organisation.path,
            before_sending=True,
        )
        delivered = self.transport.deliver(self.endpoint, envelope, timeout=TIMEOUT)
        if "match" not in delivered.body:
            raise RuntimeError(f"unexpected answer {delivered.body!r}")


class Unsigned:
    def __init__(self, base_url: str) -> None:
        from sifa.exchange.http_transport import HttpTransport

        self.organisation, self.partner = _parties()
        self.endpoint = f"{base_url}/bench/unsigned/"
        self.transport = HttpTransport()

    def once(self, index: int) -> None:
        from sifa.core.signing import canonical_json
        from sifa.exchange.envelope import Envelope, now_timestamp

        body = _body(index)
        fields = _header(self.organisation, self.partner)
        message_id = str(uuid.uuid4())
        fields.update(
            message_id=message_id,
            correlation_id=None,
            timestamp=now_timestamp(),
            key_id="unsigned-bench",
            body_digest="0" * 64,
        )
        envelope = Envelope(canonical_json(fields), canonical_json(body), b"\x00")
        payload = json.dumps(envelope.as_wire()).encode("utf-8")
        status, raw = self.transport._post(self.endpoint, payload, TIMEOUT)
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {raw[:200]!r}")
        answer = Envelope.from_wire(json.loads(raw))
        header = json.loads(answer.header_bytes)
        if header["correlation_id"] != message_id or "match" not in json.loads(answer.body_bytes):
            raise RuntimeError("the unsigned answer does not answer the request")


def _worker(kind: str, base_url: str, seconds: float, barrier, results, slot: int) -> None:
    try:
        _setup()
        if kind == "unsigned":
            client: Signed | Unsigned = Unsigned(base_url)
        else:
            client = Signed(base_url, crypto=kind == "signed")
        client.once(slot)  # warm: imports, connection, key ring, verifier caches
        barrier.wait()
        count, started = 0, time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            client.once(count)
            count += 1
        results.put((slot, count, time.perf_counter() - started, ""))
    except BaseException as failure:  # reported to the parent, which exits non-zero
        barrier.abort()
        results.put((slot, -1, 0.0, repr(failure)[:300]))


def round_trips(kind: str, seconds: float, clients: int, base_url: str) -> float:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(clients)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(kind, base_url, seconds, barrier, results, i))
        for i in range(clients)
    ]
    for worker in workers:
        worker.start()
    done = [results.get(timeout=seconds + 300) for _ in workers]
    for worker in workers:
        worker.join()
    failures = [error for _slot, count, _elapsed, error in done if count < 0]
    if failures:
        raise SystemExit(f"{kind} round-trip workers failed: {failures[0]}")
    return sum(count / elapsed for _slot, count, elapsed, _error in done if elapsed > 0)


def prepare(keys_file: str) -> dict[str, str]:
    _setup()
    from sifa.core.signing import default_keyring

    default_keyring().signer()  # development settings: makes Sifa's key on first use
    keys = default_keyring().public_keys()
    with open(keys_file, "w", encoding="utf-8") as handle:
        json.dump(keys, handle, ensure_ascii=False, default=str)
    organisation, partner = _parties()
    return {"sender": organisation.uscc, "receiver": partner.uscc}


def main(argv: list[str]) -> int:
    what = argv[0] if argv else ""
    if what == "prepare":
        sys.stdout.write(json.dumps(prepare(argv[1])) + "\n")
        return 0
    if what not in KINDS or len(argv) != 4:
        raise SystemExit(f"usage: python -m bench.exchangespeed {'|'.join(KINDS)} SECONDS CLIENTS BASE_URL")
    rate = round_trips(what, float(argv[1]), int(argv[2]), argv[3].rstrip("/"))
    sys.stdout.write(f"round trips/s: {rate:.1f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
