"""The hash chain: what record() writes, and that verify_chain finds every kind of tampering."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sifa.audit import services
from sifa.audit.chain import Anchor, read_anchors, verify_chain, write_anchor
from sifa.audit.hashing import GENESIS_HASH, chain_hash
from sifa.audit.models import AuditEvent
from sifa.audit.subjects import AuditSubject
from sifa.audit.tests.conftest import make_chain, raw, triggers_dropped

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_events_link_from_the_genesis_hash():
    first, second = make_chain(2)
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert len(second.hash) == 64


def test_several_events_appended_at_once_chain_as_one_at_a_time(reviewer, orgs):
    [before] = make_chain(1)
    batch = services.record_many(
        [
            {
                "action": "case.suspend",
                "actor": reviewer,
                "organisation": orgs["hangzhou"],
                "detail": {"n": n},
            }
            for n in range(3)
        ]
    )
    after = services.record("case.resume", actor=reviewer)
    assert [e.seq for e in batch] == [before.seq + 1, before.seq + 2, before.seq + 3]
    assert [e.prev_hash for e in batch] == [before.hash, batch[0].hash, batch[1].hash]
    assert after.prev_hash == batch[2].hash
    stored = list(AuditEvent.objects.filter(seq__in=[e.seq for e in batch]).order_by("seq"))
    assert [chain_hash(e.prev_hash, e) for e in stored] == [e.hash for e in batch]
    assert verify_chain().ok
    assert services.record_many([]) == []


def test_stored_event_hashes_the_same_as_when_written(reviewer, orgs):
    """Whatever the database does to values on the way in (IPv6, JSON, time zones), the row
    read back must hash exactly as it did when it was written."""
    written = services.record(
        "case.accept",
        actor=reviewer,
        organisation=orgs["hangzhou"],
        role="reviewer",
        subject=AuditSubject("applications.Application", "X" * 300),
        detail={
            "when": dt.date(2026, 1, 31),
            "id": uuid.UUID(int=7),
            3: "数字键",
            "名称": ["律师", 1.5, None],
        },
        ip_address="2001:0DB8:0000:0000:0000:0000:0000:0001",
    )
    stored = AuditEvent.objects.get(seq=written.seq)
    assert stored.ip_address == "2001:db8::1"
    assert stored.object_id == "X" * 100
    assert stored.detail == {
        "when": "2026-01-31",
        "id": str(uuid.UUID(int=7)),
        "3": "数字键",
        "名称": ["律师", 1.5, None],
    }
    assert stored.scope_path == ""  # an explicit organisation does not invent a jurisdiction
    assert chain_hash(stored.prev_hash, stored) == stored.hash == written.hash


def test_append_writes_the_rows_an_instance_save_writes(reviewer, orgs):
    """``append`` (a workflow command's audit, rows without ``AuditEvent`` instances) prepares
    exactly the values ``save(force_insert=True)`` of the stored event would, and chains like
    ``record``: same columns, same hashes, the chain verifies."""
    from django.db import connection

    from sifa.audit.services.events import _INSERT

    [before] = make_chain(1)
    detail = {"when": dt.date(2026, 1, 31), "名称": ["律师", 1.5, None], "nul": "a\x00b"}
    services.append(
        [
            {
                "action": "deadlines.clock.suspend",
                "actor": reviewer,
                "subject": AuditSubject("applications.Application", "1"),
            },
            {
                "action": "workflow.suspend",
                "actor": reviewer,
                "organisation": orgs["hangzhou"],
                "role": "reviewer",
                "detail": detail,
                "ip_address": "2001:0DB8::1",
                "scope_path": "/1/2/",
            },
        ]
    )
    stored = list(AuditEvent.objects.filter(seq__gt=before.seq).order_by("seq"))
    assert [e.action for e in stored] == ["deadlines.clock.suspend", "workflow.suspend"]
    assert stored[0].prev_hash == before.hash and stored[1].prev_hash == stored[0].hash
    assert [chain_hash(e.prev_hash, e) for e in stored] == [e.hash for e in stored]

    def plain(params: list) -> list:  # PostgreSQL's JSON parameter is a wrapper of the value
        return [(type(p), p.obj) if hasattr(p, "obj") else p for p in params]

    for event in stored:
        values = [getattr(event, field.attname) for field in _INSERT.fields]
        assert plain(_INSERT.prepare(values, connection)) == plain(_INSERT.params(event, connection))
    assert (stored[1].actor_username, stored[1].ip_address, stored[1].organisation_id) == (
        reviewer.username,
        "2001:db8::1",
        orgs["hangzhou"].pk,
    )
    assert verify_chain().ok


def test_scope_path_defaults_to_the_actors(citizen):
    event = services.record("account.register_person", actor=citizen)
    assert event.scope_path == "/1/2/3/"
    assert event.actor_username == "citizen-1"


def test_a_result_outside_the_choices_is_refused():
    with pytest.raises(ValueError, match="audit result"):
        services.record("x.y", result="ok")


def test_organisation_may_be_given_by_id(orgs):
    event = services.record("x.y", organisation=orgs["jiangsu"].pk)
    assert AuditEvent.objects.get(seq=event.seq).organisation == orgs["jiangsu"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(detail=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_any_json_detail_survives_the_round_trip(detail):
    """Regression: hypothesis found that PostgreSQL refuses NUL in jsonb (a 500 at record time)."""
    event = services.record("prop.detail", detail=detail)
    stored = AuditEvent.objects.get(seq=event.seq)
    assert chain_hash(stored.prev_hash, stored) == stored.hash


def test_numbers_jsonb_rewrites_do_not_raise_a_false_alarm():
    """Regression: jsonb returns 1e16 as 10000000000000000 and -0.0 as 0.0, which changed the
    canonical JSON of an untouched row."""
    event = services.record("x.y", detail={"big": 1e16, "zero": -0.0, "nan": float("nan"), "nul": "a\x00b"})
    stored = AuditEvent.objects.get(seq=event.seq)
    assert stored.detail == {"big": 10**16, "zero": 0, "nan": "nan", "nul": "a\ufffdb"}
    assert verify_chain().ok


def test_an_untouched_chain_verifies_across_batches():
    make_chain(7)
    result = verify_chain(batch_size=3)
    assert result.ok, result.message
    assert (result.count, result.head_seq) == (7, 7)
    assert result.message == "审计链完整：共 7 条"


def test_an_empty_chain_verifies():
    assert verify_chain().message == "审计链完整：共 0 条"


def test_a_changed_field_is_named_at_its_seq():
    make_chain(6)
    with triggers_dropped():
        raw("UPDATE audit_auditevent SET result = 'denied' WHERE seq = 4")
    result = verify_chain(batch_size=2)
    assert (result.ok, result.broken_seq, result.code) == (False, 4, "hash_mismatch")
    assert result.message == "审计链在第 4 条断裂：哈希不符，该条内容被修改"
    assert result.count == 3


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link():
    make_chain(6)
    event = AuditEvent.objects.get(seq=3)
    event.object_id = "forged"
    with triggers_dropped():
        raw(
            "UPDATE audit_auditevent SET object_id = %s, hash = %s WHERE seq = 3",
            ["forged", chain_hash(event.prev_hash, event)],
        )
    result = verify_chain()
    assert (result.broken_seq, result.code) == (4, "link_mismatch")
    assert "第 3 条" in result.reason


def test_a_deleted_middle_row_is_named():
    make_chain(6)
    with triggers_dropped():
        raw("DELETE FROM audit_auditevent WHERE seq = 3")
    result = verify_chain()
    assert (result.broken_seq, result.code) == (3, "missing")
    assert result.message.startswith("审计链在第 3 条断裂：第 3 条缺失")


def test_a_deleted_row_with_the_gap_closed_is_detected():
    make_chain(6)
    with triggers_dropped():
        raw("DELETE FROM audit_auditevent WHERE seq = 3")
        # In two steps: PostgreSQL checks the primary key row by row, in the order it meets them.
        raw("UPDATE audit_auditevent SET seq = -seq WHERE seq > 3")
        raw("UPDATE audit_auditevent SET seq = -seq - 1 WHERE seq < 0")
    result = verify_chain()
    assert result.broken_seq == 3 and not result.ok


def test_a_forged_row_with_its_own_hash_but_a_wrong_link_is_named():
    make_chain(5)
    forged = AuditEvent(
        seq=6, occurred_at=dt.datetime.now(dt.UTC), action="auth.login", result="success", prev_hash="f" * 64
    )
    forged.hash = chain_hash(forged.prev_hash, forged)
    forged.save(force_insert=True)  # inserting needs no dropped trigger: the chain catches it
    result = verify_chain()
    assert (result.broken_seq, result.code) == (6, "link_mismatch")


def test_a_row_squeezed_in_by_renumbering_is_detected():
    make_chain(6)
    with triggers_dropped():
        raw("UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq >= 4")
        raw("UPDATE audit_auditevent SET seq = seq - 999 WHERE seq >= 1004")
    previous = AuditEvent.objects.get(seq=3)
    forged = AuditEvent(
        seq=4,
        occurred_at=previous.occurred_at,
        action="case.approve",
        result="success",
        prev_hash=previous.hash,
    )
    forged.hash = chain_hash(forged.prev_hash, forged)
    forged.save(force_insert=True)
    result = verify_chain()
    assert (result.broken_seq, result.code) == (5, "link_mismatch")


def test_a_rewritten_tail_is_caught_only_by_an_anchor(tmp_path):
    make_chain(5)
    anchor = write_anchor()
    assert read_anchors() == [anchor] and anchor.seq == 5
    # The attacker re-chains rows 3..5 with valid hashes: no link is broken any more.
    with triggers_dropped():
        prev_hash = AuditEvent.objects.get(seq=2).hash
        for event in AuditEvent.objects.filter(seq__gte=3).order_by("seq"):
            event.prev_hash, event.object_id = prev_hash, "rewritten"
            event.hash = chain_hash(prev_hash, event)
            raw(
                "UPDATE audit_auditevent SET prev_hash = %s, object_id = %s, hash = %s WHERE seq = %s",
                [event.prev_hash, event.object_id, event.hash, event.seq],
            )
            prev_hash = event.hash
    assert verify_chain(anchors=[]).ok
    result = verify_chain()
    assert (result.broken_seq, result.code) == (5, "anchor_mismatch")


def test_a_truncated_tail_is_caught_by_the_last_anchor():
    make_chain(5)
    write_anchor()
    with triggers_dropped():
        raw("DELETE FROM audit_auditevent WHERE seq >= 4")
    result = verify_chain()
    assert (result.broken_seq, result.code) == (4, "truncated")
    assert "第 5 条" in result.reason and "现只有 3 条" in result.reason


def test_events_after_the_last_anchor_are_fine():
    make_chain(2)
    write_anchor()
    make_chain(2)
    result = verify_chain()
    assert result.ok and result.anchors_checked == 1


def test_anchor_of_an_empty_chain_is_the_genesis():
    assert write_anchor() == Anchor(seq=0, hash=GENESIS_HASH, anchored_at=read_anchors()[0].anchored_at)
    assert verify_chain().ok
