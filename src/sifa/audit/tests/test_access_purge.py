"""The access log's retention purge keeps ``verify-access`` passing (issue 14 point 7).

An ``audit.access_purged`` event in the audit chain records the access log's last purged row (seq
and hash) before the prefix is deleted; ``verify-access`` starts from that hash. Nothing younger
than 180 days is deleted whatever is asked; on PostgreSQL the owner's ``SECURITY DEFINER``
function ``sifa_access_purge_through`` is the only way past the delete guard and refuses an
unrecorded or young prefix itself.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from sifa.audit import triggers
from sifa.audit.chain import Anchor, verify_access_log, verify_chain
from sifa.audit.models import AuditEvent, PersonalDataAccess
from sifa.audit.services.access import chain_pending
from sifa.audit.services.retention import PurgeRefused, purge_access_before, purge_access_through
from sifa.audit.tests.test_access_chain import reads

pytestmark = pytest.mark.smoke


def old_reads(monkeypatch, reviewer, citizen, n: int, *, days: int) -> None:
    start = timezone.now() - dt.timedelta(days=days)
    ticks = iter(range(10**6))
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: start + dt.timedelta(seconds=next(ticks)))
        reads(reviewer, citizen, n)
    chain_pending()


@pytest.mark.django_db(transaction=True)
def test_purge_keeps_verify_access_passing_and_touches_nothing_young(monkeypatch, reviewer, citizen):
    old_reads(monkeypatch, reviewer, citizen, 3, days=400)
    old_reads(monkeypatch, reviewer, citizen, 2, days=100)  # expired by no rule: kept
    reads(reviewer, citizen, 1)  # not chained yet: never touched
    third = PersonalDataAccess.objects.get(seq=3)
    anchors = [Anchor(3, third.hash, "a"), Anchor(5, PersonalDataAccess.objects.get(seq=5).hash, "b")]

    with pytest.raises(PurgeRefused):
        purge_access_before(timezone.now() - dt.timedelta(days=30))  # inside the legal minimum
    with pytest.raises(PurgeRefused):
        purge_access_through(4)  # a row 100 days old
    cutoff = timezone.now() - dt.timedelta(days=200)
    assert purge_access_before(cutoff, dry_run=True) == 3
    assert PersonalDataAccess.objects.count() == 6
    assert purge_access_before(cutoff) == 3
    assert sorted(PersonalDataAccess.objects.exclude(seq=None).values_list("seq", flat=True)) == [4, 5]
    assert PersonalDataAccess.objects.filter(seq=None).count() == 1
    assert purge_access_before(cutoff) == 0  # nothing more is that old

    result = verify_access_log(anchors=anchors)
    assert result.ok and result.purged_through == 3 and result.count == 2, result.message
    assert "已按保存期限清除" in result.message
    event = AuditEvent.objects.get(action=triggers.ACCESS_PURGE_ACTION)
    assert event.detail["through_seq"] == 3 and event.detail["count"] == 3
    assert "purpose" not in event.detail and verify_chain(anchors=[]).ok
    # A forged checkpoint (an anchor at the purged head disagreeing) is caught.
    assert verify_access_log(anchors=[Anchor(3, "f" * 64, "c")]).code == "anchor_mismatch"
    # Deleting the first remaining row is explained by no purge event.
    with triggers.purge_allowed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_personaldataaccess WHERE seq = 4")
    assert verify_access_log(anchors=[]).code == "missing"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's SECURITY DEFINER function")
@pytest.mark.django_db(transaction=True)
def test_the_owners_function_refuses_an_unrecorded_or_young_prefix(monkeypatch, reviewer, citizen):
    old_reads(monkeypatch, reviewer, citizen, 2, days=400)
    old_reads(monkeypatch, reviewer, citizen, 1, days=10)
    with pytest.raises(Exception, match="记录清除事件"), connection.cursor() as cursor:
        cursor.execute(f"SELECT {triggers.ACCESS_PURGE_FUNCTION}(2)")
    with pytest.raises(Exception, match="保存期满"), connection.cursor() as cursor:
        cursor.execute(f"SELECT {triggers.ACCESS_PURGE_FUNCTION}(3)")
    assert PersonalDataAccess.objects.count() == 3
    assert purge_access_through(2) == 2
    assert verify_access_log(anchors=[]).ok
