"""R1 and R2 (issue 14 point 6; security.md §6): no submission is lost or duplicated when the web
server, or the database, dies in the middle of 1,000 idempotent submissions.

The operation is the one citizens and integrating systems use to apply: ``POST /api/v1/applications/``
(create and submit in one call) with an ``Idempotency-Key``. Eight client threads send 1,000 of
them, each with its own key and a form whose address names it (``北山街道{run}弄{i}号``), so each
submission is found in the database without the idempotency records. A client retries with the
SAME key and body on a connection error, a timeout, a 5xx or ``idempotency.in_progress`` (409),
until a 201 comes back — the acknowledgement.

* **R1** — ``sifa serve --workers 2`` on the test database. During the run a web worker is
  SIGKILLed 17 times and the whole server process group 3 times (then started again on the same
  port). Worker kills aim at the dangerous moment: every worker is stopped (SIGSTOP), and if the
  database holds a submission its client has not been answered for, the worker holding that
  client's connection (found through ``/proc``) is the one killed — committed, never answered,
  the retry must get the first answer again. With no such moment within a few tries, a random
  worker is killed.
* **R2** — the same on a private PostgreSQL cluster (``tests.pgcluster``: ``initdb`` in a
  temporary folder, a free port; the machine's PostgreSQL is never touched), with 10 ×
  ``pg_ctl restart -m immediate`` (a database crash) and 10 worker kills.

After each run: every acknowledged submission exists with the number it was answered with
(**0 lost**), one application per key (**0 duplicates**), one ``application.submit`` audit event
and one ``application.submitted`` notification (the notification outbox) per application
(**outbox and audit 1:1**), the audit chain verifies, and every submission was acknowledged in the
end (the site stayed up).

**Mutation switch**: the same run, smaller (100 submissions), against a server whose settings
module (written to the test's folder) replaces the idempotency control with one that ignores the
key (``CRASH_SUBMIT_MUTANT=1``): the check must report duplicates.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tests.pgcluster import Cluster, connect, free_port, server_programs
from tests.security import crash_world

pytestmark = pytest.mark.slow(seconds=150)

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
SUBMISSIONS = 1000
MUTANT_SUBMISSIONS = 200
CLIENTS = 8
START_TIMEOUT = 90.0
RUN_TIMEOUT = 900.0  # the clients give up after this: a loaded 2-core machine needs ~6 min for R1
URL = "/api/v1/applications/"
AIM_TRIES = 12  # stops of both workers looking for a committed, unanswered submission

SERVER_SETTINGS = """\
import os

from sifa.conf.test_settings import *  # noqa: F403

{database}
# As production: background work is queued in the database, not run inside the request.
TASKS = {{"default": {{"BACKEND": "django_tasks_db.DatabaseBackend"}}}}
MEDIA_ROOT = {media!r}
if os.environ.get("CRASH_SUBMIT_MUTANT") == "1":  # the mutation switch
    MIDDLEWARE = ["crash_mutant.IgnoreIdempotencyKey", *MIDDLEWARE]  # noqa: F405
