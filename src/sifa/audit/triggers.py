"""Database triggers that make the audit trail append-only, whoever connects.

Installed by migration ``0002_append_only_triggers``; the SQL lives here so tests can drop and
recreate the triggers around a deliberate tamper. Changing the SQL needs a new migration that
reinstalls it. On SQLite a migration that rebuilds ``audit_auditevent`` (Django does so for most
column changes) drops its triggers: such a migration must call :func:`install` again, and
``tests/test_triggers.py`` fails if it forgets.

* ``UPDATE`` of an audit event or of an access-log row is always refused.
* ``DELETE`` (and ``TRUNCATE`` on PostgreSQL) of audit events is refused unless the session has
  explicitly opened :func:`purge_allowed` — used only by ``flush`` (test teardown and resetting
  a development database). It is a guard rail against accidents, not against a database owner:
  that is what the hash chain and the off-box anchors are for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

PURGE_SETTING = "sifa.audit_purge"
"""PostgreSQL session setting that allows DELETE/TRUNCATE of audit events while set to 'on'."""

SQLITE_PURGE_FUNCTION = "sifa_audit_purge_allowed"
"""SQLite function registered on each Django connection; absent (so the trigger fails) elsewhere."""

_CONNECTION_FLAG = "_sifa_audit_purge"

UPDATE_REFUSED = "审计事件只能追加，禁止修改"
DELETE_REFUSED = "审计事件只能追加，禁止删除"
ACCESS_UPDATE_REFUSED = "个人数据查看记录禁止修改"

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') AND TG_TABLE_NAME = 'audit_auditevent'
           AND coalesce(current_setting('{PURGE_SETTING}', true), '') = 'on' THEN
            RETURN OLD;
        END IF;
        IF TG_TABLE_NAME = 'audit_personaldataaccess' THEN
            RAISE EXCEPTION '{ACCESS_UPDATE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
        ELSIF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION '{UPDATE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RAISE EXCEPTION '{DELETE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_access_no_update BEFORE UPDATE ON audit_personaldataaccess
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
]
POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_access_no_update ON audit_personaldataaccess",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
    BEGIN SELECT RAISE(ABORT, '{UPDATE_REFUSED}'); END
    """,
    f"""
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
    WHEN NOT {SQLITE_PURGE_FUNCTION}()
    BEGIN SELECT RAISE(ABORT, '{DELETE_REFUSED}'); END
    """,
    f"""
    CREATE TRIGGER audit_access_no_update BEFORE UPDATE ON audit_personaldataaccess
    BEGIN SELECT RAISE(ABORT, '{ACCESS_UPDATE_REFUSED}'); END
    """,
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_access_no_update",
]


def run_for_vendor(connection: Any, statements: dict[str, list[str]], what: str) -> None:
    """Execute the statements written for ``connection``'s database vendor (a Django connection);
    a vendor nobody wrote them for is an error, never a silent table without its guards."""
    if connection.vendor not in statements:
        raise NotImplementedError(f"{what} are not written for {connection.vendor}")
    with connection.cursor() as cursor:
        for sql in statements[connection.vendor]:
            cursor.execute(sql)


def install(connection: Any) -> None:
    """Create the triggers on ``connection`` (a Django database connection)."""
    run_for_vendor(
        connection, {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}, "append-only triggers"
    )


def uninstall(connection: Any) -> None:
    run_for_vendor(
        connection, {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}, "append-only triggers"
    )


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: give SQLite connections the purge switch the trigger asks."""
    if connection.vendor != "sqlite":
        return

    def allowed() -> int:
        return 1 if getattr(connection, _CONNECTION_FLAG, False) else 0

    connection.connection.create_function(SQLITE_PURGE_FUNCTION, 0, allowed)


@contextmanager
def purge_allowed(using: str = "default") -> Iterator[None]:
    """Let this session delete audit events (flush only). Never UPDATE: that stays refused."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [PURGE_SETTING])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, '', false)", [PURGE_SETTING])
        return
    connection.ensure_connection()
    setattr(connection, _CONNECTION_FLAG, True)
    try:
        yield
    finally:
        setattr(connection, _CONNECTION_FLAG, False)
