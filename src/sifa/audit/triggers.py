"""Database triggers that make the audit trail append-only, whoever connects.

Installed by migration ``0002_append_only_triggers``; the SQL lives here so tests can drop and
recreate the triggers around a deliberate tamper. Changing the SQL needs a new migration that
reinstalls it. On SQLite a migration that rebuilds ``audit_auditevent`` (Django does so for most
column changes) drops its triggers: such a migration must call :func:`install` again, and
``tests/test_triggers.py`` fails if it forgets.

* ``UPDATE`` of an audit event is always refused; of an access-log row too, except that the
  chain columns (``seq``, ``prev_hash``, ``hash``) may go once from empty to set (chaining).
* ``DELETE`` (and ``TRUNCATE`` on PostgreSQL) of audit events and access-log rows is refused
  unless the session has opened :func:`purge_allowed` — ``flush`` (test teardown, resetting a
  development database) — **and**, on PostgreSQL, the session's current role holds the tables'
  owner's privileges. A custom setting such as ``sifa.audit_purge`` can be set by any session, so
  the setting alone proves nothing; an application role that sets it is still refused. The
  retention purge goes through the owner's ``SECURITY DEFINER`` function
  :data:`PURGE_FUNCTION`, which deletes only an expired prefix the chain has recorded.
  Against the owner itself (who can drop triggers) the hash chain and the off-box anchors are
  the protection. SQLite has no roles: the switch is a function only Sifa's connections define,
  and the database file's permissions are the boundary.
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

RETENTION_MIN_DAYS = 180
"""网络安全法 第二十一条（三）: network logs are kept at least six months; the purge function
refuses younger events whatever its caller asks."""

PURGE_FUNCTION = "sifa_audit_purge_through"
"""PostgreSQL ``SECURITY DEFINER`` function, owned by the table owner, that deletes a recorded,
expired prefix of the chain (:func:`sifa.audit.services.retention.purge_through`)."""

PURGE_ACTION = "audit.purged"
"""The event a retention purge appends before deleting: ``detail.through_seq`` and
``detail.through_hash`` let ``verify`` start after the purged prefix."""

ACCESS_PURGE_FUNCTION = "sifa_access_purge_through"
"""PostgreSQL ``SECURITY DEFINER`` function (since migration ``0006``) that deletes a recorded,
expired prefix of the personal-data access log
(:func:`sifa.audit.services.retention.purge_access_through`)."""

ACCESS_PURGE_ACTION = "audit.access_purged"
"""The audit event an access-log purge appends before deleting: ``detail.through_seq`` and
``detail.through_hash`` (the access log's) let ``verify-access`` start after the purged prefix.
The checkpoint lives in the audit chain, which is verified and anchored on its own."""

ACCESS_CHAIN_REFUSED = "个人数据查看记录的链序号和哈希一经写入，禁止修改"
ACCESS_DELETE_REFUSED = "个人数据查看记录只能追加，禁止删除"
PURGE_TOO_YOUNG = f"只能清除保存期满 {RETENTION_MIN_DAYS} 天的审计事件（网络安全法第二十一条）"
PURGE_NOT_RECORDED = "清除前须先在审计链中记录清除事件（audit.purged），写明清除到的序号和哈希"
ACCESS_PURGE_TOO_YOUNG = f"只能清除保存期满 {RETENTION_MIN_DAYS} 天的个人数据查看记录（网络安全法第二十一条）"
ACCESS_PURGE_NOT_RECORDED = "清除前须先在审计链中记录清除事件（audit.access_purged），写明清除到的序号和哈希"

# The purge switch passes a DELETE/TRUNCATE only when it is on **and** the current role holds the
# table owner's privileges: the owner in its own session (``flush``), or the owner's SECURITY
# DEFINER purge function, inside which ``current_user`` is the owner. Any role can set a custom
# setting, so another role that sets it is still refused; only roles that could drop the trigger
# anyway pass.
_OWNER_OF_TABLE = "(SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID)"
PG_PURGE_PERMITTED = (
    f"coalesce(current_setting('{PURGE_SETTING}', true), '') = 'on' "
    f"AND pg_has_role(current_user, {_OWNER_OF_TABLE}, 'USAGE')"
)
# Guard functions pin search_path: a role that may create objects in some schema cannot shadow a
# function or operator they call by putting its schema first.
PG_SAFE_PATH = "SET search_path = pg_catalog, pg_temp"

_PG_ACCESS_CHAIN = "'seq' - 'prev_hash' - 'hash'"
_PG_ACCESS_CHAIN_CHANGED = " OR ".join(
    [
        "(OLD.seq IS NOT NULL AND NEW.seq IS DISTINCT FROM OLD.seq)",
        "(OLD.prev_hash <> '' AND NEW.prev_hash IS DISTINCT FROM OLD.prev_hash)",
        "(OLD.hash <> '' AND NEW.hash IS DISTINCT FROM OLD.hash)",
    ]
)

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql {PG_SAFE_PATH} AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') AND {PG_PURGE_PERMITTED} THEN
            RETURN OLD;
        END IF;
        IF TG_TABLE_NAME = 'audit_personaldataaccess' THEN
            IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) ? 'hash') THEN
                IF (to_jsonb(NEW) - {_PG_ACCESS_CHAIN}) IS DISTINCT FROM (to_jsonb(OLD) - {_PG_ACCESS_CHAIN}) THEN
                    RAISE EXCEPTION '{ACCESS_UPDATE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF {_PG_ACCESS_CHAIN_CHANGED} THEN
                    RAISE EXCEPTION '{ACCESS_CHAIN_REFUSED}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            ELSIF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION '{ACCESS_UPDATE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
            END IF;
            RAISE EXCEPTION '{ACCESS_DELETE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
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
    CREATE TRIGGER audit_access_no_change BEFORE UPDATE OR DELETE ON audit_personaldataaccess
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()
    """,
    """
    CREATE TRIGGER audit_access_no_truncate BEFORE TRUNCATE ON audit_personaldataaccess
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()
    """,
    # The retention purge. SECURITY DEFINER: inside it current_user is its owner (the role that
    # ran the migration, the tables' owner), so the guard above lets its DELETE through. It
    # deletes only a prefix the chain has recorded (an ``audit.purged`` event naming that seq
    # and its hash) and only events older than the legal minimum. EXECUTE is revoked from
    # PUBLIC: grant it to the role that runs the retention job if that is not the owner.
    f"""
    CREATE OR REPLACE FUNCTION {PURGE_FUNCTION}(through bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @SCHEMA@, pg_temp AS $$
    DECLARE
        through_hash text;
        deleted bigint;
    BEGIN
        SELECT e.hash INTO through_hash FROM audit_auditevent e
         WHERE e.seq = through AND e.occurred_at < now() - interval '{RETENTION_MIN_DAYS} days';
        IF through_hash IS NULL THEN
            RAISE EXCEPTION '{PURGE_TOO_YOUNG}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM audit_auditevent e WHERE e.action = '{PURGE_ACTION}'
               AND e.detail->>'through_seq' = through::text AND e.detail->>'through_hash' = through_hash
        ) THEN
            RAISE EXCEPTION '{PURGE_NOT_RECORDED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('{PURGE_SETTING}', 'on', true);
        DELETE FROM audit_auditevent e WHERE e.seq <= through;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM set_config('{PURGE_SETTING}', '', true);
        RETURN deleted;
    END;
    $$
    """,  # noqa: S608 -- constants of this module, no input
    f"REVOKE ALL ON FUNCTION {PURGE_FUNCTION}(bigint) FROM PUBLIC",
]
"""Since migration ``0005``: the purge switch for the owner only, the access log append-only and
its chain columns settable once, the retention purge function. (The trigger function tells a
pre-``0005`` access-log table, without chain columns, by the absent ``hash``.)"""

