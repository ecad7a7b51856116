"""`sifa serve`: the production-style WSGI server (granian) in front of Sifa.

Granian was picked over gunicorn (see DEPENDENCIES.md: "measure"): it is already a dependency, is
faster on the bare and write paths on this machine class, and stops cleanly on Ctrl-C/SIGTERM
(workers drained, exit status 0). Static files are served by WhiteNoise from STATIC_ROOT, so run
``sifa collectstatic --noinput`` first (``sifa run`` does it).

What no idle or slow client may do is hold the server (docs/performance.md, "The web server"):
granian gives every worker its own listening socket (``SO_REUSEPORT``), the kernel hands each new
connection to one of them whatever that worker's load, and a worker serves at most
``--backpressure`` *connections* at once — idle keep-alive ones included. With that budget equal
to the threads (4), four idle connections filled a worker and every visitor sent to it waited up
to 30 s (the header timeout) while the other worker sat idle; a connection that never sent a byte
was never closed at all, because ``--http auto`` waits for the protocol preface without a timer.
Hence: HTTP/1 only (TLS and HTTP/2 end at the front proxy), one header timeout that covers new,
slow and idle keep-alive connections, a connection budget far above the threads (requests beyond
the threads queue inside the worker instead of in front of it), failed workers respawned, and a
bound on how long a stop may wait for a worker.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sifa.conf.env import env

# How long granian's main process waits for a worker to finish its requests on stop before it
# kills it. Also the cure for a stop signal that reaches a worker while it is still starting (a
# respawned one, say): granian loses it and would wait for that worker for ever. Below the 15 s
# `sifa run` gives its children.
WORKERS_KILL_TIMEOUT_SECONDS = 10


def granian_argv(
    host: str,
    port: int,
    workers: int,
    threads: int,
    connections: int | None = None,
    header_timeout: int | None = None,
) -> list[str]:
    """The command line that runs Sifa's WSGI application under granian.

    ``connections`` (per worker) and ``header_timeout`` (seconds) default to
    SIFA_WEB_CONNECTIONS and SIFA_WEB_HEADER_TIMEOUT_SECONDS.
    """
    connections = env("SIFA_WEB_CONNECTIONS") if connections is None else connections
    header_timeout = env("SIFA_WEB_HEADER_TIMEOUT_SECONDS") if header_timeout is None else header_timeout
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Django code holds the GIL, so a few threads per worker saturate a core; granian's default
        # (hundreds of threads) would also open hundreds of persistent database connections.
        "--blocking-threads",
        str(threads),
        # A budget of *connections* per worker, idle keep-alive ones included: far above the threads,
        # so idle clients cannot fill it; requests beyond the threads wait inside the worker.
        "--backpressure",
        str(max(connections, threads)),
        # HTTP/1 only: with `auto`, a connection that never sends a byte is never timed out.
        "--http",
        "1",
        "--http1-header-read-timeout",
        str(min(max(header_timeout, 1), 60) * 1000),
        "--respawn-failed-workers",
        "--workers-kill-timeout",
        str(WORKERS_KILL_TIMEOUT_SECONDS),
        "--no-ws",
        "--no-access-log",
        "sifa.conf.wsgi:application",
    ]


class Command(BaseCommand):
    help = "以生产方式启动 Web 服务（granian，WSGI；静态文件由 WhiteNoise 提供）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="0.0.0.0", help="监听地址（默认 0.0.0.0）")  # noqa: S104
        parser.add_argument("--port", type=int, default=env("PORT"), help="监听端口（默认 PORT）")
        parser.add_argument(
            "--workers", type=int, default=env("SIFA_WEB_WORKERS"), help="工作进程数（默认 SIFA_WEB_WORKERS）"
        )
        parser.add_argument(
            "--threads", type=int, default=env("SIFA_WEB_THREADS"), help="每个工作进程的线程数"
        )
        parser.add_argument(
            "--connections",
            type=int,
            default=env("SIFA_WEB_CONNECTIONS"),
            help="每个工作进程同时保持的连接数（默认 SIFA_WEB_CONNECTIONS）",
        )
        parser.add_argument(
            "--header-timeout",
            type=int,
            default=env("SIFA_WEB_HEADER_TIMEOUT_SECONDS"),
            help="未在此秒数内发完请求头的连接（含空闲的长连接）将被关闭（默认 SIFA_WEB_HEADER_TIMEOUT_SECONDS）",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not os.path.isdir(settings.STATIC_ROOT):
            self.stderr.write(
                self.style.WARNING(
                    f"静态文件目录 {settings.STATIC_ROOT} 不存在：请先运行 sifa collectstatic --noinput"
                )
            )
        argv = granian_argv(
            options["host"],
            options["port"],
            options["workers"],
            options["threads"],
            connections=options["connections"],
            header_timeout=options["header_timeout"],
        )
        self.stdout.write(
            f"sifa serve: http://{options['host']}:{options['port']}/ ({options['workers']} workers × "
            f"{options['threads']} threads, {options['connections']} connections each)"
        )
        self.stdout.flush()
        # exec, not a child process: signals from a terminal or a supervisor reach granian directly.
        os.execv(sys.executable, argv)  # noqa: S606
