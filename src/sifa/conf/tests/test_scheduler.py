"""The periodic-job scheduler runs every installed job once with --once."""

import pytest
from django.core.management import call_command

from sifa.conf.management.commands import scheduler


@pytest.mark.django_db
def test_scheduler_runs_each_available_job_once(monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(scheduler, "call_command", lambda name, **kw: ran.append(name))
    call_command("scheduler", "--once")
    expected = [job.command for job in scheduler.available_jobs()]
    assert ran == expected
    assert "deliver-notifications" in expected


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others(monkeypatch):
    ran = []

    def fake(name, **kw):
        ran.append(name)
        if len(ran) == 1:
            raise RuntimeError("boom")

    monkeypatch.setattr(scheduler, "call_command", fake)
    call_command("scheduler", "--once")
    assert len(ran) == len(scheduler.available_jobs()) >= 2