POSTGRESQL_ACCESS_PURGE = [
    # The access log's retention purge, like the audit trail's: only a chained prefix older than
    # the legal minimum whose end (seq and hash) an ``audit.access_purged`` event has recorded.
    f"""
    CREATE OR REPLACE FUNCTION {ACCESS_PURGE_FUNCTION}(through bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, @SCHEMA@, pg_temp AS $$
    DECLARE
        through_hash text;
        deleted bigint;
    BEGIN
        SELECT a.hash INTO through_hash FROM audit_personaldataaccess a
         WHERE a.seq = through AND a.hash <> ''
           AND a.accessed_at < now() - interval '{RETENTION_MIN_DAYS} days';
        IF through_hash IS NULL THEN
            RAISE EXCEPTION '{ACCESS_PURGE_TOO_YOUNG}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NOT EXISTS (
            SELECT 1 FROM audit_auditevent e WHERE e.action = '{ACCESS_PURGE_ACTION}'
               AND e.detail->>'through_seq' = through::text AND e.detail->>'through_hash' = through_hash
        ) THEN
            RAISE EXCEPTION '{ACCESS_PURGE_NOT_RECORDED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('{PURGE_SETTING}', 'on', true);
        DELETE FROM audit_personaldataaccess a WHERE a.seq <= through;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM set_config('{PURGE_SETTING}', '', true);
        RETURN deleted;
    END;
    $$
    """,  # noqa: S608 -- constants of this module, no input
    f"REVOKE ALL ON FUNCTION {ACCESS_PURGE_FUNCTION}(bigint) FROM PUBLIC",
]
"""Since migration ``0006``: the access log's retention purge function."""

