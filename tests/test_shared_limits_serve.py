"""Issue 14 point 3: limits hold across web processes. ``sifa serve`` runs with **two workers** on the
test database; requests spread over both still meet the limit at N — the public progress query's
throttle, and the account-wide login back-off.

The server's settings (written to the test's folder) are the test settings on the test database,
plus a middleware that names the worker process in a response header, so that the test can show
that both workers answered. As a mutation check, the same run with each worker counting in its
own memory (``PER_PROCESS=1``) lets more than N through.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from sifa.accounts.tests import factories
from sifa.core import limits

# urllib opens only the http://127.0.0.1 addresses of the servers this module starts.

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow(seconds=30)]

SRC = Path(__file__).resolve().parents[1] / "src"
TRACK_LIMIT = 30  # sifa.applications.api.TrackingThrottle: 30 failed lookups/min per client address
BACKOFF_AFTER = 3

SERVER_SETTINGS = """\
from sifa.conf.test_settings import *  # noqa: F403

DATABASES["default"]["NAME"] = {name!r}  # noqa: F405
MIDDLEWARE = ["worker_pid.WorkerPid", *MIDDLEWARE]  # noqa: F405
"""

WORKER_PID = '''\
import os

from sifa.core import limits

# urllib opens only the http://127.0.0.1 addresses of the servers this module starts.


class WorkerPid:
    """Names the worker process that answered (X-Worker-Pid)."""

    def __init__(self, get_response):
        self.get_response = get_response
        if os.environ.get("PER_PROCESS") == "1":  # the mutation: every worker counts alone
            limits._stores[""] = Memory()

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Worker-Pid"] = str(os.getpid())
        return response


class Memory:
    name = "memory"

    def __init__(self):
        self.values = {}

    def incr(self, key, ttl_ms, cap=None):
        if cap is not None and self.values.get(key, 0) >= cap:
            return None
        self.values[key] = self.values.get(key, 0) + 1
        return self.values[key]

    def get(self, key):
        return self.values.get(key, 0)

    def put(self, key, value, ttl_ms):
        self.values[key] = value

    def delete(self, *keys):
        for key in keys:
            self.values.pop(key, None)

    def clear(self):
        self.values.clear()
'''


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """``sifa serve --workers 2`` on the test database, in its own process group."""

    def __init__(self, folder: Path, *, per_process: bool = False) -> None:
        self.port = _free_port()
        (folder / "serve_settings.py").write_text(
            SERVER_SETTINGS.format(name=str(connection.settings_dict["NAME"])), encoding="utf-8"
        )
        (folder / "worker_pid.py").write_text(WORKER_PID, encoding="utf-8")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "serve_settings",
            "PYTHONPATH": os.pathsep.join([str(folder), str(SRC), os.environ.get("PYTHONPATH", "")]),
            "SIFA_SIGNING_KEY_DIR": str(settings.SIGNING_KEY_DIR),
            "SIFA_SEAL_KEY_DIR": str(settings.SEAL_KEY_DIR),
            "SIFA_ACCOUNT_BACKOFF_AFTER": str(BACKOFF_AFTER),
            "SIFA_LOGIN_FAILURE_LIMIT": "50",  # the address's own lockout stays out of this test
            "PER_PROCESS": "1" if per_process else "0",
        }
        argv = [sys.executable, "-m", "sifa", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.log = (folder / f"serve-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [*argv, "--workers", "2", "--threads", "2"],
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )

    def wait_until_up(self, seconds: float = 40) -> None:
        """Until both workers have answered /healthz (one up is not enough to spread requests)."""
        deadline = time.monotonic() + seconds
        workers: set[str] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            assert self.process.poll() is None, "sifa serve exited"
            try:
                status, pid, _ = self.request("/healthz")
                if status == 200:
                    workers.add(pid)
                time.sleep(0.05)
            except OSError:  # not listening yet
                time.sleep(0.2)
        assert len(workers) == 2, f"sifa serve: {len(workers)} of 2 workers answered /healthz"

    def request(self, path: str, *, body: bytes | None = None) -> tuple[int, str, bytes]:
        """One request on a connection of its own (so either worker may take it)."""
        headers = {"Connection": "close", "Content-Type": "application/json"}
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return answer.status, answer.headers.get("X-Worker-Pid", ""), answer.read()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers.get("X-Worker-Pid", ""), answer.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # granian and its two workers: ours only
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self.log.close()


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Server]:
    """One server for the module's tests (starting one takes a few seconds)."""
    with django_db_blocker.unblock():
        started = Server(tmp_path_factory.mktemp("serve"))
    try:
        started.wait_until_up()
        yield started
    finally:
        started.stop()


def _away_from_a_minute_boundary() -> None:
    """The rate's window is a minute: start the burst where it ends within the same minute."""
    left = 60 - time.time() % 60
    if left < 8:
        time.sleep(left + 0.2)


def _track_burst(server: Server, count: int, *, exact: bool = True) -> tuple[list[int], set[str]]:
    if exact:
        _away_from_a_minute_boundary()
    answers = [server.request("/api/v1/track/SF330100202601010000001/?code=ABCDEFGH") for _ in range(count)]
    return [status for status, _, _ in answers], {pid for _, pid, _ in answers}


def test_the_tracking_limit_holds_across_two_workers(server):
    limits.clear()
    statuses, workers = _track_burst(server, TRACK_LIMIT + 10)
    assert len(workers) == 2, f"both workers must have answered, got {workers}"
    assert statuses[:TRACK_LIMIT] == [404] * TRACK_LIMIT  # unknown number: counted, not found
    assert statuses[TRACK_LIMIT:] == [429] * 10


def test_the_mutation_each_worker_counting_alone_lets_more_through(tmp_path):
    mutant = Server(tmp_path, per_process=True)
    try:
        mutant.wait_until_up()
        statuses, workers = _track_burst(mutant, TRACK_LIMIT + 10, exact=False)
    finally:
        mutant.stop()
    assert len(workers) == 2
    assert statuses.count(404) > TRACK_LIMIT


def test_the_account_backoff_holds_across_two_workers(server):
    limits.clear()
    factories.build_tree()
    person = factories.person()
    phone = person.user.reveal_phone()
    wrong = f'{{"username": "{phone}", "password": "Wrong-pass-99"}}'.encode()
    right = f'{{"username": "{phone}", "password": "{factories.PASSWORD}"}}'.encode()
    failures = [server.request("/api/v1/auth/token/", body=wrong) for _ in range(BACKOFF_AFTER)]
    for wait in (1, 2):  # past the 1 s and 2 s waits: the 5th failure imposes 4 s
        time.sleep(wait + 0.1)
        failures.append(server.request("/api/v1/auth/token/", body=wrong))
    assert [status for status, _, _ in failures] == [401] * (BACKOFF_AFTER + 2)
    # The wait the last failure imposed holds on whichever worker answers next.
    refused = [server.request("/api/v1/auth/token/", body=right) for _ in range(6)]
    seen = {pid for _, pid, _ in failures + refused}
    assert len(seen) == 2, f"both workers must have answered, got {seen}"
    assert all(status == 429 and b"auth.backoff" in body for status, _, body in refused), refused
