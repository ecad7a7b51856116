"""`sifa serve`: the production-style WSGI server (granian) in front of Sifa.

Granian was picked over gunicorn (see DEPENDENCIES.md: "measure"): it is already a dependency, is
faster on the bare and write paths on this machine class, and stops cleanly on Ctrl-C/SIGTERM
(workers drained, exit status 0). Static files are served by WhiteNoise from STATIC_ROOT, so run
``sifa collectstatic --noinput`` first (``sifa run`` does it).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sifa.conf.env import env


def granian_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The command line that runs Sifa's WSGI application under granian."""
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
        "--backpressure",
        str(threads),
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

    def handle(self, *args: Any, **options: Any) -> None:
        if not os.path.isdir(settings.STATIC_ROOT):
            self.stderr.write(
                self.style.WARNING(
                    f"静态文件目录 {settings.STATIC_ROOT} 不存在：请先运行 sifa collectstatic --noinput"
                )
            )
        argv = granian_argv(options["host"], options["port"], options["workers"], options["threads"])
        self.stdout.write(
            f"sifa serve: http://{options['host']}:{options['port']}/ ({options['workers']} workers)"
        )
        self.stdout.flush()
        # exec, not a child process: signals from a terminal or a supervisor reach granian directly.
        os.execv(sys.executable, argv)  # noqa: S606
