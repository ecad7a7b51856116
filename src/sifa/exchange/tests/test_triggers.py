"""The database itself guards the message log (``sifa.exchange.triggers``): the evidence of a logged
message cannot be changed nor the row deleted (ORM or raw SQL), the chain's links are inserted once
and never changed nor deleted, the status may move on. ``flush`` and the sqlite3 shell: ``test_triggers_flush.py``."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from sifa.exchange import triggers
from sifa.exchange.chain import verify_log
from sifa.exchange.models import ExchangeMessage, MessageLink, MessageStatus
from sifa.exchange.services import log
from sifa.exchange.services.inbox import receive

from .conftest import notice


def refused(action) -> str:
    with pytest.raises(DatabaseError) as excinfo, transaction.atomic():
        action()
    return str(excinfo.value)


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def logged(world, count: int = 1, *, chain: bool = True) -> list[ExchangeMessage]:
    for _ in range(count):
        receive(notice(world).as_wire())
    if chain:
        log.chain_pending()
    return list(ExchangeMessage.objects.order_by("id"))


def test_every_column_is_evidence_or_status():
    """A new column must be placed in one of the lists (and the triggers reinstalled)."""
    columns = {field.column for field in ExchangeMessage._meta.concrete_fields}
    listed = [*triggers.EVIDENCE_COLUMNS, *triggers.OPERATIONAL_COLUMNS]
    assert len(listed) == len(set(listed))
    assert columns == set(listed)


@pytest.mark.django_db
def test_the_chain_still_fills_and_the_status_still_moves(world):
    rows = logged(world, 2, chain=False)
    assert all(row.seq is None and row.hash == "" for row in rows)
    assert log.chain_pending() == 4
    result = verify_log()
    assert result.ok and result.count == 4 and result.unchained == 0
    inbound = next(row for row in rows if row.status == MessageStatus.ANSWERED)
    log.set_status(inbound, MessageStatus.RECEIVED)  # status is operational, not evidence
    log.set_status(inbound, MessageStatus.ANSWERED)
    assert verify_log().ok


@pytest.mark.django_db
def test_evidence_cannot_be_changed_by_the_orm_nor_raw_sql(world):
    rows = logged(world)
    first = rows[0]
    assert "禁止修改已记录的内容" in refused(
        lambda: ExchangeMessage.objects.filter(pk=first.pk).update(purpose="改")
    )
    first.case_number = "X"
    assert "禁止修改已记录的内容" in refused(first.save)
    for sql, params in [
        ("UPDATE exchange_exchangemessage SET signature = %s WHERE id = %s", [b"\x00", first.pk]),
        ("UPDATE exchange_exchangemessage SET header = '{}' WHERE id = %s", [first.pk]),
        ("UPDATE exchange_exchangemessage SET body_masked = '{}' WHERE id = %s", [first.pk]),
        ("UPDATE exchange_exchangemessage SET recorded_at = sent_at WHERE id = %s", [first.pk]),
        ("UPDATE exchange_exchangemessage SET id = id + 1000 WHERE id = %s", [first.pk]),
    ]:
        assert "禁止修改已记录的内容" in refused(lambda sql=sql, params=params: raw(sql, params))
    assert verify_log().ok


@pytest.mark.django_db
def test_the_chain_is_inserted_once_and_never_changed(world):
    rows = logged(world)
    assert "链序号和哈希一经写入，禁止修改" in refused(
        lambda: MessageLink.objects.filter(message=rows[0]).update(seq=99)
    )
    assert "禁止修改" in refused(lambda: raw("UPDATE exchange_messagelink SET hash = '' WHERE seq = 2"))
    assert "禁止修改" in refused(
        lambda: raw("UPDATE exchange_messagelink SET prev_hash = hash WHERE seq = 2")
    )
    assert "禁止修改" in refused(
        lambda: raw("UPDATE exchange_messagelink SET message_id = message_id WHERE seq = 1")
    )
    assert "禁止删除" in refused(lambda: MessageLink.objects.filter(seq=2).delete())
    assert "禁止删除" in refused(lambda: raw("DELETE FROM exchange_messagelink WHERE seq = 1"))
    assert verify_log().ok


@pytest.mark.django_db
def test_rows_cannot_be_deleted(world):
    rows = logged(world)
    assert "禁止删除" in refused(lambda: ExchangeMessage.objects.filter(pk=rows[0].pk).delete())
    assert "禁止删除" in refused(
        lambda: raw("DELETE FROM exchange_exchangemessage WHERE id = %s", [rows[1].pk])
    )
    # TRUNCATE (PostgreSQL): test_flush_may_empty_the_log_but_nothing_else_may, outside a transaction.
    assert ExchangeMessage.objects.count() == 2 and verify_log().ok