CHAIN_HEAD_FUNCTION = "sifa_audit_chain_head"
"""PostgreSQL function (since migration ``0007``) that takes the audit chain's lock and gives its
head: one statement of an append instead of two (``sifa.audit.services.events``)."""

CHAIN_LOCK_KEY = 0x5F1FA
"""The ``pg_advisory_xact_lock`` key reserved for audit appends (the chain's lock)."""

POSTGRESQL_CHAIN_HEAD = [
    # VOLATILE: under READ COMMITTED each statement in it takes a new snapshot, so the head is read
    # after the lock is held and sees the previous holder's committed append, as a statement of its
    # own after ``SELECT pg_advisory_xact_lock`` did. Not SECURITY DEFINER (it runs with the
    # caller's rights); names qualified instead of a pinned search_path, which would cost a
    # setting's save and restore on every call.
    f"""
    CREATE OR REPLACE FUNCTION {CHAIN_HEAD_FUNCTION}(OUT head_seq bigint, OUT head_hash varchar)
    LANGUAGE plpgsql VOLATILE AS $$
    BEGIN
        PERFORM pg_catalog.pg_advisory_xact_lock({CHAIN_LOCK_KEY});
        SELECT e.seq, e.hash INTO head_seq, head_hash
          FROM @SCHEMA@.audit_auditevent e ORDER BY e.seq DESC LIMIT 1;
    END;
    $$
    """,  # noqa: S608 -- constants of this module, no input
]
"""Since migration ``0007``: the chain's lock and head in one call (NULLs for an empty chain)."""


def install_chain_head(connection: Any) -> None:
    """Create :data:`CHAIN_HEAD_FUNCTION` on a PostgreSQL ``connection``; nothing elsewhere."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
        for sql in POSTGRESQL_CHAIN_HEAD:
            cursor.execute(sql.replace("@SCHEMA@", schema))


POSTGRESQL_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_access_no_update ON audit_personaldataaccess",
    "DROP TRIGGER IF EXISTS audit_access_no_change ON audit_personaldataaccess",
    "DROP TRIGGER IF EXISTS audit_access_no_truncate ON audit_personaldataaccess",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
    f"DROP FUNCTION IF EXISTS {PURGE_FUNCTION}(bigint)",
    f"DROP FUNCTION IF EXISTS {ACCESS_PURGE_FUNCTION}(bigint)",
]

SQLITE_INSTALL_V1 = [
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
"""What migrations ``0002`` and ``0004`` installed on SQLite (the access log had no chain columns)."""

ACCESS_EVIDENCE_COLUMNS = (
    "id",
    "subject_id",
    "subject_ref",
    "reader_id",
    "reader_organisation_id",
    "reader_role",
    "purpose",
    "object_type",
    "accessed_at",
    "scope_path",
    "kind",
    "receiver",
    "legal_basis",
    "case_number",
    "message_id",
    "visibility",
    "visible_from",
)
"""Every access-log column but the chain's: never changed once written."""
ACCESS_CHAIN_COLUMNS = ("seq", "prev_hash", "hash")
"""May change only while empty: chaining fills them once."""

