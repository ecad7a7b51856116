"""`sifa` console script and `python -m sifa`: Django's manage.py for Sifa.

Every command runs under one handler (:func:`main`): a configuration problem — a setting that must
be set, a database that cannot be reached or has not been migrated — ends in a short Chinese message
that says what to do, with exit status 2, never in a traceback. A command that refuses
(``CommandError``, whose messages are ours and Chinese) prints its message after ``错误：`` instead
of Django's English ``CommandError:`` prefix, with the command's exit status (1 unless it says
otherwise). ``--traceback`` shows the traceback as usual; any other error is a programming error
and keeps Django's traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from typing import Any

DEVELOPMENT_COMMANDS = frozenset({"demo-accounts", "demo_accounts"})
"""Commands that exist only for the development demo (they refuse to run with ``SIFA_DEBUG`` off)."""


def development_default(argv: list[str], environ: MutableMapping[str, str]) -> None:
    """`.venv/bin/sifa demo-accounts` after `make run`, exactly as the README says: `make run` sets
    ``SIFA_DEBUG=1`` for its own processes only, and without it the settings ask for production
    secrets (an English ``ImproperlyConfigured`` traceback). A development-only command run with
    neither ``SIFA_DEBUG`` nor a production secret in the environment therefore runs in development
    mode, as `make run` does: the same ``var/`` database and development keys. A deployment (one
    that sets ``SIFA_SECRET_KEY``) or an explicit ``SIFA_DEBUG=0`` is left alone, and the command
    refuses there as before."""
    if (
        len(argv) > 1
        and argv[1] in DEVELOPMENT_COMMANDS
        and "SIFA_DEBUG" not in environ
        and not environ.get("SIFA_SECRET_KEY")
    ):
        environ["SIFA_DEBUG"] = "1"


EXIT_CONFIGURATION = 2
HELP = "（加 --traceback 可查看完整的技术信息；全部配置项见 docs/configuration.md）"


def _detail(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def explain(exc: BaseException) -> str | None:
    """The Chinese message for a configuration problem, or None for anything else."""
    from django.core.exceptions import ImproperlyConfigured
    from django.db import utils as db

    detail = _detail(exc)
    if isinstance(exc, ImproperlyConfigured):
        hint = ""
        if "SIFA_DEBUG is off" in detail:
            hint = "\n开发或演示环境请在命令前加 SIFA_DEBUG=1（与 make run 相同），例如 SIFA_DEBUG=1 .venv/bin/sifa demo-accounts"
        return f"配置不完整：{detail}{hint}"
    if isinstance(exc, db.OperationalError | db.ProgrammingError):
        lowered = detail.lower()
        if "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
            return (
                f"数据库尚未初始化（缺少数据表：{detail}）。\n"
                "请先运行 .venv/bin/sifa migrate（make run 会自动执行），再重试。"
            )
        if isinstance(exc, db.OperationalError) and any(
            word in lowered
            for word in ("connection", "could not connect", "unable to open", "password", "does not exist")
        ):
            return (
                f"无法连接数据库：{detail}\n"
                "请检查 DATABASE_URL（留空则使用 SIFA_VAR_DIR 下的 SQLite 数据库）和数据库服务是否已启动。"
            )
    return None


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
    argv = list(argv if argv is not None else sys.argv)
    try:
        _run(argv)
    except Exception as exc:
        message = None if "--traceback" in argv else explain(exc)
        if message is None:
            raise
        sys.stderr.write(f"sifa: {message}\n{HELP}\n")
        sys.exit(EXIT_CONFIGURATION)


ERROR_PREFIX = "错误："
"""What a refused command's message starts with (Django's own says ``CommandError:``)."""


def refusing_in_chinese(command: Any) -> Any:
    """``command`` (a ``BaseCommand``) with its ``CommandError`` printed as ``错误：<message>`` and
    its exit status kept. Django's ``run_from_argv`` still handles ``--traceback`` (the error is
    raised again) and the system-check report (printed as it is); it closes the connections."""
    from django.core.management.base import CommandError, SystemCheckError

    execute = command.execute

    def execute_in_chinese(*args: Any, **options: Any) -> Any:
        try:
            return execute(*args, **options)
        except CommandError as exc:
            if options.get("traceback") or isinstance(exc, SystemCheckError):
                raise
            command.stderr.write(f"{ERROR_PREFIX}{exc}")
            sys.exit(exc.returncode)

    command.execute = execute_in_chinese
    return command


def _utility(argv: list[str]) -> Any:
    from django.core.management import ManagementUtility

    class Utility(ManagementUtility):
        def fetch_command(self, subcommand: str) -> Any:
            return refusing_in_chinese(super().fetch_command(subcommand))

    return Utility(argv)


def _run(argv: list[str]) -> None:
    from django.core.management import get_commands

    development_default(argv, os.environ)
    # `sifa config-docs` and `sifa config_docs` are the same command.
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        import django

        django.setup()
        if argv[1] not in get_commands() and argv[1].replace("-", "_") in get_commands():
            argv[1] = argv[1].replace("-", "_")
    _utility(argv).execute()


if __name__ == "__main__":
    main()
