"""A private PostgreSQL cluster for tests that must stop, crash or restore a database server: made
with ``initdb`` in a temporary folder, on a free port, run as the ``postgres`` OS user when the
tests run as root (as CI does). The machine's shared PostgreSQL is never touched.

Used by the restore drill (``tests/test_restore_drill.py``, R4) and the crash test
(``tests/security/test_r1_r2_crash_submit.py``, R2). Tests skip when :func:`pg_bin` finds no
server programs.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

STEP_TIMEOUT = 240


def pg_bin() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (``SIFA_PG_BIN_DIR``, the newest Debian version,
    or the ``PATH``), or None."""
    configured = os.environ.get("SIFA_PG_BIN_DIR")
    if configured:
        return Path(configured)
    root = Path("/usr/lib/postgresql")
    versions = (
        sorted((int(p.name) for p in root.glob("*") if p.name.isdigit()), reverse=True)
        if root.is_dir()
        else []
    )
    for version in versions:
        if (root / str(version) / "bin" / "initdb").is_file():
            return root / str(version) / "bin"
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def server_programs() -> Path | None:
    """:func:`pg_bin` when it holds ``initdb`` and ``pg_ctl``, else None (the caller skips)."""
    bin_dir = pg_bin()
    if bin_dir is None or not (bin_dir / "initdb").is_file() or not (bin_dir / "pg_ctl").is_file():
        return None
    return bin_dir


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def owned_folder(path: Path, run_as: str | None) -> Path:
    path.mkdir(mode=0o700)
    if run_as:
        shutil.chown(path, run_as, run_as)
    return path


def connect(port: int, dbname: str = "sifa"):
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname=dbname, autocommit=True)


class Cluster:
    """A private PostgreSQL cluster in a temporary folder, run as ``postgres`` when we are root."""

    def __init__(self, bin_dir: Path, datadir: Path, port: int) -> None:
        self.bin_dir, self.datadir, self.port = bin_dir, datadir, port
        self.run_as = "postgres" if os.geteuid() == 0 else None

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False)
        if result.returncode != 0:
            pytest.fail(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def init(self, settings: str = "") -> None:
        """``initdb`` (trust on loopback, UTF8, C locale), listening on 127.0.0.1:``port`` only,
        with ``settings`` appended to its ``postgresql.conf``."""
        owned_folder(self.datadir, self.run_as)
        self.run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C", "-N")  # fmt: skip
        with (self.datadir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.datadir}'\n{settings}"
            )

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"), "-w", "start")

    def restart_immediate(self) -> None:
        """A database crash: every backend ends at once (no checkpoint), then crash recovery."""
        self.run(
            "pg_ctl", "-D", str(self.datadir), "-l", str(self.datadir / "server.log"), "-m", "immediate",
            "-w", "restart",
        )  # fmt: skip

    def create_database(self, name: str, template: str = "template0") -> None:
        from contextlib import closing

        with closing(connect(self.port, "postgres")) as admin:
            admin.execute(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE {template}")

    def url(self, dbname: str = "sifa") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        if (self.datadir / "postmaster.pid").exists():
            command = [str(self.bin_dir / "pg_ctl"), "-D", str(self.datadir), "stop", "-m", "immediate", "-w"]
            if self.run_as:
                command = ["runuser", "-u", self.run_as, "--", *command]
            subprocess.run(command, capture_output=True, timeout=60, check=False)
