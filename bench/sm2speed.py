"""SM2-with-SM3 verifications per second of ``sifa.core.signing`` in one thread (R6b's numerator).

``python -m bench.sm2speed SECONDS`` signs a licence-sized canonical JSON payload once with a fresh
key, then verifies it in a loop for SECONDS and prints ``verify/s: N``. The denominator is
``openssl speed -seconds SECONDS sm2`` on the same machine in the same run (bench/workloads.py).
"""

from __future__ import annotations

import datetime as dt
import sys
import time


def main() -> int:
    import django

    django.setup()
    from sifa.core.signing import SM2_WITH_SM3, canonical_json, generate_signer

    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    signer = generate_signer(SM2_WITH_SM3, dt.datetime.now(dt.UTC))
    verifier = signer.verifier()
    payload = canonical_json({"identifier": "1.2.156.3005.2.x", "holder": "张*", "n": list(range(40))})
    signature = signer.sign(payload)
    if not verifier.verify(payload, signature):
        raise SystemExit("the signature made here does not verify")
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(10):
            verifier.verify(payload, signature)
        count += 10
    sys.stdout.write(f"verify/s: {count / (time.perf_counter() - started):.1f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
