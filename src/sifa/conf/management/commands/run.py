"""`sifa run`: prepare the database, then run the web server and the task worker together.

Used by ``make run``. Steps: ``migrate``; the data loaders that exist (each is idempotent and fast
when already done); ``collectstatic``; then the child processes — ``sifa serve``,
``sifa db_worker`` and ``sifa scheduler``; in development also ``sifa exchange relay --loop`` and the
partner simulators — supervised as one unit: Ctrl-C (SIGINT) or SIGTERM stops them all cleanly, and
if one child exits on its own the others are stopped and ``sifa run`` exits non-zero, so a
supervisor (or the developer) notices instead of running half a system. A web *worker* that dies is
not such an exit: granian respawns it inside ``sifa serve`` and the site stays up. The partner simulators are
the exception: they stand in for outside systems, and when one stops (or is stopped to show a
partner that is down) it is reported and the rest run on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from sifa.conf.env import env

# Loaders run in this order (regions before the organisations built from them; demo data last).
# Each entry lists the accepted spellings, so the name style of each app does not matter.
LOADERS: list[tuple[str, ...]] = [
    ("import-regions", "import_regions"),
    ("build-organisations", "build_organisations"),
    ("seed-calendar", "seed_calendar"),
    ("load-laws", "load_laws"),  # the law library's built-in sample (docs/laws.md)
    ("load-catalogue", "load_catalogue"),
    ("load-licence-types", "load_licence_types"),
    ("load-faq", "load_faq"),  # the starter knowledge base: cites load-laws' articles, load-catalogue's items
]
DEMO_LOADER: tuple[str, ...] = ("load-demo", "load_demo")
DEMO_CASES_LOADER: tuple[str, ...] = ("load-demo-cases", "load_demo_cases")
PARTNER_KIND_NAMES = {"police": "公安", "court": "法院", "procuratorate": "检察院"}


def simulator_children(port: int) -> list[Child]:
    """Development: one ``sifa partner-sim`` per entry of SIFA_PARTNER_SIM_PORTS, on loopback,
    fetching Sifa's public keys from this server (docs/exchange.md, "Partner simulators")."""
    from sifa.exchange.demo import simulator_ports

    sifa = [sys.executable, "-m", "sifa"]
    return [
        Child(
            f"partner-sim-{kind}",
            [
                *sifa,
                "partner-sim",
                "--as",
                kind,
                "--port",
                str(sim_port),
                "--sifa",
                f"http://127.0.0.1:{port}",
            ],
            optional=True,
        )
        for kind, sim_port in simulator_ports(settings.PARTNER_SIM_PORTS).items()
    ]


