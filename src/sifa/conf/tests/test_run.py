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


def test_a_simulator_never_takes_the_web_servers_port(started, monkeypatch):
    """`sifa run --port 8101` with the default ports (police=8101): the 公安 simulator used to listen
    on 127.0.0.1:8101 beside the web server, and http://localhost:8101/ answered the simulator's
    404. It now moves to a free port, and the allow-list and the children follow it."""
    import os

    from django.conf import settings

    from sifa.exchange.demo import simulator_allow_list

    ports = ["police=8123", "court=8124", "procuratorate=8125"]
    monkeypatch.setattr(settings, "PARTNER_SIM_PORTS", ports)
    monkeypatch.setattr(settings, "EXCHANGE_ENDPOINTS", simulator_allow_list(ports))
    monkeypatch.setenv("SIFA_PARTNER_SIM_PORTS", ",".join(ports))
    monkeypatch.setattr(run, "port_taken", lambda port: False)
    children, out = started(debug=True)
    argv = {child.name: child.argv for child in children}
    police = int(argv["partner-sim-police"][argv["partner-sim-police"].index("--port") + 1])
    assert police != 8123
    assert "--port" in argv["partner-sim-court"] and "8124" in argv["partner-sim-court"]
    assert f"police={police}" in os.environ["SIFA_PARTNER_SIM_PORTS"].split(",")
    assert f"http://127.0.0.1:{police}/exchange/" in " ".join(settings.EXCHANGE_ENDPOINTS)
    assert "http://127.0.0.1:8123/" not in " ".join(settings.EXCHANGE_ENDPOINTS)
    assert f"公安模拟器端口 8123 已被占用（或与 Web 服务相同），改用 {police}" in out


def test_a_simulator_port_in_use_moves_and_a_given_allow_list_is_kept(started, monkeypatch):
    from django.conf import settings

    ports = ["police=8201", "court=8202"]
    given = ["11330100002493988P=https://police.example/exchange/"]
    monkeypatch.setattr(settings, "PARTNER_SIM_PORTS", ports)
    monkeypatch.setattr(settings, "EXCHANGE_ENDPOINTS", given)
    monkeypatch.setenv("SIFA_PARTNER_SIM_PORTS", ",".join(ports))
    monkeypatch.setattr(run, "port_taken", lambda port: port == 8202)
    children, out = started(debug=True)
    court = next(child for child in children if child.name == "partner-sim-court").argv
    assert court[court.index("--port") + 1] not in ("8202", "8123")
    assert settings.EXCHANGE_ENDPOINTS == given
    assert "法院模拟器端口 8202" in out
