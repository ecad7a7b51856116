"""``sifa run`` starts the web server, the worker and the scheduler; in development also the
outbox relay (``sifa exchange relay --loop``) and the partner simulators, and says so."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from sifa.conf.management.commands import run


@pytest.fixture
def started(monkeypatch):
    """Run ``sifa run --no-load`` without migrating or starting anything: the children it would
    supervise are recorded."""
    children: list[run.Child] = []
    monkeypatch.setattr(run, "call_command", lambda *args, **kwargs: None)
    monkeypatch.setattr(run, "supervise", lambda given: children.extend(given) or 0)

    def start(debug: bool) -> tuple[list[run.Child], str]:
        from django.conf import settings

        monkeypatch.setattr(settings, "DEBUG", debug)
        out = StringIO()
        call_command("run", "--no-load", "--port", "8123", stdout=out)
        return children, out.getvalue()

    return start


def test_development_starts_the_relay_next_to_the_worker_and_the_scheduler(started):
    children, out = started(debug=True)
    names = [child.name for child in children]
    assert names[:4] == ["web", "worker", "scheduler", "exchange-relay"]
    assert any(name.startswith("partner-sim-") for name in names)
    relay = next(child for child in children if child.name == "exchange-relay")
    assert relay.argv[-3:] == ["exchange", "relay", "--loop"]
    assert "发件箱转发进程" in out and "随服务一起停止" in out


def test_production_starts_no_relay_nor_simulators(started):
    children, out = started(debug=False)
    assert [child.name for child in children] == ["web", "worker", "scheduler"]
    assert "发件箱转发进程" not in out
