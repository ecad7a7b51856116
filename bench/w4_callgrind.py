"""W4's requests counted in instructions, on a small database of their own (docs/performance.md,
"2026-12-07 (session 8): W4").

Instruction counts (``valgrind --tool=callgrind``) repeat under load where wall and CPU times do
not, and this needs no bench seeding (30 minutes on a loaded machine): ``setup`` builds, in the
database of ``DATABASE_URL`` (migrated first: ``python -m sifa migrate``), the world of
``tests/perf/test_queries_transition.py`` — the catalogue tree, the calendar, a city window clerk
and reviewer, one case accepted on 2025-09-01 — and writes the case's number and a bearer token of
the reviewer to ``W4_WORLD`` (JSON). ``run MODE N`` then, as that reviewer through the server's
WSGI callable (``bench.wsgi.application``: the whole middleware stack, ``request_finished``
included), warms up with 5 suspend/resume pairs and runs N more:

* ``callgrind``: with callgrind's instrumentation on for the N pairs only — run it under
  ``valgrind --tool=callgrind --instr-atstart=no``; the total ÷ 2N is the instructions per command;
* ``cpu``: prints the CPU time per command (``time.process_time``);
* ``server`` (PostgreSQL): the CPU time per command of this process (``time.process_time``), of
  its server backend (``pg_backend_pid()``) and of the server's WAL writer, each from the time the
  kernel counts it running (``/proc/<pid>/schedstat``, nanoseconds; the WAL writer serves every
  connection of the server, so its share is only as quiet as the server);
* ``statements`` (PostgreSQL): the backend's CPU time per statement, by statement (an
  ``execute_wrapper`` reads the backend's ``schedstat`` around each one; ``COMMIT`` is
  Django's ``_commit``, read the same way), then the whole command's;
* ``write-callgrind``, ``write-cpu``: the same for the raw Django write (``POST /bench/write``,
  W4's denominator, sent as the bench sends it: an empty body, no token; its tables are
  ``bench.seed_data._bench_tables``'s, made by ``setup``), two requests per pair, so its
  instructions per request compare with W4's per command;
* ``dump``: the clock frozen at 2026-12-07 09:30 UTC, writes each answer's status line, headers and
  body to ``W4_DUMP`` (JSON), to compare two versions' answers byte for byte (and, by dumping the
  database after, their rows). Set ``PYTHONHASHSEED`` alike for both: django-csp writes its policy's
  directives in a set's order.

Settings: ``DJANGO_SETTINGS_MODULE=bench.settings``, ``SIFA_DEBUG=0`` for ``run`` (``1`` for
``setup``, which needs the development keys), the keys of ``bench.run``'s ``keys.env`` or any, and
``SIFA_ALLOWED_HOSTS`` with ``127.0.0.1``. Copy the database file (SQLite) or clone it
(``CREATE DATABASE … TEMPLATE …``) before each run so every run starts from the same rows.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

SUSPEND = {"kind": "expert_review", "reason": "组织专家评审"}


def setup() -> None:
    import datetime as dt

    from bench.seed_data import _bench_tables
    from sifa.accounts.services.auth import issue_api_token
    from sifa.deadlines import db_calendar
    from sifa.deadlines.services import seed_calendar
    from sifa.organisations.models import Role
    from sifa.testing import CitizenFactory, catalogue_tree, staff
    from sifa.testing.cases import entry_for, make_case
    from sifa.testing.clock import travel
    from sifa.workflow.services import run_command

    orgs = catalogue_tree("ministry", "zj", "hz", "xh")
    seed_calendar(2025, 2026)
    db_calendar.forget()
    clerk = staff("perf-clerk", orgs["hz"], Role.WINDOW_CLERK)
    reviewer = staff("perf-reviewer", orgs["hz"], Role.REVIEWER)
    citizen = CitizenFactory(username="perf-citizen")
    case = make_case(
        entry_for("律师执业许可（专职律师执业）", orgs["hz"]), citizen, received=dt.date(2025, 9, 1)
    )
    with travel(dt.date(2025, 9, 1)):
        run_command(clerk, case.number, "accept", {})
    _bench_tables()
    with open(os.environ["W4_WORLD"], "w") as out:
        json.dump({"number": case.number, "token": issue_api_token(reviewer)[0]}, out)


def run(mode: str, n: int) -> None:
    from bench.wsgi import application

    with open(os.environ["W4_WORLD"]) as found:
        world = json.load(found)
    base = f"/api/v1/cases/{world['number']}/commands"
    answers: list = []

    raw_write = mode.startswith("write-")
    mode = mode.removeprefix("write-")

    def post(path: str, payload: dict | None, query: str = "") -> tuple[str, list, bytes]:
        """``payload`` None: an empty body without a token or a content type, as the bench's
        raw write sends it (``bench.app_workloads``: ``POST /bench/write?slot=N``, ``b""``)."""
        raw = b"" if payload is None else json.dumps(payload).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "*/*",
            "HTTP_AUTHORIZATION": f"Bearer {world['token']}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(raw)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(raw),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if payload is None:
            del environ["HTTP_AUTHORIZATION"], environ["CONTENT_TYPE"]
        status = []
        answer = application(environ, lambda line, headers, exc_info=None: status.append((line, headers)))
        try:
            body = b"".join(answer)
        finally:
            answer.close()  # request_finished, as the server does
        return status[0][0], status[0][1], body

    def pair(keep: bool = False) -> None:
        if raw_write:  # two raw writes, W4's denominator (``bench.urls.write``), one per command
            for slot in (1, 2):
                line, _headers, content = post("/bench/write", None, f"slot={slot}")
                assert line.startswith("200"), content[:300]
            return
        for command, body in (("suspend", SUSPEND), ("resume", {})):
            line, headers, content = post(f"{base}/{command}/", body)
            assert line.startswith("200"), content[:300]
            if keep:
                answers.append((line, headers, content.decode()))

    if mode in ("server", "statements"):
        for _ in range(5):
            pair()
        _server(mode, n, pair)
        return
    if mode == "dump":
        import datetime as dt

        import time_machine

        with time_machine.travel(dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC), tick=False):
            for _ in range(n):
                pair(keep=True)
        with open(os.environ["W4_DUMP"], "w") as out:
            json.dump(answers, out, ensure_ascii=False, indent=0)
        return
    for _ in range(5):
        pair()
    control = ["callgrind_control", "-i"]
    if mode == "callgrind":
        subprocess.run([*control, "on", str(os.getpid())], check=True, capture_output=True)  # noqa: S603
    started = time.process_time()
    for _ in range(n):
        pair()
    spent = time.process_time() - started
    if mode == "callgrind":
        subprocess.run([*control, "off", str(os.getpid())], check=True, capture_output=True)  # noqa: S603
    print(f"CPU {spent / (2 * n) * 1000:.3f} ms per command")


def _ran(pid: int) -> int:
    """Nanoseconds process ``pid`` has run on a CPU (``/proc/<pid>/schedstat``'s first field)."""
    with open(f"/proc/{pid}/schedstat") as found:
        return int(found.read().split()[0])


def _server(mode: str, n: int, pair) -> None:
    """``run server`` / ``run statements`` (module docstring)."""
    from collections import defaultdict

    from django.db import connections

    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'")
        walwriter = cursor.fetchone()[0]
    spent: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def timed(what: str, call):
        before = _ran(backend)
        try:
            return call()
        finally:
            counted = spent[what]
            counted[0] += 1
            counted[1] += _ran(backend) - before

    def wrapper(execute, sql, params, many, context):
        words = " ".join(sql.split()[:4])[:60]
        return timed(words + (" [many]" if many else ""), lambda: execute(sql, params, many, context))

    commit = type(connection)._commit
    if mode == "statements":
        connection.execute_wrappers.append(wrapper)
        type(connection)._commit = lambda self: timed("COMMIT", lambda: commit(self))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        lsn = cursor.fetchone()[0]
    try:
        web, server, wal = time.process_time(), _ran(backend), _ran(walwriter)
        for _ in range(n):
            pair()
        web, server, wal = time.process_time() - web, _ran(backend) - server, _ran(walwriter) - wal
    finally:
        type(connection)._commit = commit
        if wrapper in connection.execute_wrappers:
            connection.execute_wrappers.remove(wrapper)
    commands = 2 * n
    with connection.cursor() as cursor:  # the server's WAL: this database's and any other's
        cursor.execute("SELECT pg_current_wal_insert_lsn() - %s::pg_lsn", [lsn])
        print(f"WAL {float(cursor.fetchone()[0]) / commands:.0f} bytes per command (the whole server's)")
        cursor.execute("SELECT left(statement, 70) FROM pg_prepared_statements ORDER BY prepare_time")
        prepared = [row[0] for row in cursor.fetchall()]
    if mode == "statements":
        print("prepared on the server:", *prepared, sep="\n  ")
    print(
        f"web {web / commands * 1e3:.3f} ms, backend {server / commands / 1e6:.3f} ms, "
        f"walwriter {wal / commands / 1e6:.3f} ms per command"
    )
    for what, (count, ns) in sorted(spent.items(), key=lambda item: -item[1][1]):
        print(f"{ns / commands / 1e3:9.1f} us/command {count / commands:5.2f}x  {what}")


def main(argv: list[str]) -> int:
    import django

    django.setup()
    if argv[:1] == ["setup"]:
        setup()
    else:
        run(argv[1], int(argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
