"""SM2-with-SM3 verifications (and signatures) per second of ``sifa.core.signing`` in one thread.

``python -m bench.sm2speed SECONDS`` signs a licence-sized canonical JSON payload once with a fresh
key, then verifies it in a loop for SECONDS and prints ``verify/s: N`` (R6b's numerator). The
denominator is ``openssl speed -seconds SECONDS sm2`` on the same machine in the same run
(bench/workloads.py).

``python -m bench.sm2speed SECONDS sign`` signs in a loop instead and prints ``sign/s: N``;
``… both`` does both, SECONDS each (docs/keys.md, "Performance").
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable


def _rate(seconds: float, step: Callable[[], object]) -> float:
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(10):
            step()
        count += 10
    return count / (time.perf_counter() - started)


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
        rate = _rate(seconds, lambda: verifier.verify(payload, signature))
        sys.stdout.write(f"verify/s: {rate:.1f}\n")
    if what in ("sign", "both"):
        sys.stdout.write(f"sign/s: {_rate(seconds, lambda: signer.sign(payload)):.1f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
