"""Settings shared by every test in the repository (app tests under src/ and tests/)."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator

import pytest

FIGURES = "sifa figures"


class _Figures(io.StringIO):
    """``sys.__stdout__`` during the run: the lines a test writes there for CI's output
    (``S1 scope matrix: … requests, 0 leaks``). Written straight to the real standard output they
    would be lost: pytest's capture points file descriptor 1 at a temporary file during each test,
    and a pytest-xdist worker's standard output is /dev/null (execnet). So they are kept, attached
    to the test's report, and printed by the process that reports (``pytest_runtest_logreport``:
    the controller under xdist)."""

    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate(0)
        return text


_run: dict[str, object] = {}


def pytest_configure(config: pytest.Config) -> None:
    _run["config"], _run["stdout"] = config, sys.__stdout__
    sys.__stdout__ = _Figures()  # type: ignore[misc]


def pytest_unconfigure(config: pytest.Config) -> None:
    figures, sys.__stdout__ = sys.__stdout__, _run.pop("stdout", sys.__stdout__)  # type: ignore[misc]
    if isinstance(figures, _Figures) and sys.__stdout__ is not None:
        sys.__stdout__.write(figures.take())  # written outside any test


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    if call.when == "teardown" and isinstance(sys.__stdout__, _Figures):
        text = sys.__stdout__.take()
        if text.strip():
            outcome.get_result().sections.append((FIGURES, text))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Print the figures a test wrote (see ``_Figures``), on the controller under xdist."""
    config = _run.get("config")
    if not isinstance(config, pytest.Config) or hasattr(config, "workerinput"):
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    for name, text in report.sections:
        if name == FIGURES and reporter is not None:
            if reporter._tw.width_of_current_line:  # after the progress dots
                reporter.line("")
            for line in text.strip("\n").splitlines():
                reporter.line(line)


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
    be trusted by the next one."""
    from django.core.cache import cache

    from sifa.exchange import registry

    cache.clear()
    registry.forget()
    yield
    cache.clear()
    registry.forget()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:
    """pytest-django's test database, with a check before it is dropped: on PostgreSQL, any other
    session still connected to it (a server or relay a test started and did not stop, a thread's
    connection never closed) would make the drop fail ("is being accessed by other users") and
    leave the database behind. Each one is reported as a warning naming its last statement, then
    ended, so the run cleans up after itself and the leak is visible in the output."""
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
