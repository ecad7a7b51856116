"""The purge switch opens only for the tables' owner; the retention purge keeps the chain verifiable.

On PostgreSQL a second login role — granted on the tables what an application role gets — sets
``sifa.audit_purge`` itself and tries to delete: refused for the audit trail, the access log and
the exchange message log. The owner's ``SECURITY DEFINER`` purge function removes only a recorded
prefix older than 180 days, and ``verify`` still passes after it. SQLite has no roles (docs/audit.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from sifa.audit import triggers
from sifa.audit.chain import Anchor, verify_chain
from sifa.audit.models import AuditEvent
from sifa.audit.services.retention import PurgeRefused, purge_before, purge_through
from sifa.audit.tests.conftest import make_chain
from sifa.exchange.models import ExchangeMessage
from sifa.exchange.tests.test_triggers_flush import one_row

pytestmark = pytest.mark.smoke

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")

GUARDED = ("audit_auditevent", "audit_personaldataaccess", "exchange_exchangemessage")


def old_chain(monkeypatch, n: int, *, days: int = 200) -> list[AuditEvent]:
    """``n`` events recorded ``days`` ago (times never run backwards: call before fresh ones)."""
    start = timezone.now() - dt.timedelta(days=days)
    ticks = iter(range(10**6))
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=next(ticks)))
        return make_chain(n)


@pytest.fixture
def app_role() -> Iterator[psycopg.Connection]:
    """A login role like an application's: table privileges, not the owner. Dropped afterwards."""
    name = f"sifa_app_{uuid.uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} LOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {', '.join(GUARDED)} TO {name}")
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=name,
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        autocommit=True,
    )
    try:
        yield other
    finally:
        other.close()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}")
            cursor.execute(f"DROP ROLE {name}")


def refused_for(other: psycopg.Connection, sql: str) -> str:
    with pytest.raises(psycopg.Error) as excinfo:
        other.execute(sql)
    return str(excinfo.value)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_application_role_that_sets_the_switch_is_still_refused(app_role, reviewer, citizen):
    from sifa.audit import services

    make_chain(3)
    services.record_access(
        reader=reviewer,
        subject=citizen,
        subject_ref="P1",
        object_type="accounts.User",
        purpose="核验",
        scope_path="/1/",
    )
    one_row()
    app_role.execute(f"SET {triggers.PURGE_SETTING} = 'on'")
    assert app_role.execute(f"SHOW {triggers.PURGE_SETTING}").fetchone()[0] == "on"
    assert "禁止删除" in refused_for(app_role, "DELETE FROM audit_auditevent")
    assert "禁止删除" in refused_for(app_role, "TRUNCATE audit_auditevent")
    assert "禁止删除" in refused_for(app_role, "DELETE FROM audit_personaldataaccess")
    assert "禁止删除" in refused_for(app_role, "TRUNCATE audit_personaldataaccess")
    assert "禁止修改" in refused_for(app_role, "UPDATE audit_personaldataaccess SET purpose = 'x'")
    assert "禁止删除" in refused_for(app_role, "DELETE FROM exchange_exchangemessage")
    # Inside a transaction-local setting, too.
    with app_role.transaction():
        app_role.execute(f"SELECT set_config('{triggers.PURGE_SETTING}', 'on', true)")
        with pytest.raises(psycopg.Error, match="禁止删除"), app_role.transaction():
            app_role.execute("DELETE FROM audit_auditevent WHERE seq = 3")
    # The purge function is not theirs to call unless granted.
    assert "permission denied" in refused_for(app_role, f"SELECT {triggers.PURGE_FUNCTION}(1)")
    assert AuditEvent.objects.count() == 3 and ExchangeMessage.objects.count() == 1
    assert verify_chain().ok


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_owners_purge_function_deletes_only_a_recorded_expired_prefix(app_role, monkeypatch):
    old_chain(monkeypatch, 3)
    make_chain(2)
    # Called directly, without the chain recording the purge first: refused.
    with pytest.raises(Exception, match="记录清除事件"), connection.cursor() as cursor:
        cursor.execute(f"SELECT {triggers.PURGE_FUNCTION}(3)")
    # Granted to the application role (a retention job not run by the owner): still only what
    # the retention rule allows.
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT EXECUTE ON FUNCTION {triggers.PURGE_FUNCTION}(bigint) TO {app_role.info.user}")
    assert "保存期满" in refused_for(app_role, f"SELECT {triggers.PURGE_FUNCTION}(5)")
    assert purge_through(3) == 3
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [4, 5, 6]
    purge_event = AuditEvent.objects.get(seq=6)
    assert purge_event.action == "audit.purged" and purge_event.detail["through_seq"] == 3
    result = verify_chain(anchors=[])
    assert result.ok and result.purged_through == 3 and result.count == 3, result.message
    assert "已按保存期限清除" in result.message


@pytest.mark.django_db(transaction=True)
def test_after_a_retention_purge_the_chain_still_verifies_with_its_anchors(monkeypatch):
    old_chain(monkeypatch, 4)
    third = AuditEvent.objects.get(seq=3)
    anchors = [Anchor(2, AuditEvent.objects.get(seq=2).hash, "a"), Anchor(3, third.hash, "b")]
    make_chain(1)
    with pytest.raises(PurgeRefused):
        purge_through(5)  # fresh: kept at least 180 days
    with pytest.raises(PurgeRefused):
        purge_before(timezone.now() - dt.timedelta(days=30))
    assert purge_before(third.occurred_at + dt.timedelta(microseconds=1)) == 3
    result = verify_chain(anchors=anchors)
    assert result.ok and result.purged_through == 3, result.message
    # A forged checkpoint (an anchor at the purged head disagreeing) is caught.
    forged = verify_chain(anchors=[Anchor(3, "f" * 64, "c")])
    assert not forged.ok and forged.code == "anchor_mismatch"
    # Deleting the first remaining row is not explained by any purge event.
    with triggers.purge_allowed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 4")
    assert verify_chain(anchors=[]).code == "missing"


@pytest.mark.django_db
def test_the_purge_command_refuses_a_date_inside_the_retention_period(monkeypatch, capsys):
    old_chain(monkeypatch, 2, days=400)
    make_chain(1)
    with pytest.raises(CommandError, match="至少保存 180 天"):
        call_command("audit", "purge", "--before", timezone.localdate().isoformat())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "purge", "--before", "yesterday")
    assert AuditEvent.objects.count() == 3
    day = (timezone.localdate() - dt.timedelta(days=300)).isoformat()
    call_command("audit", "purge", "--before", day)
    assert "已清除" in capsys.readouterr().out
    assert verify_chain(anchors=[]).purged_through == 2
