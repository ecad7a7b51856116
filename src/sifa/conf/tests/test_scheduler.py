"""The periodic-job scheduler runs every installed job once with --once, anchors the logs every
SIFA_ANCHOR_INTERVAL_MINUTES and once more when a stop signal arrives."""

import os
import signal

import pytest
from django.core.management import call_command

from sifa.conf.management.commands import scheduler


@pytest.mark.django_db
def test_scheduler_runs_each_available_job_once(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(scheduler, "call_command", lambda *name, **kw: ran.append(" ".join(name)))
    call_command("scheduler", "--once")
    expected = [job.command for job in scheduler.available_jobs()]
    assert ran == expected
    assert "deliver-notifications" in expected


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(monkeypatch):
    ran = []

    def fake(*name, **kw):
        ran.append(" ".join(name))
        if len(ran) == 1:
            raise RuntimeError("boom")

    monkeypatch.setattr(scheduler, "call_command", fake)
    call_command("scheduler", "--once")
    assert len(ran) == len(scheduler.available_jobs()) >= 2


def test_the_logs_are_anchored_every_interval(settings):
    settings.ANCHOR_INTERVAL_MINUTES = 45
    jobs = {job.command: job.every_seconds for job in scheduler.available_jobs()}
    assert jobs[scheduler.ANCHOR_JOB] == 45 * 60
    assert jobs["chain-access-log"] == 60
    assert jobs["security detect"] == 60  # incidents within a minute of the facts
    assert jobs["privacy purge"] == 24 * 3600  # the retention table, daily (docs/privacy.md)


@pytest.mark.django_db
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_anchors_the_logs_before_exiting(monkeypatch, signum):
    """SIGTERM/SIGINT during the loop: the current pass ends, ``anchor-logs`` runs once more, and
    the scheduler returns (no sleeping: the signal is sent from the first sleep)."""
    ran = []
    monkeypatch.setattr(scheduler, "call_command", lambda *name, **kw: ran.append(" ".join(name)))
    monkeypatch.setattr(scheduler.time, "sleep", lambda seconds: os.kill(os.getpid(), signum))
    before = signal.getsignal(signum)
    call_command("scheduler")
    every = [job.command for job in scheduler.available_jobs()]
    assert ran == [*every, scheduler.ANCHOR_JOB]  # each job once, then the shutdown anchor
    assert signal.getsignal(signum) is before  # the previous handler is back


@pytest.mark.django_db
def test_anchor_logs_verifies_and_anchors_all_three_logs(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    from sifa.audit.chain import read_status
    from sifa.audit.services import record

    record("test.step")
    call_command("anchor-logs", verbosity=0)
    for folder in ("audit-anchors", "access-anchors", "exchange-anchors"):
        assert (tmp_path / folder / "anchors.jsonl").read_text().count("\n") == 1, folder
    status = read_status(tmp_path / "audit-anchors" / "last-verified.json")
    assert status["ok"] is True and status["seq"] == 1 and status["anchored_at"]
    # The next run walks only what came since the verified head, and anchors again.
    record("test.step")
    call_command("anchor-logs", verbosity=0)
    assert read_status(tmp_path / "audit-anchors" / "last-verified.json")["seq"] == 2
