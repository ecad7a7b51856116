"""The personal-data access log is append-only and SM3 hash-chained like the audit trail.

Rows are written unchained (one insert per read of personal data) and chained after commit by
``chain_pending`` (the scheduler every minute; ``verify-access``/``anchor-access`` first). The
triggers refuse UPDATE of a recorded column, a second write of the chain columns, and DELETE.
"""

from __future__ import annotations

import importlib
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from sifa.audit import services, triggers
from sifa.audit.chain import Anchor, default_access_anchor_path, verify_access_log
from sifa.audit.hashing import GENESIS_HASH
from sifa.audit.models import PersonalDataAccess
from sifa.audit.services.access import chain_pending
from sifa.audit.tests.conftest import raw, triggers_dropped
from sifa.audit.tests.test_triggers import refused

pytestmark = pytest.mark.smoke


def reads(reviewer, citizen, n: int) -> list[PersonalDataAccess]:
    return [
        services.record_access(
            reader=reviewer,
            subject=citizen,
            subject_ref=f"P{i}",
            object_type="accounts.NaturalPerson",
            purpose="受理律师执业许可申请",
            scope_path="/1/2/3/",
        )
        for i in range(1, n + 1)
    ]


@pytest.mark.django_db
def test_reads_are_written_unchained_then_chained_in_order(reviewer, citizen):
    rows = reads(reviewer, citizen, 3)
    assert all(row.seq is None and row.hash == "" for row in rows)  # no chain lock on the read
    assert verify_access_log(anchors=[]).unchained == 3
    assert chain_pending() == 3
    assert chain_pending() == 0
    chained = list(PersonalDataAccess.objects.order_by("seq"))
    assert [row.seq for row in chained] == [1, 2, 3]
    assert [row.pk for row in chained] == [row.pk for row in rows]
    assert chained[0].prev_hash == GENESIS_HASH
    assert chained[1].prev_hash == chained[0].hash and chained[2].prev_hash == chained[1].hash
    result = verify_access_log(anchors=[])
    assert result.ok and result.count == 3 and result.unchained == 0, result.message


@pytest.mark.django_db
def test_the_database_refuses_changes_and_deletes(reviewer, citizen):
    reads(reviewer, citizen, 2)
    chain_pending()
    assert "禁止修改" in refused(lambda: PersonalDataAccess.objects.update(purpose="无"))
    assert "禁止修改" in refused(lambda: raw("UPDATE audit_personaldataaccess SET kind = 'disclosure'"))
    assert "一经写入" in refused(lambda: PersonalDataAccess.objects.update(hash="0" * 64))
    assert "一经写入" in refused(lambda: raw("UPDATE audit_personaldataaccess SET seq = seq + 10"))
    assert "禁止删除" in refused(lambda: PersonalDataAccess.objects.all().delete())
    assert "禁止删除" in refused(lambda: raw("DELETE FROM audit_personaldataaccess"))
    assert PersonalDataAccess.objects.count() == 2
    assert verify_access_log(anchors=[]).ok


@pytest.mark.django_db
def test_tampering_is_found_and_named(reviewer, citizen):
    reads(reviewer, citizen, 4)
    chain_pending()
    with triggers_dropped():
        raw("UPDATE audit_personaldataaccess SET purpose = '核验' WHERE seq = 2")
    result = verify_access_log(anchors=[])
    assert (result.ok, result.code, result.broken_seq) == (False, "hash_mismatch", 2)
    assert "第 2 条断裂" in result.message


@pytest.mark.django_db
def test_a_deleted_row_and_a_cut_tail_are_found(reviewer, citizen):
    reads(reviewer, citizen, 4)
    chain_pending()
    head = PersonalDataAccess.objects.get(seq=4)
    with triggers_dropped():
        raw("DELETE FROM audit_personaldataaccess WHERE seq = 4")
    assert verify_access_log(anchors=[]).ok  # consistent in itself …
    cut = verify_access_log(anchors=[Anchor(4, head.hash, "2026-12-05T10:00:00+08:00")])
    assert (cut.ok, cut.code) == (False, "truncated")  # … but not with the anchor
    with triggers_dropped():
        raw("DELETE FROM audit_personaldataaccess WHERE seq = 2")
    assert verify_access_log(anchors=[]).code == "missing"


@pytest.mark.django_db
def test_the_commands_chain_verify_and_anchor(reviewer, citizen, capsys):
    reads(reviewer, citizen, 2)
    call_command("audit", "verify-access")  # chains what waits first
    assert "已入链 2 条" in capsys.readouterr().out
    call_command("audit", "anchor-access")
    line = json.loads(default_access_anchor_path().read_text().splitlines()[-1])
    assert line["seq"] == 2
    reads(reviewer, citizen, 1)
    call_command("chain-access-log", verbosity=0)
    assert PersonalDataAccess.objects.filter(seq__isnull=True).count() == 0
    with triggers_dropped():
        raw("UPDATE audit_personaldataaccess SET purpose = 'x' WHERE seq = 1")
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify-access")
    assert exit_info.value.code == 1
    assert "第 1 条断裂" in capsys.readouterr().err


@pytest.mark.django_db
def test_the_migration_chains_the_rows_already_there(reviewer, citizen):
    """Migration 0005's step, on rows written before the log had a chain."""
    reads(reviewer, citizen, 3)
    migration = importlib.import_module("sifa.audit.migrations.0005_access_log_chain")
    migration.chain_and_guard(apps, SimpleNamespace(connection=connection))
    assert list(PersonalDataAccess.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3]
    assert verify_access_log(anchors=[]).ok
    # The guards are in place again afterwards.
    assert "禁止删除" in refused(lambda: PersonalDataAccess.objects.all().delete())
    assert triggers.ACCESS_DELETE_REFUSED == "个人数据查看记录只能追加，禁止删除"


def test_every_column_is_either_evidence_or_chain():
    """A new column must be placed in one of the lists (and the triggers reinstalled)."""
    columns = {field.column for field in PersonalDataAccess._meta.concrete_fields}
    assert columns == {*triggers.ACCESS_EVIDENCE_COLUMNS, *triggers.ACCESS_CHAIN_COLUMNS}
