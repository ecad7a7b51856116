"""Database triggers that guard the message log (``exchange_exchangemessage``), whoever connects.

Installed by migration ``0003_message_log_triggers``; the SQL lives here so tests can drop and
recreate the triggers around a deliberate tamper (as ``sifa.audit.triggers`` does for the audit
trail). Changing the SQL, or the table's columns, needs a new migration that reinstalls it. On
SQLite a migration that rebuilds the table (Django does so for most column changes) drops its
triggers: such a migration must call :func:`install` again, and ``exchange/tests/test_triggers.py``
fails if it forgets (and if a new column is in neither list below).

* ``UPDATE`` of an evidence column (:data:`EVIDENCE_COLUMNS`: the signed header, the signature,
  the body, who, when, what) is refused.
* ``status`` may change (已接收 → 已答复); nothing else may.
* The chain (``exchange_messagelink``, ADR 0023) is insert-only: any ``UPDATE`` of a link is
  refused, and ``DELETE`` / ``TRUNCATE`` as for the log (:func:`install_links`, migration
  ``0007_chain_by_insertion``).
* ``DELETE`` (and ``TRUNCATE`` on PostgreSQL) is refused unless the session opened the audit
  trail's purge switch (:func:`sifa.audit.triggers.purge_allowed`), which only ``flush`` does (test
  teardown, resetting a development database) — and, on PostgreSQL, only when the session's role
  holds the table owner's privileges (:data:`sifa.audit.triggers.PG_PURGE_PERMITTED`): any other
  role can set the switch, and is still refused. A guard rail against accidents and against code
  that should not touch the log, not against a database owner: that is what the hash chain and
  ``sifa exchange verify-log`` are for.
"""

from __future__ import annotations

from typing import Any

from sifa.audit.triggers import PG_PURGE_PERMITTED, PG_SAFE_PATH, SQLITE_PURGE_FUNCTION, run_for_vendor

TABLE = "exchange_exchangemessage"

EVIDENCE_COLUMNS = (
    "id",
    "message_id",
    "correlation_id",
    "direction",
    "kind",
    "service_code",
    "service_version",
    "sender",
    "receiver",
    "partner_id",
    "case_number",
    "purpose",
    "sent_at",
    "recorded_at",
    "key_id",
    "header",
    "signature",
    "body_digest",
    "body_masked",
    "body_sealed",
    "scope_path",
    "copy_number",
)
"""Never changed once written."""
OPERATIONAL_COLUMNS = ("status",)
"""May change."""
LINK_TABLE = "exchange_messagelink"

UPDATE_REFUSED = "交换消息日志只能追加，禁止修改已记录的内容"
CHAIN_REFUSED = "交换消息日志的链序号和哈希一经写入，禁止修改"
DELETE_REFUSED = "交换消息日志只能追加，禁止删除"


_PG_ALLOWED = " - ".join(f"'{name}'" for name in OPERATIONAL_COLUMNS)

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION exchange_message_guard() RETURNS trigger LANGUAGE plpgsql {PG_SAFE_PATH} AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
            IF {PG_PURGE_PERMITTED} THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '{DELETE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF (to_jsonb(NEW) - {_PG_ALLOWED}) IS DISTINCT FROM (to_jsonb(OLD) - {_PG_ALLOWED}) THEN
            RAISE EXCEPTION '{UPDATE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END;
    $$
    """,
    f"""
    CREATE TRIGGER exchange_message_guard BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION exchange_message_guard()
    """,
    f"""
    CREATE TRIGGER exchange_message_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_message_guard()
    """,
]
POSTGRESQL_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS exchange_message_guard ON {TABLE}",
    f"DROP TRIGGER IF EXISTS exchange_message_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS exchange_message_guard()",
]

_SQLITE_EVIDENCE_CHANGED = " OR ".join(f'NEW."{name}" IS NOT OLD."{name}"' for name in EVIDENCE_COLUMNS)

SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER exchange_message_no_update BEFORE UPDATE ON {TABLE}
    WHEN {_SQLITE_EVIDENCE_CHANGED}
    BEGIN SELECT RAISE(ABORT, '{UPDATE_REFUSED}'); END
    """,
    f"""
    CREATE TRIGGER exchange_message_no_delete BEFORE DELETE ON {TABLE}
    WHEN NOT {SQLITE_PURGE_FUNCTION}()
    BEGIN SELECT RAISE(ABORT, '{DELETE_REFUSED}'); END
    """,
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS exchange_message_no_update",
    "DROP TRIGGER IF EXISTS exchange_message_chain_once",
    "DROP TRIGGER IF EXISTS exchange_message_no_delete",
]


POSTGRESQL_LINK_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION exchange_link_guard() RETURNS trigger LANGUAGE plpgsql {PG_SAFE_PATH} AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
            IF {PG_PURGE_PERMITTED} THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '{DELETE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RAISE EXCEPTION '{CHAIN_REFUSED}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$
    """,
    f"""
    CREATE TRIGGER exchange_link_guard BEFORE UPDATE OR DELETE ON {LINK_TABLE}
    FOR EACH ROW EXECUTE FUNCTION exchange_link_guard()
    """,
    f"""
    CREATE TRIGGER exchange_link_no_truncate BEFORE TRUNCATE ON {LINK_TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_link_guard()
    """,
]
POSTGRESQL_LINK_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS exchange_link_guard ON {LINK_TABLE}",
    f"DROP TRIGGER IF EXISTS exchange_link_no_truncate ON {LINK_TABLE}",
    "DROP FUNCTION IF EXISTS exchange_link_guard()",
]
SQLITE_LINK_INSTALL = [
    f"""
    CREATE TRIGGER exchange_link_no_update BEFORE UPDATE ON {LINK_TABLE}
    BEGIN SELECT RAISE(ABORT, '{CHAIN_REFUSED}'); END
    """,
    f"""
    CREATE TRIGGER exchange_link_no_delete BEFORE DELETE ON {LINK_TABLE}
    WHEN NOT {SQLITE_PURGE_FUNCTION}()
    BEGIN SELECT RAISE(ABORT, '{DELETE_REFUSED}'); END
    """,
]
SQLITE_LINK_UNINSTALL = [
    "DROP TRIGGER IF EXISTS exchange_link_no_update",
    "DROP TRIGGER IF EXISTS exchange_link_no_delete",
]


def install(connection: Any) -> None:
    """Create the triggers on ``connection`` (a Django database connection)."""
    run_for_vendor(
        connection, {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL}, "message-log triggers"
    )


def uninstall(connection: Any) -> None:
    run_for_vendor(
        connection, {"postgresql": POSTGRESQL_UNINSTALL, "sqlite": SQLITE_UNINSTALL}, "message-log triggers"
    )


def install_links(connection: Any) -> None:
    """Create the chain table's triggers (insert-only; ADR 0023)."""
    run_for_vendor(
        connection,
        {"postgresql": POSTGRESQL_LINK_INSTALL, "sqlite": SQLITE_LINK_INSTALL},
        "message-chain triggers",
    )


def uninstall_links(connection: Any) -> None:
    run_for_vendor(
        connection,
        {"postgresql": POSTGRESQL_LINK_UNINSTALL, "sqlite": SQLITE_LINK_UNINSTALL},
        "message-chain triggers",
    )
