"""CPU per request of the small reads through the WSGI entry point, web process and database server.

``python -m bench.wsgi_profile --rounds 7 --requests 300 --only W0,W1c,W1hc,W2c,me`` (with
``BENCH_DATABASE_URL`` for PostgreSQL) calls ``bench.wsgi.application`` — the server's own WSGI
callable, so Django's ``request_started``/``request_finished`` run as under granian (the
connection health check before each request's first statement included) — with the environ wrk
sends (no cookies, ``Host: 127.0.0.1``), against the bench database ``bench.run`` seeded, with the
server's settings (``bench.settings``, DEBUG off, the public page cache as configured: the database
store unless ``SIFA_CACHE_URL`` is set). The workloads' loops of ``--requests`` requests alternate
``--rounds`` times with the Django hello view's, so all see the same load.

Printed per workload: the median over the rounds of this process's CPU per request
(``time.process_time``) and hello ÷ that; on PostgreSQL also the CPU of the database backend
serving the connection (``/proc/<backend pid>/schedstat``, nanoseconds on CPU) per request, and
hello ÷ (web + backend) — on a machine where PostgreSQL shares the cores, each round trip's
backend CPU is the server's too — and the statements of one request and the connection health
checks (Django's ``SELECT 1``) it made: together, its round trips to the database. ``me`` uses a new bearer token of ``bench-reviewer`` (staff) and ``me-citizen`` one of the
bench citizen, made in the bench database; W5 reads the newest bench case with its query code
(``BENCH_W5_CODE``, or a new code set in the bench database), db1 is its denominator
(``/bench/db1``); W6a verifies the newest licence by identifier, and ``W5÷W6a`` is R6a's
ratio in CPU (W5's CPU per request ÷ W6a's).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time


def _setup() -> None:
    from bench.run import server_env

    os.environ.update(server_env())
    os.environ.setdefault("SIFA_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ["SIFA_DB_CONN_MAX_AGE"] = "3600"  # one backend for the whole run (measured below)
    import django

    django.setup()


def _fixtures() -> dict[str, tuple[str, dict]]:
    from bench.seed_data import _citizen, _entry
    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.licences.models import Licence

    staff = User.objects.get(username="bench-reviewer")
    staff_token, _ = issue_api_token(staff)
    citizen, _ = _citizen()
    citizen_token, _ = issue_api_token(citizen)
    code = _entry().implementation_code
    case, query_code = _tracked_case()
    licence = Licence.objects.order_by("-pk").first()
    return {
        "hello": ("/bench/hello", {}),
        "W0": ("/healthz", {}),
        "W1c": ("/api/v1/catalogue/items/", {}),
        "W1hc": ("/catalogue/", {}),
        "W2c": (f"/guides/{code}/", {}),
        "W1": ("/bench/nocache/api/v1/catalogue/items/", {}),
        "W1h": ("/bench/nocache/catalogue/", {}),
        "W2": (f"/bench/nocache/guides/{code}/", {}),
        "me": ("/api/v1/me/", {"HTTP_AUTHORIZATION": f"Bearer {staff_token}"}),
        "me-citizen": ("/api/v1/me/", {"HTTP_AUTHORIZATION": f"Bearer {citizen_token}"}),
        "W5": (f"/api/v1/track/{case}/?code={query_code}", {}),
        "db1": ("/bench/db1", {}),
        "W6a": (f"/api/v1/licences/verify/{licence.identifier}/", {}),
    }


def _tracked_case() -> tuple[str, str]:
    """The newest bench case with a query code, and that code: the code given by ``BENCH_W5_CODE``
    when it is the case's (so several processes can read the same case), else a new one, set in the
    bench database (the seeded code is not kept) and printed."""
    from sifa.applications.models import Application
    from sifa.applications.query_codes import new_query_code, query_code_digest, query_code_matches

    case = (
        Application.objects.filter(number__isnull=False).exclude(query_code_digest="").order_by("-pk").first()
    )
    code = os.environ.get("BENCH_W5_CODE", "")
    if not code or not query_code_matches(code, case.query_code_digest):
        code = new_query_code()
        Application.objects.filter(pk=case.pk).update(query_code_digest=query_code_digest(code))
        print(f"# W5: case {case.number}, a new query code (BENCH_W5_CODE={code})")
    return case.number, code


def _environ(path: str, headers: dict) -> dict:
    path, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **headers,
    }


def _call(application, path: str, headers: dict) -> tuple[str, bytes]:
    status = []

    def start_response(line, response_headers, exc_info=None):
        status.append(line)

    answer = application(_environ(path, headers), start_response)
    try:
        body = b"".join(answer)
    finally:
        answer.close()  # request_finished, as the server does
    return status[0], body


def _backend_ns(pid: int | None) -> int:
    if pid is None:
        return 0
    with open(f"/proc/{pid}/schedstat") as found:
        return int(found.read().split()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="W0,W1c,W1hc,W2c,me")
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection

    from bench.wsgi import application

    fixtures = _fixtures()
    keys = ["hello", *[k for k in args.only.split(",") if k != "hello"]]
    for key in keys:
        path, headers = fixtures[key]
        for _ in range(20):
            status, body = _call(application, path, headers)
        if not status.startswith("200"):
            print(f"{key}: GET {path} answered {status}: {body[:200]!r}")
            return 1
    pid = connection.connection.info.backend_pid if connection.vendor == "postgresql" else None
    for key in keys:  # the statements of one request (the health check is not a cursor statement)
        path, headers = fixtures[key]
        seen: list[str] = []

        def note(execute, sql, params, many, context, seen=seen):
            seen.append(" ".join(sql.split())[:110])
            return execute(sql, params, many, context)

        checks = []
        usable = connection.is_usable
        connection.is_usable = lambda checks=checks, usable=usable: checks.append(1) or usable()
        try:
            with connection.execute_wrapper(note):
                _call(application, path, headers)
        finally:
            del connection.is_usable
        print(f"# {key} GET {path.split('?')[0]}: {len(seen)} statements + {len(checks)} health checks")
        for sql in seen:
            print("#     ", sql)
    web: dict[str, list[float]] = {key: [] for key in keys}
    backend: dict[str, list[float]] = {key: [] for key in keys}
    for _ in range(args.rounds):
        for key in keys:
            path, headers = fixtures[key]
            environ_headers = headers
            started, db_started = time.process_time(), _backend_ns(pid)
            for _ in range(args.requests):
                _call(application, path, environ_headers)
            web[key].append((time.process_time() - started) / args.requests * 1000)
            backend[key].append((_backend_ns(pid) - db_started) / args.requests / 1e6)
            if pid is not None and connection.connection.info.backend_pid != pid:
                raise SystemExit("the connection changed during the run")
    hello_web = statistics.median(web["hello"])
    hello_total = statistics.median(w + b for w, b in zip(web["hello"], backend["hello"], strict=True))
    for key in keys:
        ms = statistics.median(web[key])
        db = statistics.median(backend[key])
        total = statistics.median(w + b for w, b in zip(web[key], backend[key], strict=True))
        ratios = [h / w for h, w in zip(web["hello"], web[key], strict=True)]
        line = (
            f"{connection.vendor:10} {key:10} web {ms:6.3f} ms  hello÷web {statistics.median(ratios):5.3f}"
            f" ({min(ratios):.3f}–{max(ratios):.3f})"
        )
        if pid is not None:
            line += f"  backend {db:6.3f} ms  hello÷(web+backend) {hello_total / total:5.3f}"
        print(line)
    if "W5" in keys and "db1" in keys:  # W5's own denominator (scale.md §7: db1 ÷ W5)
        ratios = [d / w for d, w in zip(web["db1"], web["W5"], strict=True)]
        line = f"{connection.vendor:10} db1÷W5     web {statistics.median(ratios):5.3f} ({min(ratios):.3f}–{max(ratios):.3f})"
        if pid is not None:
            both = [
                (dw + db) / (ww + wb)
                for dw, db, ww, wb in zip(web["db1"], backend["db1"], web["W5"], backend["W5"], strict=True)
            ]
            line += f"  (web+backend) {statistics.median(both):5.3f} ({min(both):.3f}–{max(both):.3f})"
        print(line)
    if "W5" in keys and "W6a" in keys:  # R6a = rps(W6a) ÷ rps(W5): W5's CPU ÷ W6a's
        ratios = [f / v for f, v in zip(web["W5"], web["W6a"], strict=True)]
        line = f"{connection.vendor:10} W5÷W6a     web {statistics.median(ratios):5.3f} ({min(ratios):.3f}–{max(ratios):.3f})"
        if pid is not None:
            both = [
                (fw + fb) / (vw + vb)
                for fw, fb, vw, vb in zip(web["W5"], backend["W5"], web["W6a"], backend["W6a"], strict=True)
            ]
            line += f"  (web+backend) {statistics.median(both):5.3f} ({min(both):.3f}–{max(both):.3f})"
        print(line)
    print(f"# hello web {hello_web:.3f} ms; {args.rounds} rounds × {args.requests} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
