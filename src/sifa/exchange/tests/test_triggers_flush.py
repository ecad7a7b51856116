"""Only ``flush`` may empty the message log (the audit trail's purge switch); the sqlite3 shell,
without Sifa's purge function, may neither delete nor change evidence. Outside a test
transaction, so in a module without the exchange world (which holds one open)."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from sifa.exchange.models import ExchangeMessage, MessageStatus

from .test_triggers import raw, refused


def one_row() -> ExchangeMessage:
    """A bare log row (committed: the flush test runs outside a test transaction)."""
    now = timezone.now()
    return ExchangeMessage.objects.create(
        message_id=uuid.uuid4(),
        direction="in",
        kind="request",
        status=MessageStatus.RECEIVED,
        service_code="legal-aid.notify",
        service_version="1",
        sender="1" * 18,
        receiver="2" * 18,
        purpose="测试",
        sent_at=now,
        recorded_at=now,
        key_id="k",
        header="{}",
        signature=b"s",
        body_digest="0" * 64,
        body_sealed=b"b",
    )


@pytest.mark.django_db(transaction=True)
def test_flush_may_empty_the_log_but_nothing_else_may():
    one_row()
    assert "禁止删除" in refused(lambda: ExchangeMessage.objects.all().delete())
    if connection.vendor == "postgresql":
        assert "禁止删除" in refused(lambda: raw("TRUNCATE exchange_exchangemessage CASCADE"))
    call_command("flush", interactive=False, verbosity=0)
    assert ExchangeMessage.objects.count() == 0
    one_row()
    assert "禁止删除" in refused(lambda: ExchangeMessage.objects.all().delete())  # the switch is closed again


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_sqlite_outside_the_application_cannot_delete_nor_change_either():
    """A careless administrator with the sqlite3 shell: the purge function does not exist there."""
    row = one_row()
    shell = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        with pytest.raises(sqlite3.OperationalError, match="sifa_audit_purge_allowed"):
            shell.execute("DELETE FROM exchange_exchangemessage")
        with pytest.raises(sqlite3.IntegrityError, match="禁止修改"):
            shell.execute("UPDATE exchange_exchangemessage SET purpose = 'x'")
        shell.execute("UPDATE exchange_exchangemessage SET status = 'answered'")  # allowed
        shell.commit()
    finally:
        shell.close()
    row.refresh_from_db()
    assert row.status == MessageStatus.ANSWERED and row.purpose == "测试"