_SQLITE_ACCESS_CHANGED = " OR ".join(f'NEW."{name}" IS NOT OLD."{name}"' for name in ACCESS_EVIDENCE_COLUMNS)
_SQLITE_ACCESS_CHAIN_CHANGED = " OR ".join(
    [
        "(OLD.seq IS NOT NULL AND NEW.seq IS NOT OLD.seq)",
        "(OLD.prev_hash <> '' AND NEW.prev_hash IS NOT OLD.prev_hash)",
        "(OLD.hash <> '' AND NEW.hash IS NOT OLD.hash)",
    ]
)

SQLITE_INSTALL = [
    *SQLITE_INSTALL_V1[:2],
    f"""
    CREATE TRIGGER audit_access_no_update BEFORE UPDATE ON audit_personaldataaccess
    WHEN {_SQLITE_ACCESS_CHANGED}
    BEGIN SELECT RAISE(ABORT, '{ACCESS_UPDATE_REFUSED}'); END
    """,
    f"""
    CREATE TRIGGER audit_access_chain_once BEFORE UPDATE ON audit_personaldataaccess
    WHEN {_SQLITE_ACCESS_CHAIN_CHANGED}
    BEGIN SELECT RAISE(ABORT, '{ACCESS_CHAIN_REFUSED}'); END
    """,
    f"""
    CREATE TRIGGER audit_access_no_delete BEFORE DELETE ON audit_personaldataaccess
    WHEN NOT {SQLITE_PURGE_FUNCTION}()
    BEGIN SELECT RAISE(ABORT, '{ACCESS_DELETE_REFUSED}'); END
    """,
]
"""Since migration ``0005``. SQLite has no roles: whoever can open the file can drop these
triggers, so file permissions are the boundary there (docs/audit.md)."""

SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_access_no_update",
    "DROP TRIGGER IF EXISTS audit_access_chain_once",
    "DROP TRIGGER IF EXISTS audit_access_no_delete",
]


def run_for_vendor(connection: Any, statements: dict[str, list[str]], what: str) -> None:
    """Execute the statements written for ``connection``'s database vendor (a Django connection);
    a vendor nobody wrote them for is an error, never a silent table without its guards."""
    if connection.vendor not in statements:
        raise NotImplementedError(f"{what} are not written for {connection.vendor}")
    with connection.cursor() as cursor:
        for sql in statements[connection.vendor]:
            cursor.execute(sql)


def _postgresql_install(connection: Any, *, access_purge: bool = True) -> list[str]:
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
    statements = POSTGRESQL_INSTALL + (POSTGRESQL_ACCESS_PURGE if access_purge else [])
    return [sql.replace("@SCHEMA@", schema) for sql in statements]


def install(connection: Any, *, sqlite_v1: bool = False, access_purge: bool = True) -> None:
    """Create the triggers on ``connection`` (a Django database connection). ``sqlite_v1``: the
    SQLite triggers of migrations ``0002``/``0004``, before the access log had chain columns.
    ``access_purge``: the access log's purge function (PostgreSQL, since ``0006``)."""
    run_for_vendor(
        connection,
        {
            "postgresql": _postgresql_install(connection, access_purge=access_purge),
            "sqlite": SQLITE_INSTALL_V1 if sqlite_v1 else SQLITE_INSTALL,
        },
        "append-only triggers",
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
    """Let this session delete audit events and access-log rows (flush only; on PostgreSQL only
    when connected as the tables' owner). Never UPDATE: that stays refused."""
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
