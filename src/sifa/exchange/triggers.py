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


def _guards(
    prefix: str, table: str, *, pg_update: str, sqlite_update_when: str, update_refused: str
) -> tuple[list[str], list[str], list[str], list[str]]:
    """The guard of an append-only table, named ``{prefix}_…``: (PostgreSQL install, uninstall,
    SQLite install, uninstall). ``DELETE`` and ``TRUNCATE`` are refused unless the purge switch
    allows them, the same for both tables; an ``UPDATE`` runs ``pg_update`` (the body of the
    plpgsql function after the delete branch) on PostgreSQL, and on SQLite is refused with
    ``update_refused`` when ``sqlite_update_when`` holds (always, if it is empty)."""
    when = f"\n    WHEN {sqlite_update_when}" if sqlite_update_when else ""
    postgresql_install = [
        f"""
    CREATE OR REPLACE FUNCTION {prefix}_guard() RETURNS trigger LANGUAGE plpgsql {PG_SAFE_PATH} AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
            IF {PG_PURGE_PERMITTED} THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '{DELETE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
{pg_update}
    END;
    $$
    """,
        f"""
    CREATE TRIGGER {prefix}_guard BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {prefix}_guard()
    """,
        f"""
    CREATE TRIGGER {prefix}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_guard()
    """,
    ]
    postgresql_uninstall = [
        f"DROP TRIGGER IF EXISTS {prefix}_guard ON {table}",
        f"DROP TRIGGER IF EXISTS {prefix}_no_truncate ON {table}",
        f"DROP FUNCTION IF EXISTS {prefix}_guard()",
    ]
    sqlite_install = [
        f"""
    CREATE TRIGGER {prefix}_no_update BEFORE UPDATE ON {table}{when}
    BEGIN SELECT RAISE(ABORT, '{update_refused}'); END
    """,
        f"""
    CREATE TRIGGER {prefix}_no_delete BEFORE DELETE ON {table}
    WHEN NOT {SQLITE_PURGE_FUNCTION}()
    BEGIN SELECT RAISE(ABORT, '{DELETE_REFUSED}'); END
    """,
    ]
    sqlite_uninstall = [
        f"DROP TRIGGER IF EXISTS {prefix}_no_update",
        f"DROP TRIGGER IF EXISTS {prefix}_no_delete",
    ]
    return postgresql_install, postgresql_uninstall, sqlite_install, sqlite_uninstall


_PG_ALLOWED = " - ".join(f"'{name}'" for name in OPERATIONAL_COLUMNS)

# The log: only ``status`` may change.
POSTGRESQL_INSTALL, POSTGRESQL_UNINSTALL, SQLITE_INSTALL, SQLITE_UNINSTALL = _guards(
    "exchange_message",
    TABLE,
    pg_update=f"""\
        IF (to_jsonb(NEW) - {_PG_ALLOWED}) IS DISTINCT FROM (to_jsonb(OLD) - {_PG_ALLOWED}) THEN
            RAISE EXCEPTION '{UPDATE_REFUSED}' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;""",
    sqlite_update_when=" OR ".join(f'NEW."{name}" IS NOT OLD."{name}"' for name in EVIDENCE_COLUMNS),
    update_refused=UPDATE_REFUSED,
)
# and the trigger that kept the chain columns set once, before the chain had a table (ADR 0023)
SQLITE_UNINSTALL.append("DROP TRIGGER IF EXISTS exchange_message_chain_once")

# The chain: insert-only.
POSTGRESQL_LINK_INSTALL, POSTGRESQL_LINK_UNINSTALL, SQLITE_LINK_INSTALL, SQLITE_LINK_UNINSTALL = _guards(
    "exchange_link",
    LINK_TABLE,
    pg_update=f"""\
        RAISE EXCEPTION '{CHAIN_REFUSED}' USING ERRCODE = 'insufficient_privilege';""",
    sqlite_update_when="",
    update_refused=CHAIN_REFUSED,
)


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
