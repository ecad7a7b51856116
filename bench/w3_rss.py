"""Server RSS at 32 concurrent 2 MB uploads (issue 16: W3's server RSS +≤ 50 MB).

``python -m bench.w3_rss [--uploads 32] [--rounds 3]`` (with ``BENCH_DATABASE_URL`` for
PostgreSQL) uses the bench database as ``python -m bench.run --only W3`` left it (run that once
first). It starts the server exactly as the harness does (granian as ``sifa serve``), makes one
draft per upload as the bench citizen, then sends the 2 MB PDF of W3 to every draft at once (one
connection per upload, released together) and prints the server's RSS summed over granian's
processes: idle (``VmRSS`` before the round) and peak (``VmHWM``, reset before each round), as the
harness reports for W3.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from bench.run import BENCH_DIR, Server, free_port, server_env

    os.environ.update(server_env())
    os.environ.setdefault("SIFA_VAR_DIR", str(BENCH_DIR))
    import django

    django.setup()
    from bench.app_workloads import _multipart
    from bench.seed_data import _citizen, _entry, _form, _required_materials_for_new_draft, two_megabyte_pdf
    from bench.sides import _reset_peak_rss, _status_kib, process_tree
    from sifa.accounts.services.auth import issue_api_token

    citizen, id_number = _citizen()
    entry = _entry()
    token = issue_api_token(citizen)[0]
    material = _required_materials_for_new_draft(entry, citizen, id_number)
    upload, upload_type = _multipart({"material": str(material)}, "扫描件.pdf", two_megabyte_pdf())
    draft_body = json.dumps({"entry": entry.implementation_code, "form_data": _form(id_number)}).encode()
    auth = {"Authorization": f"Bearer {token}"}
    from django.db import connections

    connections.close_all()

    port = free_port()
    server = Server(port)
    worst = 0
    try:
        server.wait_healthy()

        def request(method: str, path: str, body: bytes, kind: str) -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            try:
                conn.request(method, path, body=body, headers={**auth, "Content-Type": kind})
                response = conn.getresponse()
                return response.status, response.read()
            finally:
                conn.close()

        for round_ in range(1, args.rounds + 1):
            drafts = []
            for _ in range(args.uploads):
                status, body = request("POST", "/api/v1/applications/drafts/", draft_body, "application/json")
                assert status == 201, (status, body[:200])
                drafts.append(json.loads(body)["id"])
            pids = process_tree(server.process.pid)
            idle = sum(_status_kib(pid, "VmRSS") for pid in pids)
            for pid in pids:
                _reset_peak_rss(pid)
            start = threading.Barrier(args.uploads)
            answers: list[int] = []

            def one(ref: str, start: threading.Barrier = start, answers: list[int] = answers) -> None:
                start.wait()
                status, _body = request("POST", f"/api/v1/applications/{ref}/materials/", upload, upload_type)
                answers.append(status)

            threads = [threading.Thread(target=one, args=(ref,)) for ref in drafts]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            peak = sum(_status_kib(pid, "VmHWM") for pid in pids)
            worst = max(worst, peak - idle)
            ok = answers.count(201)
            print(
                f"round {round_}: {ok}/{args.uploads} uploads accepted; server RSS (Σ over "
                f"{len(pids)} granian processes) idle {idle / 1024:.0f} MB, peak {peak / 1024:.0f} MB "
                f"(+{(peak - idle) / 1024:.1f} MB)",
                flush=True,
            )
            if ok != args.uploads:
                print(f"  statuses: {sorted(set(answers))}")
    finally:
        server.stop()
    print(f"worst round: +{worst / 1024:.1f} MB at {args.uploads} concurrent uploads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
