"""Settings shared by every test in the repository (app tests under src/ and tests/)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# No per-example deadline: speed is measured by `make bench`, not by timed tests, and on a loaded
# CI machine a pure example can take longer than Hypothesis's default 200 ms (DeadlineExceeded).
hypothesis_settings.register_profile("sifa", deadline=None)
hypothesis_settings.load_profile("sifa")


@pytest.fixture(scope="session", autouse=True)
def _keys_of_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The run's signing key and seal CA, made at the real time before any test moves the clock.

    Development makes both on first use, valid from that moment on. Made by a test that travels
    ahead (``sifa.testing.clock.travel``: the 通报 tests issue "tomorrow", the probes start next
    month), the key would be valid only from that day: every signature at the real time after it
    would be refused (``signing.key_expired``), in this run and — the key being kept in
    ``SIFA_VAR_DIR`` — in the next ones. So each run has directories of its own, configured as
    production configures them (``SIFA_SIGNING_KEY_DIR``, ``SIFA_SEAL_KEY_DIR``), and a test that
    travels back before the run started and signs is refused, as it would be in production.
    """
    from django.conf import settings

    from sifa.core.signing import KeyRing, default_keyring
    from sifa.documents.ca import SealAuthority, default_authority

    signing = tmp_path_factory.mktemp("signing-keys")
    KeyRing(signing, algorithm=settings.SIGNING_ALGORITHM).rotate()
    seals = tmp_path_factory.mktemp("seal-keys")
    SealAuthority(seals, generate=True).ca_certificate()
    previous = settings.SIGNING_KEY_DIR, settings.SEAL_KEY_DIR
    settings.SIGNING_KEY_DIR, settings.SEAL_KEY_DIR = str(signing), str(seals)
    default_keyring.cache_clear()
    default_authority.cache_clear()
    yield
    settings.SIGNING_KEY_DIR, settings.SEAL_KEY_DIR = previous
    default_keyring.cache_clear()
    default_authority.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache: rate limits (registration, login, verification,
    agent lookups) count in it, and a count left by one test must not refuse the next one.
    The exchange gateway's registry cache too: a key or partner a rolled-back test read must not
    be trusted by the next one. And the indicators' organisation paths: an id a rolled-back or
    flushed test used may name another organisation in the next (SQLite reuses rowids; a flush may
    restart sequences), which would count its figures under the old path."""
    from django.core.cache import cache

    from sifa.core import limits
    from sifa.exchange import registry
    from sifa.indicators.services import maintenance

    cache.clear()
    registry.forget()
    maintenance.forget_paths()
    limits.forget_tallies()  # counts of a rate limit kept in the process (ADR 0015)
    yield
    cache.clear()
    limits.forget_tallies()
    registry.forget()
    maintenance.forget_paths()


MIGRATED_WAIT_SECONDS = 900
"""How long a parallel worker waits for the first one to migrate before it migrates on its own."""


class _MigratedOnce:
    """In a parallel run on PostgreSQL the migrations run once: the first worker migrates its test
    database and copies it as a template (``test_<name>_migrated``); the others create theirs from
    that template (``TEST["TEMPLATE"]``: ``CREATE DATABASE … TEMPLATE``), where ``migrate`` finds
    nothing left to apply. Applying the migrations takes about 30 s of CPU per process (Django
    renders the model states of some 130 migrations). The workers agree through a lock file in the
    run's shared temporary folder; the controller drops the template at the end."""

    lock: Any = None
    marker: Path | None = None
    template = ""

    @staticmethod
    def wanted(keepdb: bool) -> bool:
        from django.db import connection

        return (
            bool(os.environ.get("PYTEST_XDIST_WORKER")) and connection.vendor == "postgresql" and not keepdb
        )

    @staticmethod
    def template_name() -> str:
        from django.db import connection

        return f"test_{connection.settings_dict['NAME']}_migrated"[:63]

    @classmethod
    def before_setup(cls, shared: Path) -> None:
        """Take the lock; with a template already made, create this worker's database from it."""
        import fcntl
        import time

        from django.db import connection

        cls.template = cls.template_name()
        cls.lock = open(shared / "sifa-migrated.lock", "w")
        deadline = time.monotonic() + MIGRATED_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(cls.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:  # the first worker is stuck: migrate here
                    cls.lock.close()
                    cls.lock = None
                    return
                time.sleep(0.5)
        marker = shared / "sifa-migrated-template"
        if marker.exists():
            connection.settings_dict.setdefault("TEST", {})["TEMPLATE"] = marker.read_text()
            cls.release()
        else:
            cls.marker = marker

    @classmethod
    def after_setup(cls) -> None:
        """The first worker, migrated: its database copied as the template, the lock released."""
        from django.db import connection

        if cls.marker is None:
            return
        try:
            source = connection.settings_dict["NAME"]
            connection.close()
            quoted = connection.ops.quote_name
            with connection._nodb_cursor() as cursor:
                cursor.execute("SET synchronous_commit = off")  # as the test database's commits
                cursor.execute(f"DROP DATABASE IF EXISTS {quoted(cls.template)}")
                cursor.execute(f"CREATE DATABASE {quoted(cls.template)} TEMPLATE {quoted(source)}")
            cls.marker.write_text(cls.template)
        finally:
            cls.marker = None
            cls.release()

    @classmethod
    def release(cls) -> None:
        if cls.lock is not None:
            cls.lock.close()
            cls.lock = None


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix, django_db_keepdb, tmp_path_factory
) -> None:
    """pytest-django's hook before the test databases are created: the migrations once per
    parallel run (``_MigratedOnce``)."""
    if _MigratedOnce.wanted(django_db_keepdb):
        _MigratedOnce.before_setup(tmp_path_factory.getbasetemp().parent)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The controller of a parallel run on PostgreSQL drops the migrated template."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(session.config.option, "numprocesses", None):
        return
    try:
        from django.db import connection
    except ImportError:
        return
    if connection.vendor != "postgresql" or session.config.getvalue("reuse_db"):
        return
    from pytest_django.plugin import blocking_manager_key

    template = _MigratedOnce.template_name()
    try:
        with session.config.stash[blocking_manager_key].unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(template)}")
    except Exception as exc:  # never the run's verdict: the next run (and .ci/run) drops it
        import warnings

        warnings.warn(f"the migrated template {template} was not dropped: {exc!r}", stacklevel=1)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:
    """pytest-django's test database, with a check before it is dropped: on PostgreSQL, any other
    session still connected to it (a server or relay a test started and did not stop, a thread's
    connection never closed) would make the drop fail ("is being accessed by other users") and
    leave the database behind. Each one is reported as a warning naming its last statement, then
    ended, so the run cleans up after itself and the leak is visible in the output."""
    with django_db_blocker.unblock():
        _MigratedOnce.after_setup()
        _commits_without_waiting_for_the_disk()
    yield
    import warnings

    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, application_name, client_port, state, backend_start, left(query, 300) "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            others = cursor.fetchall()
            for pid, app, port, state, started, query in others:
                warnings.warn(
                    f"a session was still connected to the test database at the end of the run: pid {pid}, "
                    f"application {app!r}, client port {port}, {state}, since {started}, last statement: {query}",
                    stacklevel=1,
                )
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def _commits_without_waiting_for_the_disk() -> None:
    """On PostgreSQL the test database commits with ``synchronous_commit = off``: a commit returns
    once its WAL is in PostgreSQL's buffers, without waiting for the disk's flush (the WAL writer
    flushes within a fraction of a second). Set on the database (``ALTER DATABASE … SET``), so
    every session on it has it — this process's, its threads', the servers and relays a test
    starts on the test database — and no other database does: the private clusters of the
    restore drill and the R2 crash test (``tests/pgcluster.py``), where a crash must not lose an
    acknowledged commit, keep the server's default. Nothing is lost unless PostgreSQL itself
    stops uncleanly, and the test database is dropped at the end of the run anyway. Production's
    settings are untouched (docs/testing.md, "Commits without waiting for the disk")."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {name} SET synchronous_commit = off")
            cursor.execute("SET synchronous_commit = off")  # this session too (it is open already)
    except DatabaseError as exc:  # not the database's owner: commits wait for the disk, as before
        import warnings

        warnings.warn(f"the test database commits synchronously: {exc!r}", stacklevel=1)


SLOW_DEFAULT_SECONDS = 30
"""The weight of a ``slow`` marker given without ``seconds``."""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a parallel run, the modules marked ``slow`` first, the longest first.

    ``--dist loadfile`` hands out whole modules in the order of the collection (CI passes
    ``--no-loadscope-reorder``: xdist's default order, by number of tests, sends the long modules
    with few tests — the crash test, the restore drill, the chaos test — last, and one worker runs
    them alone while the other has finished). A module that takes long marks itself
    ``pytest.mark.slow(seconds=N)`` with its rough time in CI; the sort is stable, so the order of
    the tests inside a module, and of the other modules, is kept. A serial run is not reordered.
    Runs after pytest-django's own ordering (``trylast``).
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    weights: dict[str, float] = {}
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is not None:
            module = item.nodeid.split("::", 1)[0]
            seconds = marker.kwargs.get("seconds", SLOW_DEFAULT_SECONDS)
            weights[module] = max(weights.get(module, 0), seconds)
    if weights:
        items.sort(key=lambda item: -weights.get(item.nodeid.split("::", 1)[0], 0))


BAR_FIGURES = re.compile(r"^(?:S|R)\d{1,2}[a-z]?[ /].*$", re.M)
"""A figures line of the security bar (``tests/security/``): ``S1 scope matrix: 10342 requests, 0 leaks``."""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the security bar's figures after every run, ``-q`` and parallel runs included.

    The bar's tests write one figures line each to standard output. Passed tests' output is
    captured and not shown, so the lines are taken from the reports (which carry it from xdist
    workers too) and printed here, in the order of the test ids.
    """
    lines: dict[str, list[str]] = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "") == "call" and report.capstdout:
                found = BAR_FIGURES.findall(report.capstdout)
                if found:
                    lines[report.nodeid] = found
    if lines:
        terminalreporter.section("security and reliability bar (tests/security/)")
        for nodeid in sorted(lines):
            for line in lines[nodeid]:
                terminalreporter.write_line(line)
    _longest_modules(terminalreporter)


