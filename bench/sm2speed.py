"""SM2-with-SM3 verifications (and signatures) per second of ``sifa.core.signing`` in one thread.

``python -m bench.sm2speed SECONDS`` signs a licence-sized canonical JSON payload once with a fresh
key, then verifies it in a loop for SECONDS and prints ``verify/s: N`` (R6b's numerator). The
denominator is ``openssl speed -seconds SECONDS sm2`` on the same machine in the same run
(bench/workloads.py).

``python -m bench.sm2speed SECONDS sign`` signs in a loop instead and prints ``sign/s: N``;
``… both`` does both, SECONDS each (docs/keys.md, "Performance").

The rates are operations per second of this process's **user CPU time**, which is what
``openssl speed`` divides by unless given ``-elapsed`` (apps/speed.c: ``usertime``). Dividing a
wall-clock loop by openssl's CPU-time rate, as W6b did before 2026-12-05, made R6b fall with the
machine's load (at load average 8 on 2 cores a verify took 0.3 ms of CPU and 1 ms of wall time).
The wall-clock rates are printed as well (``verify/s wall: N``).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable


def _rate(seconds: float, step: Callable[[], object]) -> tuple[float, float]:
    """(operations per user-CPU second, operations per wall-clock second) over ``seconds`` of wall time."""
    count, started, cpu = 0, time.perf_counter(), os.times().user
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(10):
            step()
        count += 10
    wall, used = time.perf_counter() - started, os.times().user - cpu
    return count / max(used, 0.01), count / wall


def main() -> int:
    import django

    django.setup()
    from sifa.core.signing import SM2_WITH_SM3, canonical_json, generate_signer

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    what = sys.argv[2] if len(sys.argv) > 2 else "verify"
    if what not in ("verify", "sign", "both"):
        raise SystemExit(f"unknown measurement {what!r}: verify, sign or both")
    signer = generate_signer(SM2_WITH_SM3, dt.datetime.now(dt.UTC))
    verifier = signer.verifier()
    payload = canonical_json({"identifier": "1.2.156.3005.2.x", "holder": "张*", "n": list(range(40))})
    signature = signer.sign(payload)
    if not verifier.verify(payload, signature):
        raise SystemExit("the signature made here does not verify")
    if what in ("verify", "both"):
        cpu, wall = _rate(seconds, lambda: verifier.verify(payload, signature))
        sys.stdout.write(f"verify/s: {cpu:.1f}\nverify/s wall: {wall:.1f}\n")
    if what in ("sign", "both"):
        cpu, wall = _rate(seconds, lambda: signer.sign(payload))
        sys.stdout.write(f"sign/s: {cpu:.1f}\nsign/s wall: {wall:.1f}\n")
    from sifa.core.signing.sm2 import backend_name

    sys.stdout.write(f"backend: {backend_name()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