"""

MUTANT = '''\
from django.db import transaction


class IgnoreIdempotencyKey:
    """The mutation: the idempotency control is gone; a retried submission runs again."""

    def __init__(self, get_response):
        from sifa.applications import services

        def ignore_key(*, user, key, scope, payload, run):
            with transaction.atomic():
                return run()

        services.idempotent = ignore_key
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
'''


# --- processes ------------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (granian's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return sorted(found)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETTLED = 6.0
"""Seconds a worker must have lived before it may be killed. granian's main process exits ("Worker
crash loop detected") when a worker dies within 5.5 s of its respawn; a real crash that repeats
that fast is a crash loop, for the service manager to restart `sifa serve` (docs/operations.md).
The test kills workers as a crash would, once each, not a freshly respawned one again."""


def may_die(server: Server, pid: int) -> bool:
    """A worker the server started with, or a respawned one that has lived SETTLED seconds."""
    return pid in server.initial or age_of(pid) >= SETTLED


def age_of(pid: int) -> float:
    """Seconds since ``pid`` started (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except OSError:
        return 0.0
    started = int(stat.rsplit(")", 1)[1].split()[19]) / CLOCK_TICKS
    return uptime - started


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def connection_inodes(server_port: int, client_ports: set[int]) -> set[int]:
    """The socket inodes of the server's ends of the connections from ``client_ports``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) in client_ports
            ):
                found.add(int(fields[9]))
    return found


def holds_socket(pid: int, inodes: set[int]) -> bool:
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for name in names:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:[") and int(target[8:-1]) in inodes:
            return True
    return False


class Server:
    """``sifa serve --workers 2`` in its own process group; restartable on the same port."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder, self.port = env, folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.initial: set[int] = set()
        """The workers granian started with the server (not respawned: any may die at once)."""

    def start(self) -> None:
        self.starts += 1
        log = (self.folder / f"serve-{self.port}-{self.starts}.log").open("wb")
        argv = [sys.executable, "-m", "sifa", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*argv, "--workers", "2"], env=self.env, stdout=log, stderr=log, process_group=0
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.tail()
            if len(self.workers()) == 2:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        conn.close()
                        self.initial = set(self.workers())
                        return
                except OSError:
                    pass
            time.sleep(0.2)
        raise AssertionError(f"sifa serve not ready after {START_TIMEOUT:.0f} s\n{self.tail()}")

    def workers(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def kill_group(self) -> None:
        """The whole server at once (granian's main process and its workers), as a host crash."""
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            for pid in self.workers():
                _signal(pid, signal.SIGCONT)
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own group only
            except ProcessLookupError:
                pass
            self.process.wait()

    def tail(self) -> str:
        logs = sorted(self.folder.glob(f"serve-{self.port}-*.log"))
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""


# --- the database, read from the test ------------------------------------------------------------


class Reader:
    """Runs a read on the server's database: the test database (Django's connection) or the
    private cluster (psycopg, reconnecting after a database crash)."""

    def __init__(self, port: int | None = None, dbname: str = "sifa") -> None:
        self.port, self.dbname = port, dbname
        self.conn: Any = None

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        if self.port is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params or [])
                return list(cursor.fetchall())
        for attempt in range(40):
            try:
                if self.conn is None:
                    self.conn = connect(self.port, self.dbname)
                return list(self.conn.execute(sql, params or []).fetchall())
            except Exception:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 39:
                    raise
                time.sleep(0.25)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def committed(self, entry_id: int, run: int) -> dict[int, list[str]]:
        """Submission index → numbers of the applications its form made (drafts have none)."""
        found: dict[int, list[str]] = {}
        for number, form_data in self.rows(
            "SELECT number, form_data FROM applications_application WHERE entry_id = %s AND number <> ''",
            [entry_id],
        ):
            tag = crash_world.tag_of(form_data)
            if tag is not None and tag[0] == run:
                found.setdefault(tag[1], []).append(number)
        return found

    def counts(self, sql: str, params: list[Any]) -> dict[str, int]:
        out: dict[str, int] = {}
        for (key,) in self.rows(sql, params):
            out[key] = out.get(key, 0) + 1
        return out


# --- the run -------------------------------------------------------------------------------------


@dataclass
class Run:
    """1,000 (or 100) idempotent submissions from CLIENTS threads, and the kills between them."""

    server: Server
    reader: Reader
    world: dict[str, Any]
    run: int
    count: int
    acknowledged: dict[int, str] = field(default_factory=dict)
    refused: list[tuple[int, int, str]] = field(default_factory=list)
    in_flight: dict[int, int] = field(default_factory=dict)  # client port → submission index
    retries: int = 0
    kills: dict[str, int] = field(default_factory=dict)
    aimed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.queue = list(range(self.count))
        self.deadline = time.monotonic() + RUN_TIMEOUT
        # Submissions from this index on wait for the next kill (``execute``): fast clients must
        # not finish the run before the plan's last kill, or the kills would depend on speed.
        self.released = self.count

    # Clients.

    def client(self) -> None:
        conn: http.client.HTTPConnection | None = None
        headers = {"Authorization": f"Bearer {self.world['token']}", "Content-Type": "application/json"}
        while True:
            with self.lock:
                if not self.queue:
                    break
                waiting = self.queue[0] >= self.released and time.monotonic() < self.deadline
                index = None if waiting else self.queue.pop(0)
            if index is None:
                time.sleep(0.01)
                continue
            body = json.dumps(
                {
                    "entry": self.world["entry"],
                    "form_data": crash_world.form(self.world["id_number"], self.run, index),
                }
            ).encode()
            key = {"Idempotency-Key": f"crash-{self.run}-{index}"}
            pause = 0.05
            while time.monotonic() < self.deadline:
                status, answer, port = 0, b"", None
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
                        conn.connect()
                    port = conn.sock.getsockname()[1]
                    with self.lock:
                        self.in_flight[port] = index
                    conn.request("POST", URL, body, {**headers, **key})
                    response = conn.getresponse()
                    status, answer = response.status, response.read()
                    if response.will_close:
                        conn.close()
                        conn = None
                except (OSError, http.client.HTTPException):
                    if conn is not None:
                        conn.close()
                    conn = None
                finally:
                    if port is not None:
                        with self.lock:
                            self.in_flight.pop(port, None)
                if status == 201:
                    with self.lock:
                        self.acknowledged[index] = json.loads(answer)["number"]
                    break
                if status in (0, 409) or status >= 500:
                    if status == 409 and b"idempotency.in_progress" not in answer:
                        self.refused.append((index, status, answer[:300].decode(errors="replace")))
                        break
                    with self.lock:
                        self.retries += 1
                    time.sleep(pause * (0.5 + random.random()))
                    pause = min(pause * 2, 1.0)
                    continue
                self.refused.append((index, status, answer[:300].decode(errors="replace")))
                break
        if conn is not None:
            conn.close()

    # Kills.

    def kill_worker(self) -> None:
        """Stop both workers; kill the one holding a committed, unanswered submission (or any)."""
        for attempt in range(AIM_TRIES):
            # Both workers up (a respawn may still be starting) and one that has lived SETTLED s.
            deadline = time.monotonic() + 4 * SETTLED
            while time.monotonic() < deadline:
                workers = self.server.workers()
                if len(workers) == 2 and any(may_die(self.server, pid) for pid in workers):
                    break
                time.sleep(0.1)
            settled = [pid for pid in workers if may_die(self.server, pid)]
            if not settled:
                break
            for pid in workers:
                _signal(pid, signal.SIGSTOP)
            try:
                time.sleep(0.03)  # answers already written reach their clients
                with self.lock:
                    answered = set(self.acknowledged)
                    flights = dict(self.in_flight)
                pending = set(self.reader.committed(self.world["entry_id"], self.run)) - answered
                ports = {port for port, index in flights.items() if index in pending}
                inodes = connection_inodes(self.server.port, ports) if ports else set()
                victims = [pid for pid in settled if inodes and holds_socket(pid, inodes)]
                if victims or attempt == AIM_TRIES - 1:
                    victim = victims[0] if victims else random.choice(settled)
                    self.aimed += 1 if victims else 0
                    _signal(victim, signal.SIGKILL)
                    self.kills["worker"] = self.kills.get("worker", 0) + 1
                    return
            finally:
                for pid in workers:
                    _signal(pid, signal.SIGCONT)
            time.sleep(random.uniform(0.05, 0.2))
        # No two settled workers within the tries: kill the oldest once it has settled.
        deadline = time.monotonic() + 2 * SETTLED
        while time.monotonic() < deadline and not any(may_die(self.server, p) for p in self.server.workers()):
            time.sleep(0.2)
        workers = [p for p in self.server.workers() if may_die(self.server, p)]
        if workers:
            _signal(random.choice(workers), signal.SIGKILL)
            self.kills["worker"] = self.kills.get("worker", 0) + 1

    def kill_server(self) -> None:
        self.server.kill_group()
        self.kills["server"] = self.kills.get("server", 0) + 1
        self.server.start()

    def execute(self, plan: list[tuple[str, Callable[[], None]]]) -> float:
        """Run the clients; do the ``plan``'s kills spread evenly over the acknowledgements. The
        clients take no submission beyond the next kill's mark before this kill is done, so every
        kill of the plan happens whatever the speed of the server."""
        started = time.monotonic()
        marks = [self.count * step // (len(plan) + 1) for step in range(1, len(plan) + 1)] + [self.count]
        self.released = marks[1] if plan else self.count
        threads = [threading.Thread(target=self.client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            for step, (_name, kill) in enumerate(plan, 1):
                mark = marks[step - 1]
                with self.lock:
                    self.released = marks[step]
                while len(self.acknowledged) < mark and any(t.is_alive() for t in threads):
                    assert self.server.alive(), f"sifa serve exited:\n{self.server.tail()}"
                    time.sleep(0.02)
                if not any(t.is_alive() for t in threads):
                    break
                time.sleep(random.uniform(0, 0.1))
                kill()
                with self.lock:
                    self.released = marks[step + 1] if step + 1 < len(marks) else self.count
        except BaseException:
            self.deadline = time.monotonic()  # the clients stop retrying: fail now, not in 15 min
            raise
        finally:
            with self.lock:
                self.released = self.count
            for thread in threads:
                thread.join(RUN_TIMEOUT)
        return time.monotonic() - started

    # Outcome.

    def outcome(self) -> dict[str, Any]:
        entry_id = self.world["entry_id"]
        committed = self.reader.committed(entry_id, self.run)
        numbers = [number for found in committed.values() for number in found]
        lost = [
            index for index, number in self.acknowledged.items() if number not in committed.get(index, [])
        ]
        duplicates = sum(len(found) - 1 for found in committed.values())
        audit = self.reader.counts(
            "SELECT object_id FROM audit_auditevent WHERE action = 'application.submit'", []
        )
        outbox = self.reader.counts(
            "SELECT related_id FROM notifications_notification WHERE event = 'application.submitted'", []
        )
        return {
            "lost": lost,
            "duplicates": duplicates,
            "unacknowledged": sorted(set(range(self.count)) - set(self.acknowledged)),
            "audit_not_1_1": [n for n in numbers if audit.get(n, 0) != 1],
            "outbox_not_1_1": [n for n in numbers if outbox.get(n, 0) != 1],
            "applications": len(numbers),
        }

    def report(self, name: str, outcome: dict[str, Any], seconds: float) -> str:
        kills = ", ".join(f"{count} {kind}" for kind, count in sorted(self.kills.items()))
        line = (
            f"{name}: {self.count} submissions, {len(self.acknowledged)} acknowledged, "
            f"{self.retries} retries, {sum(self.kills.values())} kills ({kills}; {self.aimed} worker "
            f"kills at a committed, unanswered submission), {len(outcome['lost'])} lost, "
            f"{outcome['duplicates']} duplicates, audit/outbox not 1:1: "
            f"{len(outcome['audit_not_1_1'])}/{len(outcome['outbox_not_1_1'])}, {seconds:.1f} s"
        )
        return line


def show(capsys: pytest.CaptureFixture[str], line: str) -> None:
    """The figures, one line, printed with the run's summary by the root ``conftest.py``."""
    print(line)


def assert_whole(run: Run, outcome: dict[str, Any], line: str) -> None:
    assert not run.refused, (line, run.refused[:5])
    assert outcome["lost"] == [], line
    assert outcome["duplicates"] == 0, line
    assert outcome["unacknowledged"] == [], line
    assert outcome["audit_not_1_1"] == [], line
    assert outcome["outbox_not_1_1"] == [], line
    assert outcome["applications"] == run.count, line


def _plan(run: Run, kinds: list[str], extra: dict[str, Callable[[], None]] | None = None):
    actions = {"worker": run.kill_worker, "server": run.kill_server, **(extra or {})}
    return [(kind, actions[kind]) for kind in kinds]


def _spread(**counts: int) -> list[str]:
    """``worker=17, server=3`` → the kinds interleaved evenly (the rarer ones spread out)."""
    total = sum(counts.values())
    slots: list[tuple[float, str]] = []
    for kind, count in counts.items():
        slots += [((i + 0.5) * total / count, kind) for i in range(count)]
    return [kind for _, kind in sorted(slots)]


# --- R1: the web server dies ----------------------------------------------------------------------


def _server_env(folder: Path, database: str, **extra: str) -> dict[str, str]:
    (folder / "media").mkdir(exist_ok=True)
    (folder / "crash_settings.py").write_text(
        SERVER_SETTINGS.format(database=database, media=str(folder / "media")), encoding="utf-8"
    )
    (folder / "crash_mutant.py").write_text(MUTANT, encoding="utf-8")
    return {
        **{k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"},
        "DJANGO_SETTINGS_MODULE": "crash_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT), str(SRC), os.environ.get("PYTHONPATH", "")]),
        "SIFA_SIGNING_KEY_DIR": str(settings.SIGNING_KEY_DIR),
        "SIFA_SEAL_KEY_DIR": str(settings.SEAL_KEY_DIR),
        "SIFA_LOG_LEVEL": "ERROR",
        **extra,
    }


@pytest.fixture
def r1_world(transactional_db, tmp_path, settings) -> dict[str, Any]:
    """The world committed on the test database (flushed after the test), and the server's env."""
    settings.MEDIA_ROOT = tmp_path / "media"
    name = str(connection.settings_dict["NAME"])
    env = _server_env(tmp_path, f"DATABASES['default']['NAME'] = {name!r}  # noqa: F405")
    return {**crash_world.build(), "env": env, "folder": tmp_path}


def _r1(
    world: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    *,
    run: int,
    count: int,
    kinds: list[str],
    mutant: bool,
) -> tuple[Run, dict, str]:
    from sifa.audit.chain import verify_chain

    env = {**world["env"], "CRASH_SUBMIT_MUTANT": "1" if mutant else "0"}
    server = Server(env, world["folder"])
    try:
        server.start()
        crash = Run(server, Reader(), world, run, count)
        seconds = crash.execute(_plan(crash, kinds))
        assert server.alive(), "sifa serve exited after a worker kill: the site went down"
        outcome = crash.outcome()
    finally:
        server.stop()
    chain = verify_chain(anchors=[])
    name = "R1 mutant (idempotency off)" if mutant else "R1 web server killed"
    line = crash.report(name, outcome, seconds) + f"; audit chain {chain.code}"
    show(capsys, line)
    assert chain.ok, line
    return crash, outcome, line


def test_r1_no_lost_or_duplicated_submission_when_the_web_server_is_killed(r1_world, capsys):
    """R1 alone, on the test database: only where no private cluster can be made, since the
    combined run below kills the web server the same way on its own cluster, 1,000 submissions."""
    if server_programs() is not None:
        pytest.skip("covered by the combined R1/R2 run on a private PostgreSQL cluster")
    crash, outcome, line = _r1(
        r1_world, capsys, run=1, count=SUBMISSIONS, kinds=_spread(worker=17, server=3), mutant=False
    )
    assert_whole(crash, outcome, line)
    assert crash.kills == {"worker": 17, "server": 3}, line


def test_r1_mutant_without_idempotency_reports_duplicates(r1_world, capsys):
    _crash, outcome, line = _r1(
        r1_world, capsys, run=2, count=MUTANT_SUBMISSIONS, kinds=["worker"] * 5, mutant=True
    )
    assert outcome["duplicates"] > 0, line
    assert outcome["lost"] == [], line


# --- R2: the database dies -----------------------------------------------------------------------


def _sifa(env: dict[str, str], *argv: str) -> str:
    result = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr[-3000:]}")
    return result.stdout


@pytest.fixture
def cluster() -> Iterator[tuple[Cluster, Path]]:
    bin_dir = server_programs()
    if bin_dir is None:
        pytest.skip("PostgreSQL server programs (initdb, pg_ctl) not installed: apt-get install postgresql")
    base = Path(tempfile.mkdtemp(prefix="sifa-crash-"))
    base.chmod(0o755)  # the postgres OS user must reach its data folder
    private = Cluster(bin_dir, base / "data", free_port())
    try:
        # Processes are killed, not the machine: what PostgreSQL wrote survives in the OS's cache,
        # so fsync adds nothing here but time.
        private.init("fsync = off\nmax_connections = 60\n")
        private.start()
        private.create_database("sifa")
        yield private, base
    finally:
        private.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_r1_r2_no_lost_or_duplicated_submission_when_web_server_and_postgresql_die(cluster, capsys):
    """1,000 submissions while web workers, the whole server and PostgreSQL are killed (R1 + R2 in
    one run: the issue's 1,000 idempotent submissions across both kinds of kill)."""
    private, base = cluster
    var = base / "var"
    var.mkdir()
    env = _server_env(
        base,
        "",
        DATABASE_URL=private.url("sifa"),
        SIFA_VAR_DIR=str(var),
    )
    _sifa(env, "-m", "sifa", "migrate", "-v", "0")
    world = {
        **json.loads(_sifa(env, "-m", "tests.security.crash_world").strip().splitlines()[-1]),
        "env": env,
    }

    def crash_run(
        *, dbname: str, run: int, count: int, kinds: list[str], mutant: bool
    ) -> tuple[Run, dict, str]:
        run_env = {**env, "DATABASE_URL": private.url(dbname), "CRASH_SUBMIT_MUTANT": "1" if mutant else "0"}
        server = Server(run_env, base)
        reader = Reader(private.port, dbname)
        try:
            server.start()
            crash = Run(server, reader, world, run, count)

            def database_crash() -> None:
                private.restart_immediate()
                crash.kills["database"] = crash.kills.get("database", 0) + 1

            seconds = crash.execute(_plan(crash, kinds, {"database": database_crash}))
            assert server.alive(), "sifa serve exited: the site went down"
            outcome = crash.outcome()
        finally:
            server.stop()
            reader.close()
        verified = subprocess.run(
            [sys.executable, "-m", "sifa", "audit", "verify"], env=run_env, capture_output=True, text=True,
            timeout=300, check=False,
        )  # fmt: skip
        name = "R2 mutant (idempotency off)" if mutant else "R1/R2 web server and PostgreSQL killed"
        line = crash.report(name, outcome, seconds) + f"; sifa audit verify: {verified.stdout.strip()[:80]}"
        show(capsys, line)
        assert verified.returncode == 0 and "审计链完整" in verified.stdout, (line, verified.stderr[-2000:])
        return crash, outcome, line

    crash, outcome, line = crash_run(
        dbname="sifa",
        run=1,
        count=SUBMISSIONS,
        kinds=_spread(database=10, worker=14, server=3),
        mutant=False,
    )
    assert_whole(crash, outcome, line)
    assert crash.kills == {"database": 10, "worker": 14, "server": 3}, line
