"""The public progress query's deadline clock, chosen in its statement on SQLite (issue 16;
docs/performance.md, "2026-12-07 (session 8)"): the statement returns the one open clock the
answer shows instead of every open clock of the case. The clock chosen is the one the answer chose
before from all of them (``progress._deadline`` over the open clocks in the clock index's order,
the last of a purpose kept) and the one the page's ORM read chooses (``selectors.deadline``): the
legal limit, else the promised one, else the notice window; a stage clock never; of two open
clocks of one purpose, the newer; stopped clocks never; a paused clock with its projection.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from rest_framework.renderers import JSONRenderer

from sifa.core import limits
from tests import probe_world

_SHOWN = ("legal", "promised", "notice_window")


@pytest.fixture(scope="module")
def world(probe_world_module) -> probe_world.World:
    return probe_world_module


def _case_and_code():
    from sifa.applications.models import Application
    from sifa.applications.query_codes import new_query_code, query_code_digest
    from sifa.deadlines.models import ClockState

    clocked = ClockState.objects.filter(subject_type="application").values("subject_id")
    app = (
        Application.objects.filter(number__isnull=False)
        .exclude(number="")
        .exclude(pk__in=[row["subject_id"] for row in clocked])
        .order_by("pk")
        .first()
    )
    code = new_query_code()
    Application.objects.filter(pk=app.pk).update(query_code_digest=query_code_digest(code))
    return app, code


def _clock(app, purpose: str, stage: str = "", *, stopped: bool = False, paused: bool = False, **values):
    from sifa.deadlines.models import ClockState

    return ClockState.objects.create(
        subject_type="application",
        subject_id=str(app.pk),
        purpose=purpose,
        stage=stage,
        scope_path="0001",
        started_on=dt.date(2026, 12, 1),
        limit_value=20,
        limit_unit="working_days",
        due_on=values.get("due_on", dt.date(2026, 12, 29)),
        working_days_left=values.get("working_days_left", 7),
        paused=paused,
        provisional=values.get("provisional", False),
        stopped_on=dt.date(2026, 12, 4) if stopped else None,
    )


def _chosen_before(app) -> int | None:
    """The clock the answer showed before the choice moved into SQL: every open clock of the case
    in the clock index's order (by id within the case), kept by purpose (the last of a purpose),
    then the first purpose shown."""
    from sifa.deadlines.models import ClockState

    open_clocks = ClockState.objects.filter(
        subject_type="application", subject_id=str(app.pk), stopped_on__isnull=True
    ).order_by("id")
    by_purpose = {clock.purpose: clock.pk for clock in open_clocks}
    return next((by_purpose[purpose] for purpose in _SHOWN if purpose in by_purpose), None)


# Each shape: the clocks made in this order (purpose, stage, options); the index of the one shown.
_SHAPES = {
    "none open": ([("legal", "", {"stopped": True})], None),
    "stage clock only": ([("stage", "1.1:审查", {})], None),
    "legal, promised and a stage clock": (
        [("stage", "1.1:审查", {}), ("promised", "", {}), ("legal", "", {"working_days_left": 3})],
        2,
    ),
    "legal stopped, promised and the notice window open": (
        [
            ("legal", "", {"stopped": True}),
            ("notice_window", "", {}),
            ("promised", "", {"due_on": dt.date(2027, 1, 5)}),
        ],
        2,
    ),
    "the notice window only": ([("promised", "", {"stopped": True}), ("notice_window", "", {})], 1),
    "two open legal clocks, the newer's stage first": (
        [
            ("legal", "z", {"working_days_left": 1}),
            ("promised", "", {}),
            ("legal", "a", {"working_days_left": 2}),
        ],
        2,
    ),
    "two open legal clocks, the newer's stage last": (
        [("legal", "a", {"working_days_left": 1}), ("legal", "z", {"working_days_left": 2})],
        1,
    ),
    "a newer stopped legal clock": (
        [("legal", "a", {"working_days_left": 1}), ("legal", "z", {"stopped": True, "working_days_left": 2})],
        0,
    ),
    "a paused legal clock and a promised one": (
        [("promised", "", {}), ("legal", "", {"paused": True, "provisional": True})],
        1,
    ),
    "a paused notice window": ([("notice_window", "", {"paused": True, "working_days_left": None})], 0),
    "every purpose open, twice": (
        [
            ("notice_window", "b", {}),
            ("legal", "b", {"working_days_left": 4}),
            ("promised", "b", {}),
            ("stage", "b", {}),
            ("notice_window", "a", {}),
            ("promised", "a", {}),
            ("legal", "a", {"working_days_left": 5, "provisional": True}),
            ("stage", "a", {}),
        ],
        6,
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("shape", list(_SHAPES))
def test_the_clock_chosen_in_sql_is_the_one_chosen_before(world, shape):
    from sifa.applications import progress, selectors, serializers
    from sifa.deadlines.models import ClockState

    app, code = _case_and_code()
    made, shown = _SHAPES[shape]
    clocks = [_clock(app, purpose, stage, **options) for purpose, stage, options in made]
    assert ClockState.objects.filter(subject_id=str(app.pk)).count() == len(made)
    expected = None if shown is None else clocks[shown].pk
    assert _chosen_before(app) == expected

    orm = serializers.tracking(selectors.track(app.number, code))
    limits.clear()
    decision, answer = progress.checked_progress(app.number, code, "reads-clock", limits.Rate(30, 60))
    assert decision.allowed and answer == orm and answer == progress.progress(app.number, code)
    if expected is None:
        assert answer["deadline"] is None
    else:
        clock = clocks[shown]
        assert answer["deadline"]["working_days_left"] == clock.working_days_left
        assert answer["deadline"]["paused"] is clock.paused
        assert answer["deadline"]["provisional"] is clock.provisional
        assert answer["deadline"]["kind"] == clock.get_purpose_display()
    _, body = progress.checked_progress(app.number, code, "reads-clock", limits.Rate(30, 60), encoded=True)
    assert body == JSONRenderer().render(orm) == progress.progress_json(app.number, code)
    limits.clear()


@pytest.mark.django_db
def test_the_statement_returns_only_the_shown_clock(world):
    """On SQLite the statement's one row holds one clock whatever the case has open (the answer
    needs no other), its numbers as numbers."""
    from django.db import connection

    from sifa.applications import progress

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's statement returns every open clock, as before")
    app, _code = _case_and_code()
    for purpose in ("stage", "notice_window", "promised", "legal"):
        _clock(app, purpose)
    with connection.cursor() as cursor:
        cursor.execute(progress._statement("sqlite"), [app.number])
        rows = cursor.fetchall()
    assert len(rows) == 1
    clock = json.loads(rows[0][1])
    assert clock[1] == "legal" and clock[6] is not None
    assert type(clock[0]) is int and type(clock[3]) is int and clock[4] == 0


@pytest.mark.django_db
def test_the_statement_builds_no_temporary_index_per_run():
    """On SQLite the progress query's statement builds no ephemeral b-tree when it runs: an
    ``IN (…)`` list of the clock's purposes did, on every request (docs/performance.md, "session
    14: W5"); the purposes are compared one by one instead."""
    from django.db import connection

    from sifa.applications import progress

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's program (EXPLAIN's opcodes)")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {progress._statement('sqlite')}", ["SF-NO-SUCH-NUMBER"])
        opcodes = [row[1] for row in cursor.fetchall()]
    assert "OpenEphemeral" not in opcodes
