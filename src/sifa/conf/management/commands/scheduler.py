"""`sifa scheduler`: run Sifa's periodic commands on a fixed timetable (the worker's cron).

Every job here is safe to run from several schedulers at once (each claims its rows with
``SKIP LOCKED`` on PostgreSQL or a conditional update), so production may run this next to each
worker or replace it with cron entries calling the same commands. A failing job is logged and
retried at its next slot; it never stops the others.

``anchor-logs`` (verify the audit chain from its last verified head, then anchor the audit
chain, the personal-data access log and the exchange message log) runs at start, every
``SIFA_ANCHOR_INTERVAL_MINUTES``, and once more when SIGTERM/SIGINT stops the scheduler, so the
last events before a shutdown or a deploy are anchored too.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass, field
from types import FrameType

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand

logger = logging.getLogger("sifa.scheduler")


@dataclass
class Job:
    command: str
    every_seconds: int
    next_run: float = field(default=0.0)


# Command, interval. Names are the management commands of the apps that own the work (a command
# and its subcommand, separated by a space).
TIMETABLE: list[tuple[str, int]] = [
    ("deliver-notifications", 60),  # outbox sweep: deliveries whose task was lost or is due for retry
    ("pre-review-pending", 300),  # automatic pre-reviews whose task was lost
    ("apply-deemed-acceptance", 900),  # 行政许可法 §32: no notice within 5 working days
    ("refresh-deadlines", 900),  # warning levels of statutory clocks
    ("refresh-workitems", 900),  # warning levels and due dates in worklists
    ("issue-pending-documents", 120),  # notices, decision letters and licences whose task failed or was lost
    ("remind-judicial-confirmation", 3600),  # 人民调解法 §33: a week before the 30 days end
    ("escalate-consultations", 900),  # 12348: tickets unanswered past their due date go up a level
    ("escalate-rectifications", 900),  # 好差评: rectifications of a 差评 past their due date go up a level
    ("roll-up-indicators", 60),  # 绩效考核: fold the pending deltas into the monthly roll-ups
    ("escalate-complaints", 900),  # 投诉举报: complaints not replied to by their due date, to the level above
    ("chain-exchange-log", 60),  # 数据交换: chain the message-log rows no batch has chained yet
    ("relay-exchange-outbox", 60),  # 数据交换: send due outbox messages, alerts, dead letters at 24 h
    ("chain-access-log", 60),  # 安全审计: chain the personal-data access-log rows written since
    ("security detect", 60),  # 安全监测: security events and incidents, within a minute of the facts
    ("privacy purge", 86400),  # 个人信息保护: the retention table, expired rows deleted or de-identified
    ("security weekly-report", 3600),
    (
        "build-open-data",
        120,
    ),  # 开放数据: the files of a changed catalogue, built before the first download  # 安全周报: last week's report, written once per jurisdiction
]

ANCHOR_JOB = "anchor-logs"
"""Verify and anchor the logs: every SIFA_ANCHOR_INTERVAL_MINUTES, and on shutdown."""


def available_jobs() -> list[Job]:
    installed = get_commands()
    timetable = [*TIMETABLE, (ANCHOR_JOB, settings.ANCHOR_INTERVAL_MINUTES * 60)]
    return [Job(name, every) for name, every in timetable if name.split()[0] in installed]


def run_job(name: str) -> bool:
    """Run one job; a failure is logged, never raised (it must not stop the others)."""
    try:
        call_command(*name.split(), verbosity=0)
    except Exception:  # one failing job must not stop the others
        logger.exception("periodic job %s failed", name)
        return False
    return True


class Command(BaseCommand):
    help = (
        "Run periodic jobs (notification delivery, deadline warnings, §32 deemed acceptance) until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")

    def handle(self, *args, **options):
        jobs = available_jobs()
        stop: list[int] = []

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.append(signum)

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        self.stdout.write("scheduler: " + ", ".join(f"{j.command}/{j.every_seconds}s" for j in jobs))
        try:
            while not stop:
                now = time.monotonic()
                for job in jobs:
                    if stop or job.next_run > now:
                        continue
                    run_job(job.command)
                    job.next_run = time.monotonic() + job.every_seconds
                if options["once"]:
                    return
                time.sleep(1.0)
            # Stopped by a signal: anchor what was written since the last slot, then exit.
            if any(job.command == ANCHOR_JOB for job in jobs):
                self.stdout.write("scheduler: stopping, anchoring the logs first")
                run_job(ANCHOR_JOB)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
