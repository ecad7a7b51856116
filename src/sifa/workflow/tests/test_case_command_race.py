"""A case command (suspend, resume, extend) prepared before its writes (``dispatch._run_prepared``:
its reads, checks, handler and audit rows outside the write lock, then only the writes, each
conditional on the version read): two commands racing on one case end exactly as the same two run
one after the other, the loser read and prepared again (refused, or done after the winner) or, out
of attempts or with a ``row_version`` it was given, refused with the existing conflict error.

The race is made deterministic: the winner runs whole between the loser's preparation and its
writes. The prepared path is forced on both databases (PostgreSQL runs case commands from its row
lock on by default, where this interleaving cannot happen)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection, transaction

from sifa.applications.models import Application, TimelineEntry
from sifa.audit.hashing import chain_hash
from sifa.audit.models import AuditEvent
from sifa.core.db import Stale
from sifa.core.errors import Conflict
from sifa.deadlines.models import ClockState
from sifa.workflow.models import ProcessInstance, WorkItem
from sifa.workflow.services import dispatch, run_command
from sifa.workflow.tests.conftest import command, entry_for, make_case, travel

pytestmark = pytest.mark.django_db

ACCEPTED_ON = dt.date(2025, 9, 1)
ACTED_ON = dt.date(2025, 9, 3)
APPRAISER = "司法鉴定人执业登记"  # 行政许可法 §42 applies: extend succeeds at the deciding province
SUSPEND = {"kind": "expert_review", "reason": "组织专家评审"}
EXTEND = {"reason": "情况复杂", "approved_by": "张厅长"}


@pytest.fixture(autouse=True)
def prepared(monkeypatch):
    monkeypatch.setattr(dispatch, "prepared_before_lock", lambda connection: True)


def _case(w, people, *, reviewed: bool = False) -> Application:
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(ACCEPTED_ON):
        assert command(people["hz_clerk"], case.number, "accept").status_code == 200
        if reviewed:  # at the province's decision: the decider may extend and suspend
            response = command(
                people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅"
            )
            assert response.status_code == 200
    return Application.objects.get(pk=case.pk)


def _run(user, number: str, name: str, body: dict) -> str:
    try:
        run_command(user, number, name, dict(body))
    except Conflict as error:
        return error.code
    return "ok"


def _state(case: Application, since: int) -> dict:
    """Everything a command writes, without ids, numbers and times that differ between two cases."""
    case = Application.objects.get(pk=case.pk)
    pk = str(case.pk)
    clocks = ClockState.objects.filter(subject_type="application", subject_id=pk).order_by("id")
    audit = AuditEvent.objects.filter(seq__gt=since).order_by("seq")
    return {
        "case": (case.status, case.row_version),
        "resume_status": ProcessInstance.objects.get(application=case).resume_status,
        "timeline": [
            (e.event, e.title, e.detail, e.public)
            for e in TimelineEntry.objects.filter(application=case).order_by("occurred_at", "id")
        ],
        "clocks": [
            (
                c.purpose,
                c.stage,
                c.suspensions,
                c.extensions,
                c.stopped_on,
                c.version,
                c.due_on,
                c.working_days_left,
                c.warning_level,
                c.paused,
            )
            for c in clocks
        ],
        "items": [
            (i.task_name, i.status, i.due_on, i.warning_level)
            for i in WorkItem.objects.filter(application=case).order_by("id")
        ],
        "audit": [
            (
                e.action,
                e.actor_id,
                e.role,
                {k: v for k, v in e.detail.items() if k != "subject"},
            )
            for e in audit
            if e.object_id in (case.number, pk) or e.detail.get("subject") == f"application:{pk}"
        ],
    }


def _head() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def _raced(monkeypatch, loser: tuple, winner: tuple) -> tuple[str, str, int]:
    """``loser`` prepared, then ``winner`` run whole, then the loser's writes: (the loser's outcome,
    the winner's, how many times the loser was prepared)."""
    write = dispatch._write
    calls = {"loser": 0}
    outcome = {}

    def between(plan):
        calls["loser"] += 1
        if "winner" not in outcome:
            with monkeypatch.context() as inner:
                inner.setattr(dispatch, "_write", write)
                outcome["winner"] = _run(*winner)
        write(plan)

    with monkeypatch.context() as patched:
        patched.setattr(dispatch, "_write", between)
        lost = _run(*loser)
    return lost, outcome["winner"], calls["loser"]


def _serial(first: tuple, second: tuple) -> tuple[str, str]:
    return _run(*first), _run(*second)


