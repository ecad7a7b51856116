"""`make run` on a fresh machine: the address it gives the app, the Debian packages it needs, and
`.venv/bin/sifa demo-accounts` run beside it exactly as the README says.

The Makefile's recipes run for real with stand-ins on ``PATH`` / ``BIN`` (a ``sifa`` that records
how it was started; ``dpkg-query``, ``apt-get`` and ``id`` that report a missing package and who
runs): nothing is installed, migrated or served.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sifa

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def _make(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "-C", str(ROOT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SIFA_", "PORT"))}
    return {**env, **extra}


@pytest.fixture
def stub_bin(tmp_path: Path) -> Path:
    """A BIN whose ``sifa`` records its public URL, debug flag and arguments, and a STAMP newer than
    the lock, so the recipe goes straight to ``sifa run``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _script(bin_dir / "sifa", f'echo "$SIFA_PUBLIC_URL|$SIFA_DEBUG|$*" > {tmp_path}/started')
    (bin_dir / "stamp").touch()
    return bin_dir


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"PORT": "8765"}, "http://localhost:8765|1|run --port 8765"),
        ({}, "http://localhost:8000|1|run --port 8000"),
        (
            {"PORT": "8765", "SIFA_PUBLIC_URL": "https://sifa.example.gov.cn"},
            "https://sifa.example.gov.cn|1|run --port 8765",
        ),
    ],
)
def test_make_run_gives_the_app_the_address_it_serves_on(tmp_path, stub_bin, given, expected):
    """QR codes, printed verification addresses, the guide's 网上办理地址 and notification links come
    from SIFA_PUBLIC_URL: `PORT=8765 make run` serves on :8765 and says so; a given address wins."""
    done = _make(
        tmp_path,
        "run",
        f"BIN={stub_bin}",
        f"STAMP={stub_bin}/stamp",
        "RUNTIME_DEBS=",
        env=_clean_env(tmp_path, **given),
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "started").read_text().strip() == expected


@pytest.fixture
def fake_debian(tmp_path: Path):
    """``dpkg-query`` says every package is missing; ``apt-get`` logs what it was asked."""
    path = tmp_path / "path"
    path.mkdir()
    _script(path / "dpkg-query", "exit 1")
    _script(path / "apt-get", f'echo "$*" >> {tmp_path}/apt.log')

    def run(uid: int) -> subprocess.CompletedProcess[str]:
        _script(path / "id", f"echo {uid}")
        env = _clean_env(tmp_path, PATH=f"{path}:{os.environ['PATH']}")
        return _make(tmp_path, "runtime-debs", "RUNTIME_DEBS=fonts-noto-cjk libharfbuzz-subset0", env=env)

    return run


def test_make_run_as_root_installs_the_missing_runtime_packages_quietly(tmp_path, fake_debian):
    done = fake_debian(0)
    assert done.returncode == 0, done.stderr
    log = (tmp_path / "apt.log").read_text()
    assert "install -y -qq --no-install-recommends fonts-noto-cjk libharfbuzz-subset0" in log
    assert "安装运行所需的 Debian 软件包" in done.stdout


def test_make_run_as_a_user_names_the_missing_packages_and_installs_nothing(tmp_path, fake_debian):
    done = fake_debian(1000)
    assert done.returncode == 0
    assert not (tmp_path / "apt.log").exists()
    assert "sudo apt-get install fonts-noto-cjk libharfbuzz-subset0" in done.stderr


def test_the_makefile_names_the_packages_the_app_needs_at_run_time():
    makefile = (ROOT / "Makefile").read_text()
    line = next(row for row in makefile.splitlines() if row.startswith("RUNTIME_DEBS ?="))
    assert {"fonts-noto-cjk", "libharfbuzz-subset0"} <= set(line.split("=", 1)[1].split())


def test_sifa_demo_accounts_beside_make_run_needs_no_settings_and_answers_in_chinese(tmp_path):
    """README: once `make run` is up, `.venv/bin/sifa demo-accounts` lists the demo logins. Run with
    nothing set (as from another terminal), it reaches the database instead of asking for production
    secrets in an English traceback; without a database yet it says so in Chinese."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SIFA_", "DJANGO_", "DATABASE_URL", "PYTEST", "COV_"))
    }
    env.update(PYTHONPATH=str(Path(sifa.__file__).resolve().parents[1]), SIFA_VAR_DIR=str(tmp_path / "var"))
    done = subprocess.run(
        [sys.executable, "-m", "sifa", "demo-accounts"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "ImproperlyConfigured" not in done.stderr
    assert "尚未建立数据库" in done.stderr and "make run" in done.stderr
    assert done.stderr.startswith("错误：") and "CommandError" not in done.stderr
    assert not (tmp_path / "var" / "sifa.sqlite3").exists()  # asking left no empty database behind


def test_a_deployment_or_an_explicit_debug_off_keeps_its_mode():
    from sifa.__main__ import development_default

    for environ in ({"SIFA_SECRET_KEY": "x" * 64}, {"SIFA_DEBUG": "0"}):
        before = dict(environ)
        development_default(["sifa", "demo-accounts"], environ)
        assert environ == before
    plain: dict[str, str] = {}
    development_default(["sifa", "migrate"], plain)
    assert plain == {}  # only the demo's own commands
    development_default(["sifa", "demo-accounts", "--json"], plain)
    assert plain == {"SIFA_DEBUG": "1"}