def port_taken(port: int) -> bool:
    """Whether something already listens on ``port`` of loopback (a bind there is refused)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def free_port(avoid: set[int]) -> int:
    """A loopback port the system gives out as free, not one of ``avoid``."""
    import socket

    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in avoid:
            return port


def place_simulators(web_port: int) -> dict[str, tuple[int, int]]:
    """Development: move a partner simulator off the web server's own port, or off a port something
    else already listens on, to a free loopback port, before anything reads the allow-list.

    ``sifa run --port 8101`` with the default SIFA_PARTNER_SIM_PORTS (police=8101) started the
    公安 simulator on 127.0.0.1:8101 beside the web server on 0.0.0.0:8101: every request to
    ``http://localhost:8101/`` reached the simulator and answered ``{"code": "not_found"}``. The
    new ports replace SIFA_PARTNER_SIM_PORTS (and the allow-list derived from it, unless
    SIFA_EXCHANGE_ENDPOINTS is given) in this process and in every child it starts. Returns the
    moves, ``{kind: (old, new)}``."""
    from sifa.exchange.demo import simulator_allow_list, simulator_ports

    ports = simulator_ports(settings.PARTNER_SIM_PORTS)
    taken = {web_port}
    moves: dict[str, tuple[int, int]] = {}
    for kind, port in ports.items():
        if port in taken or port_taken(port):
            moves[kind] = (port, free_port(taken | set(ports.values())))
            ports[kind] = moves[kind][1]
        taken.add(ports[kind])
    if moves:
        entries = [f"{kind}={port}" for kind, port in ports.items()]
        os.environ["SIFA_PARTNER_SIM_PORTS"] = ",".join(entries)
        derived = simulator_allow_list(settings.PARTNER_SIM_PORTS)
        if sorted(settings.EXCHANGE_ENDPOINTS) == sorted(derived):  # not given: derived from the ports
            settings.EXCHANGE_ENDPOINTS = simulator_allow_list(entries)
        settings.PARTNER_SIM_PORTS = entries
    return moves


def relay_child() -> Child:
    """Development: ``sifa exchange relay --loop`` sends the outbox within a second (the
    scheduler's pass every minute stays as the fallback; docs/exchange.md, "The outbox relay")."""
    return Child("exchange-relay", [sys.executable, "-m", "sifa", "exchange", "relay", "--loop"])


def web_child(port: int) -> Child:
    """``sifa serve``: granian respawns a web worker that dies (a crash, an OOM kill), so the child
    ``sifa run`` watches stays up and the site with it (docs/performance.md, "The web server")."""
    return Child("web", [sys.executable, "-m", "sifa", "serve", "--port", str(port)])


STOP_TIMEOUT_SECONDS = 15.0


def public_url(port: int, environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The address QR codes, printed verification addresses, the guide's 网上办理地址 and notification
    links carry: ``SIFA_PUBLIC_URL`` when given (``make run`` derives it from ``PORT``; a proxy's
    address in front of a deployment), else this server on ``port`` (docs/configuration.md)."""
    given = (environ.get("SIFA_PUBLIC_URL") or "").strip().rstrip("/")
    return given or f"http://localhost:{port}"


def use_public_url(url: str) -> None:
    """Make ``url`` the public address of this process (the loaders it runs issue the demo
    licences, whose QR codes carry it) and of every child it starts (they inherit the variable)."""
    from urllib.parse import urlsplit

    os.environ["SIFA_PUBLIC_URL"] = url
    settings.PUBLIC_URL = url
    host = urlsplit(url).hostname
    if host and host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, host]


def find_command(spellings: tuple[str, ...]) -> str | None:
    """The installed management command matching one of ``spellings``, if any."""
    available = get_commands()
    return next((name for name in spellings if name in available), None)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    optional: bool = False
    """A stand-in for an outside system (a partner simulator): when it exits, the rest run on,
    as Sifa does when a real partner is down."""

    def start(self) -> None:
        # A process group of its own: a terminal's Ctrl-C reaches only `sifa run`, which then
        # stops the children in order, instead of every process racing on the same signal.
        self.process = subprocess.Popen(self.argv, process_group=0)  # noqa: S603

    def poll(self) -> int | None:
        assert self.process is not None
        return self.process.poll()

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    def wait_or_kill(self, deadline: float) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait()


def supervise(children: list[Child], poll_seconds: float = 0.2) -> int:
    """Run ``children`` until a signal arrives or one of them exits; return the exit status.

    0 when stopped by SIGINT/SIGTERM and every child shut down cleanly; otherwise 1.
    """
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in children:
            child.start()
        died: Child | None = None
        gone: set[str] = set()
        while not received and died is None:
            for child in children:
                if child.poll() is None or child.name in gone:
                    continue
                if not child.optional:
                    died = child
                    break
                gone.add(child.name)
                sys.stderr.write(
                    f"sifa run: {child.name} 已退出（状态 {child.poll()}），其余进程继续运行；"
                    f"可另行启动：sifa {' '.join(child.argv[3:])}\n"
                )
            if died is None:
                time.sleep(poll_seconds)
        stop_signal = received[0] if received else signal.SIGTERM
        for child in children:
            child.signal(stop_signal)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        codes = {child.name: child.wait_or_kill(deadline) for child in children}
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if died is not None:
        sys.stderr.write(f"sifa run: {died.name} 意外退出（状态 {codes[died.name]}），已停止其余进程。\n")
        return 1
    # A child stopped by our own forwarded signal reports -signum or 0; both are a clean stop. An
    # optional child that had already exited was reported then.
    failed = {
        name: code for name, code in codes.items() if code not in (0, -stop_signal) and name not in gone
    }
    if failed:
        sys.stderr.write(f"sifa run: 停止时出错 {failed}\n")
        return 1
    return 0


class Command(BaseCommand):
    help = "迁移数据库、加载基础数据、收集静态文件，然后同时运行 Web 服务与后台任务进程（Ctrl-C 停止）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=env("PORT"), help="Web 服务端口（默认 PORT）")
        parser.add_argument("--no-load", action="store_true", help="跳过基础数据与演示数据加载")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        address = public_url(options["port"])
        use_public_url(address)
        moved = place_simulators(options["port"]) if settings.DEBUG else {}
        for kind, (old, new) in moved.items():
            self.stdout.write(
                f"sifa run: {PARTNER_KIND_NAMES[kind]}模拟器端口 {old} 已被占用（或与 Web 服务相同），改用 {new}"
            )
        call_command("migrate", interactive=False, verbosity=verbosity)
        if not options["no_load"]:
            self._load(verbosity)
        call_command("collectstatic", interactive=False, verbosity=0)
        # The children open their own connections; keep none idle in the supervisor.
        connections.close_all()

        sifa = [sys.executable, "-m", "sifa"]
        children = [
            web_child(options["port"]),
            # One worker: enough for development and the only safe choice on SQLite.
            Child("worker", [*sifa, "db_worker", "--queue-name", "*", "--no-reload"]),
            Child("scheduler", [*sifa, "scheduler"]),
        ]
        simulators = simulator_children(options["port"]) if settings.DEBUG else []
        relay = [relay_child()] if settings.DEBUG and find_command(("exchange",)) else []
        children += relay + simulators
        self.stdout.write(
            f"sifa run: http://localhost:{options['port']}/ — Ctrl-C 停止；"
            f"二维码、核验地址和通知链接使用 {address}/（SIFA_PUBLIC_URL）"
        )
        if relay:
            self.stdout.write(
                "sifa run: 数据交换发件箱转发进程（exchange relay --loop，每秒一轮），随服务一起停止"
            )
        if simulators:
            from sifa.exchange.demo import simulator_ports

            listed = "，".join(
                f"{PARTNER_KIND_NAMES[kind]} :{sim_port}"
                for kind, sim_port in simulator_ports(settings.PARTNER_SIM_PORTS).items()
            )
            self.stdout.write(f"sifa run: 交换伙伴模拟器（演示）{listed}，随服务一起停止")
        self.stdout.flush()
        status = supervise(children)
        if status:
            raise CommandError("sifa run 异常结束", returncode=status)

    def _load(self, verbosity: int) -> None:
        loaders = list(LOADERS)
        if settings.DEBUG:
            loaders.append(DEMO_LOADER)  # demo accounts exist only in development
            loaders.append(DEMO_CASES_LOADER)  # their licences, issued through the real workflow
        for spellings in loaders:
            name = find_command(spellings)
            if name is None:
                self.stdout.write(f"sifa run: 跳过 {spellings[0]}（命令尚不存在）")
                continue
            call_command(name, verbosity=verbosity)
        if settings.DEBUG and find_command(("exchange",)):
            # The demo partners and their keys, which the partner simulators sign with.
            call_command("exchange", "load-partners", verbosity=verbosity)