def _compare(w, people, monkeypatch, make, loser, winner, *, reviewed=False):
    """The race on one case and the serial order (winner, then loser) on its twin end alike."""
    raced, serial = _case(w, people, reviewed=reviewed), _case(w, people, reviewed=reviewed)
    with travel(ACTED_ON):
        since = _head()
        lost, won, prepared = _raced(monkeypatch, make(raced, *loser), make(raced, *winner))
        raced_state = _state(raced, since)
        since = _head()
        won_serially, lost_serially = _serial(make(serial, *winner), make(serial, *loser))
        serial_state = _state(serial, since)
    assert (won, lost) == (won_serially, lost_serially)
    assert raced_state == serial_state
    return lost, won, prepared


def _call(case, user, name, body):
    return (user, case.number, name, body)


def test_two_suspends_the_second_is_refused_as_after_the_first(w, people, monkeypatch):
    reviewer = people["hz_reviewer"]
    lost, won, prepared = _compare(
        w, people, monkeypatch, _call, (reviewer, "suspend", SUSPEND), (reviewer, "suspend", SUSPEND)
    )
    assert won == "ok" and lost == "workflow.command_not_allowed"
    assert prepared == 1  # read again after the winner's writes: refused by the guard, nothing written


def test_two_resumes_the_second_is_refused_as_after_the_first(w, people, monkeypatch):
    reviewer = people["hz_reviewer"]

    def suspended(case, user, name, body):
        if case.status == "accepted":
            with travel(ACCEPTED_ON):
                assert _run(reviewer, case.number, "suspend", SUSPEND) == "ok"
            case.status = "suspended"
        return (user, case.number, name, body)

    lost, won, prepared = _compare(
        w, people, monkeypatch, suspended, (reviewer, "resume", {}), (reviewer, "resume", {})
    )
    assert (won, lost, prepared) == ("ok", "workflow.command_not_allowed", 1)


def test_extend_and_suspend_at_the_decision_end_as_in_the_serial_order(w, people, monkeypatch):
    decider = people["zj_decider"]
    lost, won, prepared = _compare(
        w,
        people,
        monkeypatch,
        _call,
        (decider, "extend", EXTEND),
        (decider, "suspend", SUSPEND),
        reviewed=True,
    )
    assert (won, lost, prepared) == ("ok", "ok", 2)  # the extension written after the suspension


def test_a_given_row_version_is_stale_after_the_winner(w, people, monkeypatch):
    reviewer = people["hz_reviewer"]
    case = _case(w, people)
    with travel(ACTED_ON):
        assert _run(reviewer, case.number, "suspend", SUSPEND) == "ok"
        case = Application.objects.get(pk=case.pk)
        lost, won, prepared = _raced(
            monkeypatch,
            (reviewer, case.number, "resume", {"row_version": case.row_version}),
            (reviewer, case.number, "resume", {}),
        )
    assert (won, lost, prepared) == ("ok", "application.stale", 1)


def test_attempts_are_bounded_then_the_conflict_is_answered(w, people, monkeypatch):
    case = _case(w, people)
    calls = []

    def always_stale(plan):
        calls.append(len(plan))
        raise Stale

    monkeypatch.setattr(dispatch, "_write", always_stale)
    with travel(ACTED_ON):
        assert _run(people["hz_reviewer"], case.number, "suspend", SUSPEND) == "application.stale"
    assert len(calls) == dispatch.ATTEMPTS
    assert Application.objects.get(pk=case.pk).status == "accepted"


def test_nothing_is_written_before_the_writes(w, people, monkeypatch):
    """The preparation only reads, and opens no transaction (on SQLite its ``BEGIN IMMEDIATE``
    would take the write lock); every write of suspend, resume and extend is in the plan."""
    case = _case(w, people, reviewed=True)
    write = dispatch._write
    log: list[str] = []
    enter = transaction.Atomic.__enter__

    def opened(self):
        log.append("atomic")
        return enter(self)

    monkeypatch.setattr(transaction.Atomic, "__enter__", opened)

    def statements(execute, sql, params, many, context):
        if sql.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH"):
            log.append(sql)
        return execute(sql, params, many, context)

    def checked(plan):
        assert log == [], log
        write(plan)

    monkeypatch.setattr(dispatch, "_write", checked)
    with travel(ACTED_ON), connection.execute_wrapper(statements):
        for name, body in (("suspend", SUSPEND), ("resume", {}), ("extend", EXTEND)):
            log.clear()
            assert _run(people["zj_decider"], case.number, name, body) == "ok", name
            assert log, name  # and the plan wrote them
    # The audit rows encoded before the lock chain as every other event: each hash is the SM3 of
    # its predecessor's and its canonical JSON as stored.
    events = list(AuditEvent.objects.order_by("seq"))
    for before, event in itertools.pairwise(events):
        assert event.prev_hash == before.hash
        assert event.hash == chain_hash(before.hash, event), event.action