LONGEST_MODULES = 25
"""How many modules the run's summary lists by their time (setup, call and teardown summed)."""


def _longest_modules(terminalreporter: pytest.TerminalReporter) -> None:
    """The modules that took longest, with the worker that ran each and each worker's total: where
    CI's minutes go (``--durations`` lists tests; a module's world and servers are set up in its
    first test and torn down in its last, and ``--dist loadfile`` hands out whole modules)."""
    seconds: dict[str, float] = {}
    worker_of: dict[str, str] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            nodeid, duration = getattr(report, "nodeid", ""), getattr(report, "duration", None)
            if not nodeid or duration is None or getattr(report, "when", None) is None:
                continue
            module = nodeid.split("::", 1)[0]
            seconds[module] = seconds.get(module, 0.0) + duration
            node = getattr(report, "node", None)
            gateway = getattr(node, "gateway", None)
            if gateway is not None:
                worker_of[module] = gateway.id
    if not seconds:
        return
    terminalreporter.section(f"the {LONGEST_MODULES} longest modules (s, setup + call + teardown)")
    for module, total in sorted(seconds.items(), key=lambda kv: -kv[1])[:LONGEST_MODULES]:
        terminalreporter.write_line(f"{total:8.1f}  {worker_of.get(module, '-'):4}  {module}")
    workers: dict[str, float] = {}
    for module, total in seconds.items():
        workers[worker_of.get(module, "-")] = workers.get(worker_of.get(module, "-"), 0.0) + total
    terminalreporter.write_line(
        "per worker: "
        + ", ".join(f"{name} {total:.0f} s" for name, total in sorted(workers.items()))
        + f"; all modules {sum(seconds.values()):.0f} s in {len(seconds)} modules"
    )
