"""What the 2 MB of one W3 upload cost, piece by piece, against R3's budget (docs/performance.md).

``python -m bench.w3_bytes [ROUNDS] [--rate=FSYNC_WRITES_PER_S]`` measures, in this process and
interleaved (one call of each piece per round, so the machine's load falls on all of them alike),
the median CPU time (``time.process_time``) of every piece of work the upload's bytes need:

* Django's multipart parse of the bench's body with a handler that drops the bytes (the parse alone);
* the route's real receive: the same parse into :class:`WorkFileUploadHandler` (head kept, EICAR
  looked for, SM3 updated, each chunk written to a work file in the store's folder);
* SM3 of the 2 MB in 64 KB chunks by every implementation this environment has — ``hashlib``
  (OpenSSL's EVP), ``cryptography``'s ``hashes.SM3`` (its own OpenSSL), ``gmssl_pyx.sm3_hash`` —
  and SHA-256 (``hashlib``) for comparison; the digests are checked to be equal;
* the write of 2 MB into a new file in 64 KB chunks, its ``fsync`` apart;
* the PDF screen (``scan_pdf``) of the stored file;
* the denominator's own request, ``POST /bench/fsync-write`` with the same 2 MB, and Django's hello,
  through the test client.

With ``--rate`` (the fsync'd 2 MB writes/s a ``bench.run --only W3`` run printed, the smaller side
of R3's denominator) it prints the budget: R3 ≥ 0.5 means 0.5 × rate flows/s, so on this machine's
cores each flow may cost at most ``cores × 1000 / (0.5 × rate)`` ms of CPU, server, load generator
and kernel together. Uses the bench's settings (run ``bench.run --only W3`` once first).
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

CHUNK = 64 * 1024


def main(argv: list[str]) -> int:
    rounds = int(next((a for a in argv if a.isdigit()), "15"))
    rate = next((float(a.split("=", 1)[1]) for a in argv if a.startswith("--rate=")), None)
    from bench.w3_profile import _setup

    _setup()
    from django.core.files.uploadhandler import FileUploadHandler
    from django.http.multipartparser import MultiPartParser
    from django.test import Client

    from bench.app_workloads import _multipart
    from bench.seed_data import two_megabyte_pdf
    from sifa.applications.uploads.pdf import scan_pdf
    from sifa.applications.uploads.store import default_store
    from sifa.applications.uploads.streaming import WorkFileUploadHandler

    data = two_megabyte_pdf()
    body, content_type = _multipart({"material": "1"}, "扫描件.pdf", data)
    meta = {"CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    work_dir = default_store().temp_dir()
    client = Client(HTTP_HOST="127.0.0.1")

    class Drop(FileUploadHandler):
        chunk_size = CHUNK

        def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
            return None

        def file_complete(self, file_size: int) -> None:
            return None

    def parse(handler: FileUploadHandler) -> dict:
        return MultiPartParser(meta, io.BytesIO(body), [handler]).parse()[1]

    def receive() -> None:
        files = parse(WorkFileUploadHandler())
        work = files["file"]
        assert work.sm3 == expected
        work.close()  # not claimed: the work file is deleted

    def chunked(digest) -> Callable[[], str]:
        def run() -> str:
            h = digest()
            for start in range(0, len(data), CHUNK):
                h.update(data[start : start + CHUNK])
            return h.finalize().hex() if hasattr(h, "finalize") else h.hexdigest()

        return run

    pieces: dict[str, Callable[[], object]] = {}
    expected = hashlib.new("sm3", data).hexdigest()
    pieces["multipart parse, bytes dropped"] = lambda: parse(Drop())
    pieces["receive (parse + SM3 + write)"] = receive
    pieces["SM3 hashlib (OpenSSL EVP)"] = chunked(lambda: hashlib.new("sm3"))
    try:
        from cryptography.hazmat.primitives import hashes

        pieces["SM3 cryptography"] = chunked(lambda: hashes.Hash(hashes.SM3()))
    except ImportError:  # pragma: no cover - cryptography is a dependency
        pass
    try:
        import gmssl_pyx

        pieces["SM3 gmssl_pyx (one shot)"] = lambda: gmssl_pyx.sm3_hash(data)
    except ImportError:  # pragma: no cover
        pass
    pieces["SHA-256 hashlib"] = chunked(hashlib.sha256)

    files: list[int] = []

    def write() -> None:
        fd, name = tempfile.mkstemp(dir=work_dir, prefix=".bench-")
        os.unlink(name)
        for start in range(0, len(data), CHUNK):
            os.write(fd, data[start : start + CHUNK])
        files.append(fd)

    def fsync() -> None:
        fd = files.pop()
        os.fsync(fd)
        os.close(fd)

    pieces["write 2 MB (page cache)"] = write
    pieces["fsync of that file"] = fsync
    stored = tempfile.TemporaryFile(dir=work_dir)
    stored.write(data)
    stored.flush()
    pieces["PDF screen"] = lambda: scan_pdf(stored, len(data), max_decoded=64 * 1024 * 1024)
    pieces["POST /bench/fsync-write (denominator)"] = lambda: client.post(
        "/bench/fsync-write", data, content_type="application/octet-stream"
    )
    pieces["GET /bench/hello"] = lambda: client.get("/bench/hello")

    for check, digest in (("cryptography", "SM3 cryptography"), ("gmssl", "SM3 gmssl_pyx (one shot)")):
        if digest in pieces:
            value = pieces[digest]()
            value = value.hex() if isinstance(value, bytes) else value
            assert value == expected, (check, value)
    assert pieces["SM3 hashlib (OpenSSL EVP)"]() == expected
    for run in pieces.values():  # warm up
        run()
    spent: dict[str, list[float]] = collections.defaultdict(list)
    for _ in range(rounds):
        for name, run in pieces.items():
            started = time.process_time()
            run()
            spent[name].append(time.process_time() - started)
    load = os.getloadavg()[0]
    print(f"2 MB upload pieces, CPU ms, median (min) of {rounds} interleaved rounds, load {load:.1f}:")
    for name, values in spent.items():
        print(f"  {name:42s} {statistics.median(values) * 1000:7.2f} ({min(values) * 1000:.2f})")
    sm3 = statistics.median(spent["SM3 hashlib (OpenSSL EVP)"]) * 1000
    print(f"  SM3 throughput: {len(data) / sm3 / 1000:.0f} MB/s")
    if rate:
        cores = os.cpu_count() or 1
        budget = cores * 1000 / (0.5 * rate)
        print(
            f"R3 budget: 0.5 × {rate:.0f} fsync'd writes/s = {0.5 * rate:.0f} flows/s; on {cores} cores "
            f"≤ {budget:.1f} ms CPU per flow (server, load generator and kernel together); "
            f"SM3 alone {sm3 / budget:.0%} of it"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
