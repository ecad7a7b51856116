"""``sifa.core.db.first_read``: a request's first statement, a read, is the connection's health
check too (docs/deploy.md, "The connection health check"): no ``SELECT 1`` before it, and a
connection the server lost is replaced and the read answered all the same."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DataError, InterfaceError, OperationalError
from django.test.utils import CaptureQueriesContext

from sifa.core.db import first_read

needs_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="a server to lose: PostgreSQL")
STATEMENT = "SELECT %s + 1"


def _new_request() -> None:
    """What the server does between requests (``request_started``: ``close_old_connections``):
    the next request's first statement owes the health check again."""
    connection.close_if_unusable_or_obsolete()
    assert connection.connection is not None and not connection.health_check_done


def _end_the_session() -> int:
    """The server ends this connection's session (a restart, an administrator, an idle timeout)
    from another connection, as happens between two requests; its backend's pid."""
    import psycopg

    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**{**params, "autocommit": True}) as other:
        assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]
    return pid


@pytest.fixture
def checked(monkeypatch):
    """Health checks on and connections kept (as in production), every check Django makes counted."""
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", None)
    connection.close()
    connection.ensure_connection()
    checks = []
    usable = connection.is_usable

    def counting():
        checks.append(1)
        return usable()

    monkeypatch.setattr(connection, "is_usable", counting)
    yield checks
    connection.close()  # the next test connects with its own settings


@pytest.mark.django_db(transaction=True)
def test_the_first_read_is_the_health_check(checked):
    _new_request()
    with CaptureQueriesContext(connection) as queries:
        assert first_read(connection, STATEMENT, [41]) == [(42,)]
        assert first_read(connection, STATEMENT, [1]) == [(2,)]  # the check is done: the usual path
    assert checked == [] and connection.health_check_done
    assert len(queries.captured_queries) == 2


@pytest.mark.django_db(transaction=True)
def test_any_other_first_statement_still_pays_the_check(checked):
    _new_request()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    first_read(connection, STATEMENT, [1])
    assert checked == [1]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_session_the_server_ended_is_replaced_and_the_read_answered(checked):
    first_read(connection, STATEMENT, [0])
    _new_request()
    lost = _end_the_session()
    assert first_read(connection, STATEMENT, [41]) == [(42,)]
    assert connection.connection.info.backend_pid != lost
    assert checked == []
    _new_request()  # the new connection is kept and is sound
    assert first_read(connection, STATEMENT, [1]) == [(2,)]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_without_the_check_a_lost_session_fails_as_before(checked, monkeypatch):
    """Health checks off: nothing is retried (the statement's failure is the request's)."""
    connection.health_check_enabled = False
    first_read(connection, STATEMENT, [0])
    connection.close_if_unusable_or_obsolete()
    _end_the_session()
    with pytest.raises((OperationalError, InterfaceError)):
        first_read(connection, STATEMENT, [1])
    connection.close()


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_the_statements_own_failure_is_raised_and_not_run_again(checked):
    _new_request()
    runs = []

    def note(execute, sql, params, many, context):
        runs.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note), pytest.raises(DataError):
        first_read(connection, "SELECT 1 / (%s - 1)", [1])
    assert len(runs) == 1
    assert first_read(connection, STATEMENT, [1]) == [(2,)]


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_the_check_is_made_first(checked):
    """In ``atomic`` a retry on a new connection would leave the transaction: the usual path."""
    _new_request()
    with transaction.atomic():
        assert first_read(connection, STATEMENT, [1]) == [(2,)]
    assert checked == [1]


@pytest.mark.django_db(transaction=True)
def test_the_page_cache_lookup_answers_what_it_answered(checked):
    """The database store's one-statement lookup: the generation (0 before any publish), the entry
    of the current generation until it expires, nothing for an entry of an older generation."""
    from sifa.core.limits.stores import now_ms
    from sifa.core.pagecache.stores import DatabaseStore

    store = DatabaseStore()
    store.clear()
    assert store.lookup("ns", "k1", 1000) == (0, None)
    store.save("ns", "k1", 0, b"zero", 5000)
    now = now_ms()
    assert store.lookup("ns", "k1", now) == (0, b"zero")
    assert store.lookup("ns", "k1", now + 5001) == (0, None)  # expired
    store.bump("ns")
    assert store.lookup("ns", "k1", now) == (1, None)  # made under the old generation
    store.save("ns", "k1", 1, b"one", 5000)
    assert store.lookup("ns", "k1", now) == (1, b"one")
    assert store.lookup("other", "k1", now) == (0, None)
    store.clear()


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_cache_hit_and_a_token_survive_a_session_the_server_ended(checked):
    from sifa.accounts.authentication import token_with_user
    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.core.limits.stores import now_ms
    from sifa.core.pagecache.stores import DatabaseStore

    store = DatabaseStore()
    store.save("ns", "k1", 0, b"page", 60_000)
    key, _ = issue_api_token(User.objects.create_user("first-read", "pw-Long-enough-1", kind="person"))
    _new_request()
    _end_the_session()
    assert store.lookup("ns", "k1", now_ms()) == (0, b"page")
    _new_request()
    _end_the_session()
    assert token_with_user(key, with_account=True).user.username == "first-read"
    assert checked == []
    store.clear()


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_prepared_read_neither_counted_nor_wrapped_runs_on_the_kept_cursor_itself(checked, monkeypatch):
    """Session 8: once prepared, a first read that nothing counts, logs or wraps runs on the
    connection's kept psycopg cursor without Django's cursor wrapper — the same rows (text and
    binary), the health check made by it, a failure Django's and the connection serving on; the
    kept cursor is handed back each time."""
    from django.db.backends import utils

    failing = "SELECT 1 / (%s - 1)"
    first_read(connection, STATEMENT, [0])  # prepared (the wrapper's way: the first time)
    first_read(connection, failing, [2])
    with CaptureQueriesContext(connection) as queries:  # counted: the wrapper's way, as before
        assert first_read(connection, STATEMENT, [41]) == [(42,)]
    assert len(queries.captured_queries) == 1
    built = []
    init = utils.CursorWrapper.__init__
    monkeypatch.setattr(utils.CursorWrapper, "__init__", lambda self, *a: built.append(1) or init(self, *a))
    _new_request()
    assert first_read(connection, STATEMENT, [41]) == [(42,)]
    assert connection.health_check_done and checked == []
    assert first_read(connection, STATEMENT, [1], binary=True) == [(2,)]
    assert built == []
    with pytest.raises(DataError):
        first_read(connection, failing, [1])
    assert first_read(connection, STATEMENT, [2]) == [(3,)]
    kept = connection._sifa_fixed_cursor
    assert not kept.lent and kept.format == 0 and not kept.closed  # handed back, text form
    with transaction.atomic():  # BEGIN is due: psycopg's way
        assert first_read(connection, STATEMENT, [3]) == [(4,)]
    assert built == [1]
