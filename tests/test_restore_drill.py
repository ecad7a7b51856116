"""The restore drill (R4): back up, write more, restore to a point in between, prove what is there.

Both drills drive the real commands as an operator would, in child processes with their own
database — never the test database: ``sifa migrate``, a first audited write through a service
(``accounts.services.create_staff``: the account and its ``account.create_staff`` audit event),
``sifa backup``, more writes, ``sifa restore --to T``, then ``sifa audit verify`` on the restored
database and a look at which accounts it holds.

* SQLite: restores the backup taken before T into a new file: the first write is there, the
  second (after T) is not.
* PostgreSQL (true point-in-time restore): a private cluster made with ``initdb`` in a temporary
  folder (as the ``postgres`` OS user when the tests run as root, as CI does), archiving its WAL
  to a temporary folder on a free port; after the base backup a write 1b, then T, then write 2
  and ``pg_switch_wal()``; ``sifa restore --to T --start`` replays the archive into a second data
  directory on another port: writes 1 and 1b are there, 2 is not. Both clusters are stopped at the
  end whatever happens. Skipped only when the PostgreSQL server programs are missing.

docs/operations.md describes the drill; each uses about 45–60 s of CPU, most of it ``sifa migrate``
and the start-up of the ``sifa`` processes.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.pgcluster import Cluster, free_port, owned_folder, server_programs
from tests.pgcluster import connect as _connect

pytestmark = pytest.mark.slow(seconds=120)

SRC = Path(__file__).resolve().parents[1] / "src"
PASSWORD = "Drill-Passw0rd-2026!"
STEP_TIMEOUT = 240


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "SIFA_BACKUP_DIR", "SIFA_WAL_ARCHIVE_DIR", "PYTEST_CURRENT_TEST"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sifa.conf.test_settings",
        SIFA_VAR_DIR=str(var_dir),
        PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        **extra,
    )
    return env


def sifa(env: dict[str, str], *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "sifa", *argv], env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT
    )
    if check and result.returncode != 0:
        pytest.fail(f"sifa {' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def create_account(env: dict[str, str], username: str) -> None:
    """One committed transaction through a service: a staff account and its audit event."""
    sifa(
        env,
        "shell",
        "-c",
        "from sifa.accounts.services import create_staff; "
        f"create_staff(username={username!r}, display_name='恢复演练', password={PASSWORD!r})",
    )


def moment_between() -> str:
    """A time strictly after everything committed so far and before anything committed next."""
    time.sleep(0.2)
    moment = datetime.now(UTC).isoformat(timespec="microseconds")
    time.sleep(0.2)
    return moment


def test_sqlite_restore_drill(tmp_path: Path) -> None:
    started = time.monotonic()
    var = tmp_path / "var"
    env = _env(var)
    sifa(env, "migrate", "-v", "0")
    create_account(env, "drill-first")
    backup = sifa(env, "backup")
    assert "已备份 sqlite 数据库" in backup.stdout
    moment = moment_between()
    create_account(env, "drill-second")

    restored = tmp_path / "restored"
    result = sifa(env, "restore", "--to", moment, "--output", str(restored / "sifa.sqlite3"))
    assert "之后提交的事务不在其中" in result.stderr

    with closing(sqlite3.connect(restored / "sifa.sqlite3")) as db:
        usernames = {row[0] for row in db.execute("SELECT username FROM accounts_user")}
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert "drill-first" in usernames
    assert "drill-second" not in usernames

    verified = sifa(_env(restored), "audit", "verify")
    assert "审计链完整：共 1 条" in verified.stdout
    # The live database still holds everything, and the restore was recorded beside the backups.
    with closing(sqlite3.connect(var / "sifa.sqlite3")) as live:
        assert {"drill-first", "drill-second"} <= {
            row[0] for row in live.execute("SELECT username FROM accounts_user")
        }
    assert '"backup": "sqlite-' in (var / "backups" / "restores.jsonl").read_text()
    print(f"SQLite restore drill: {time.monotonic() - started:.1f} s")


# --- PostgreSQL ------------------------------------------------------------------------------------


def test_postgresql_point_in_time_restore_drill() -> None:
    bin_dir = server_programs()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) not installed: apt-get install postgresql")
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="sifa-drill-"))
    base.chmod(0o755)  # the postgres OS user must reach the data and archive folders
    primary = Cluster(bin_dir, base / "primary", free_port())
    restored = Cluster(bin_dir, base / "restored", free_port())
    try:
        owned_folder(primary.datadir, primary.run_as)
        archive = owned_folder(base / "wal", primary.run_as)
        primary.run("initdb", "-D", str(primary.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--locale=C", "-N")  # fmt: skip
        with (primary.datadir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {primary.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{primary.datadir}'\n"
                "wal_level = replica\narchive_mode = on\n"
                f"archive_command = 'test ! -f {archive}/%f && cp %p {archive}/%f'\n"
                "fsync = off\nfull_page_writes = on\n"
            )
        primary.run(
            "pg_ctl", "-D", str(primary.datadir), "-l", str(primary.datadir / "server.log"), "-w", "start"
        )
        with closing(_connect(primary.port, "postgres")) as admin:
            admin.execute("CREATE DATABASE sifa ENCODING 'UTF8' TEMPLATE template0")

        env = _env(
            base / "var",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{primary.port}/sifa",
            SIFA_BACKUP_DIR=str(base / "backups"),
            SIFA_WAL_ARCHIVE_DIR=str(archive),
            SIFA_PG_BIN_DIR=str(bin_dir),
        )
        sifa(env, "migrate", "-v", "0")
        assert "满足时间点恢复的要求" in sifa(env, "backup", "--check").stdout
        create_account(env, "drill-first")
        assert "已备份 postgresql 数据库" in sifa(env, "backup").stdout
        create_account(env, "drill-first-b")
        moment = moment_between()
        create_account(env, "drill-second")
        with closing(_connect(primary.port)) as db:
            segment = db.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
            deadline = time.monotonic() + 60
            while (
                db.execute("SELECT last_archived_wal FROM pg_stat_archiver").fetchone()[0] or ""
            ) < segment:
                assert time.monotonic() < deadline, f"WAL segment {segment} was not archived within 60 s"
                time.sleep(0.2)

        result = sifa(
            env,
            "restore",
            "--to",
            moment,
            "--datadir",
            str(restored.datadir),
            "--port",
            str(restored.port),
            "--start",
        )
        assert "恢复完成" in result.stderr, result.stderr
        assert "recovery stopping before commit" in result.stdout, result.stdout

        with closing(_connect(restored.port)) as db:
            assert db.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False
            usernames = {row[0] for row in db.execute("SELECT username FROM accounts_user")}
        assert {"drill-first", "drill-first-b"} <= usernames
        assert "drill-second" not in usernames

        restored_env = {**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{restored.port}/sifa"}
        verified = sifa(restored_env, "audit", "verify")
        # create_staff ×2 and the backup's own audit event, never the write after T.
        assert "审计链完整：共 3 条" in verified.stdout, verified.stdout
        with closing(_connect(primary.port)) as db:  # the running server was never touched
            assert (
                db.execute("SELECT count(*) FROM accounts_user WHERE username = 'drill-second'").fetchone()[0]
                == 1
            )
    finally:
        restored.stop()
        primary.stop()
        shutil.rmtree(base, ignore_errors=True)
    print(f"PostgreSQL point-in-time restore drill: {time.monotonic() - started:.1f} s")
