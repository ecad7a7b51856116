"""W10's two sides as in-process loops: ratings written through the real service, and SQLite's raw
commit rate.

``python -m bench.ratespeed ratings SECONDS CLIENTS`` runs CLIENTS worker processes (each its own
Django set-up and database connection; spawned, so no connection crosses a fork). They wait at a
barrier, then each calls :func:`sifa.evaluation.services.ratings.record` in a loop for SECONDS —
one rating of a new 办件编号 at a county 司法局 per transaction, with the share of 差评 of
``sifa generate-cases`` (7 %), which opens a rectification in the same transaction, and the audit
event every command appends — and prints ``ratings/s: N`` (the sum over the workers).

``python -m bench.ratespeed sqlite-commit SECONDS`` is the SQLite denominator: one INSERT and
COMMIT per transaction into a scratch file under var/bench/ in WAL mode with ``synchronous=FULL``
(scale.md W10: "raw WAL+FULL commit rate"), single connection, and prints ``commits/s: N``.

The counter roll-up: the 绩效考核 maintenance (``sifa.indicators``) receives the rating's
``post_save`` inside the same transaction and appends its insert-only delta row, so this loop
measures "insert + counter" as the workload defines it, with nothing added here.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import sqlite3
import sys
import time
from pathlib import Path

BAD_EVERY = 14
"""One rating in 14 is a 差评 (≈ 7 %, the generator's share)."""


def _rate_once(organisation, index: int, tag: str) -> None:
    from django.db import transaction

    from sifa.evaluation.models import Channel, Level, SubjectKind
    from sifa.evaluation.services.ratings import record

    level = Level.VERY_DISSATISFIED if index % BAD_EVERY == 0 else Level.VERY_SATISFIED
    with transaction.atomic():
        record(
            subject_kind=SubjectKind.APPLICATION,
            number=f"W10{tag}{index:09d}",
            organisation=organisation,
            item_code="000100001001",
            stage="已送达",
            level=level,
            channel=Channel.WEB,
            comment="办理时间太长" if level == Level.VERY_DISSATISFIED else "",
            rater=None,
            rater_named=False,
            actor=None,
        )
        # The indicators' counter (an insert-only delta row) is written by its post_save receiver,
        # inside this same transaction.


def _worker(seconds: float, barrier, results, slot: int) -> None:
    try:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
        django.setup()
        from sifa.organisations.models import Organisation, OrganisationLevel

        organisation = (
            Organisation.objects.filter(level=OrganisationLevel.COUNTY).order_by("path").first()
            or Organisation.objects.order_by("path").first()
        )
        if organisation is None:
            raise RuntimeError("no organisation in the bench database: run the loaders first")
        tag = f"{secrets.token_hex(4).upper()}{slot:02d}"
        _rate_once(organisation, 0, tag + "W")  # warm: imports, connection, calendar cache
        barrier.wait()
        count, started = 0, time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            count += 1
            _rate_once(organisation, count, tag)
        results.put((slot, count, time.perf_counter() - started, ""))
    except BaseException as failure:  # reported to the parent, which exits non-zero
        barrier.abort()
        results.put((slot, -1, 0.0, repr(failure)[:300]))


def ratings(seconds: float, clients: int) -> float:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(clients)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(seconds, barrier, results, i)) for i in range(clients)]
    for worker in workers:
        worker.start()
    done = [results.get(timeout=seconds + 300) for _ in workers]
    for worker in workers:
        worker.join()
    failures = [error for _slot, count, _elapsed, error in done if count < 0]
    if failures:
        raise SystemExit(f"rating workers failed: {failures[0]}")
    return sum(count / elapsed for _slot, count, elapsed, _error in done if elapsed > 0)


def sqlite_commits(seconds: float) -> float:
    directory = Path(os.environ.get("SIFA_VAR_DIR") or "var/bench")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "w10-commit.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE rating (id INTEGER PRIMARY KEY, number TEXT, level TEXT, created_at TEXT)")
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        db.execute("BEGIN")
        db.execute(
            "INSERT INTO rating (number, level, created_at) VALUES (?, ?, datetime('now'))",
            (f"W10{count:09d}", "very_satisfied"),
        )
        db.execute("COMMIT")
        count += 1
    rate = count / (time.perf_counter() - started)
    db.close()
    return rate


def main(argv: list[str]) -> int:
    what = argv[0] if argv else "ratings"
    seconds = float(argv[1]) if len(argv) > 1 else 2.0
    if what == "ratings":
        clients = int(argv[2]) if len(argv) > 2 else 8
        sys.stdout.write(f"ratings/s: {ratings(seconds, clients):.1f}\n")
    elif what == "sqlite-commit":
        sys.stdout.write(f"commits/s: {sqlite_commits(seconds):.1f}\n")
    else:
        raise SystemExit(f"unknown measurement {what!r}: ratings or sqlite-commit")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
