"""Instruction counts per request of the small reads through the WSGI entry point (callgrind).

Wall-clock and CPU timings are noise on a loaded machine; instruction counts are not. Run under
valgrind's callgrind, zeroing the counters just before the measured loop and dumping just after::

    BENCH_DATABASE_URL=postgres://… PYTHONPATH=src:. valgrind --tool=callgrind \\
        --zero-before='*getppid*' --dump-before='*getsid*' --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python -m bench.callgrind_reads --only me --requests 300

(``--only W5,db1``: the progress query of ``bench.wsgi_profile``'s tracked case and its
denominator) and read each dump's ``summary:`` line after the first (instructions of one workload's loop, in
``--only``'s order) ÷ ``--requests``. The loop
calls ``bench.wsgi.application`` (the server's WSGI callable: ``request_started`` and
``request_finished`` run as under granian) with the environ wrk sends, as ``bench.wsgi_profile``
does, after ``--warm`` requests of the same workload. ``os.getppid()`` and ``os.getsid(0)`` mark the
loop (neither is called by Sifa or Django); before each loop the objects made so far are
collected and frozen (``gc.freeze``), so a full collection of Django's own objects, whose moment
depends on the history of the process, does not land in one loop and not in another. Only this process's instructions are counted: the
PostgreSQL backend's CPU is not. Without valgrind it just runs (and prints the status of each
workload's last answer and its bytes' length).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys

from bench.wsgi_profile import _call, _setup


def _fixtures(only: list[str]) -> dict[str, tuple[str, dict]]:
    from bench.seed_data import _entry
    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token

    fixtures: dict[str, tuple[str, dict]] = {"hello": ("/bench/hello", {}), "W0": ("/healthz", {})}
    if "me" in only:
        token, _ = issue_api_token(User.objects.get(username="bench-reviewer"))
        fixtures["me"] = ("/api/v1/me/", {"HTTP_AUTHORIZATION": f"Bearer {token}"})
    if "W2" in only:
        fixtures["W2"] = (f"/bench/nocache/guides/{_entry().implementation_code}/", {})
    if "W5" in only:
        from bench.wsgi_profile import _tracked_case

        case, code = _tracked_case()
        fixtures["W5"] = (f"/api/v1/track/{case}/?code={code}", {})
    if "db1" in only:
        fixtures["db1"] = ("/bench/db1", {})
    return fixtures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="me")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warm", type=int, default=100)
    args = parser.parse_args(argv)
    _setup()
    from bench.wsgi import application

    only = args.only.split(",")
    fixtures = _fixtures(only)
    for key in only:  # one dump per workload, in this order
        path, headers = fixtures[key]
        for _ in range(args.warm):
            status, body = _call(application, path, headers)
        if not status.startswith("200"):
            raise SystemExit(f"GET {path} answered {status}: {body[:200]!r}")
        gc.collect()  # the objects made so far (Django's, the warm requests'): out of the loop's
        gc.freeze()  # full collections, whose moment would otherwise decide a loop's count
        os.getppid()  # callgrind: --zero-before
        for _ in range(args.requests):
            _call(application, path, headers)
        os.getsid(0)  # callgrind: --dump-before
        print(f"{key} {status} {len(body)} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
