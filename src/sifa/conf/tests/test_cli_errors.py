"""`sifa <command>` with missing configuration: a Chinese message and exit status 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3]


def _sifa(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SIFA_", "DATABASE_URL", "DJANGO_"))}
    clean |= {"PYTHONPATH": str(SRC), "SIFA_VAR_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "sifa", *args], env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "配置不完整：SIFA_SECRET_KEY"),  # production mode without its secrets
        ({"SIFA_DEBUG": "1"}, "数据库尚未初始化"),  # a fresh SQLite file, never migrated
        ({"SIFA_DEBUG": "1", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}, "无法连接数据库"),
    ],
)
def test_missing_configuration_is_a_chinese_message_not_a_traceback(tmp_path, env, expected):
    result = _sifa(tmp_path, "audit", "verify", **env)  # any command that reads the database
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert "--traceback" in result.stderr  # how to see the details


def test_traceback_flag_still_shows_the_traceback(tmp_path):
    result = _sifa(tmp_path, "audit", "--traceback", "verify", SIFA_DEBUG="1")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_a_refused_command_says_so_in_chinese_with_its_exit_status(tmp_path):
    """A command's own refusal (``CommandError``, a Chinese message) starts with 错误：, not with
    Django's English ``CommandError:``; the exit status stays 1 and there is no traceback."""
    result = _sifa(tmp_path, "escalate-rectifications", "--date", "2026-13-01", SIFA_DEBUG="1")
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == "错误：--date 应为 YYYY-MM-DD 格式的日期"
    assert "CommandError" not in result.stderr and "Traceback" not in result.stderr


def test_a_refused_command_keeps_the_traceback_when_asked(tmp_path):
    result = _sifa(tmp_path, "escalate-rectifications", "--traceback", "--date", "x", SIFA_DEBUG="1")
    assert result.returncode == 1 and "Traceback" in result.stderr
    assert "CommandError: --date 应为 YYYY-MM-DD 格式的日期" in result.stderr


def test_a_refusal_keeps_the_exit_status_the_command_chose(capsys):
    from django.core.management import BaseCommand, CommandError

    from sifa.__main__ import refusing_in_chinese

    class Refusing(BaseCommand):
        requires_system_checks = []

        def handle(self, *args, **options):
            raise CommandError("演示数据已存在", returncode=3)

    with pytest.raises(SystemExit) as done:
        refusing_in_chinese(Refusing()).run_from_argv(["sifa", "refusing"])
    assert done.value.code == 3
    assert capsys.readouterr().err == "错误：演示数据已存在\n"
