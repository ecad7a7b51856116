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


def test_the_public_address_is_this_server_unless_one_is_given(started, monkeypatch):
    """`sifa run --port 8123` with no SIFA_PUBLIC_URL: the demo licences its loaders issue and every
    child it starts use http://localhost:8123 (QR codes, verification addresses, notification links)."""
    import os

    from django.conf import settings

    monkeypatch.delenv("SIFA_PUBLIC_URL", raising=False)
    monkeypatch.setattr(settings, "PUBLIC_URL", settings.PUBLIC_URL)
    monkeypatch.setattr(settings, "ALLOWED_HOSTS", list(settings.ALLOWED_HOSTS))
    _children, out = started(debug=True)
    assert os.environ["SIFA_PUBLIC_URL"] == settings.PUBLIC_URL == "http://localhost:8123"
    assert "http://localhost:8123/（SIFA_PUBLIC_URL）" in out

    assert run.public_url(8123, {"SIFA_PUBLIC_URL": "http://192.168.1.5:8123/"}) == "http://192.168.1.5:8123"
    run.use_public_url("http://192.168.1.5:8123")
    assert "192.168.1.5" in settings.ALLOWED_HOSTS  # a phone on the same network may open the QR code
