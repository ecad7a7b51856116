"""The public progress query's deadline clock, chosen in its statement on SQLite (issue 16;
docs/performance.md, "2026-12-07 (session 8)"): the statement returns the one open clock the
answer shows instead of every open clock of the case. The clock chosen is the one the answer chose
before from all of them (``progress._deadline`` over the open clocks in the clock index's order,
the last of a purpose kept) and the one the page's ORM read chooses (``selectors.deadline``): the
legal limit, else the promised one, else the notice window; a stage clock never; of two open
clocks of one purpose, the newer; stopped clocks never; a paused clock with its projection.

Since session 15 (docs/performance.md, "2026-12-08 (session 15): W5") SQLite's statement for the
API's plain GET (``checked_progress(…, encoded=True)``) writes the answer's bytes itself
(``progress._written_statement``). The tests after the clocks' compare those bytes with DRF's
renderer on the dictionary answer (``progress.progress``: the columns' statement and the Python
answer) for values no case of the test world holds: texts JSON must escape, every status and item
type, a case without a submission time or a current organisation, and times and dates not in the
form Django writes (written in Python after a second read). On PostgreSQL the same comparisons hold
for its own path.
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


_TEXTS = [
    '引号 "双" \\ 反斜杠 /',
    "控制字符 \x00 \x01 \x08 \t \n \x0b \x0c \r \x1b \x1f \x7f",
    "行分隔符 \u2028 段分隔符 \u2029",
    "BMP 以外 \U0001f600 \U00020000 中文",
    "",
    "'; DROP TABLE x; -- %s %% %d",
]


def _case(world):
    from sifa.applications.models import Application
    from sifa.applications.query_codes import new_query_code, query_code_digest

    app = Application.objects.select_related("version__item").get(number=world.values["pending"])
    code = new_query_code()
    Application.objects.filter(pk=app.pk).update(query_code_digest=query_code_digest(code))
    return app, code


def _same_bytes(number: str, code: str) -> bytes:
    from sifa.applications import progress

    limits.clear()
    decision, body = progress.checked_progress(
        number, code, "written-test", limits.Rate(30, 60), encoded=True
    )
    assert decision.allowed
    assert body == JSONRenderer().render(progress.progress(number, code))
    assert body == progress.progress_json(number, code)
    return body


def _raw(sql: str, params: list) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_texts_json_escapes_are_written_as_drfs_renderer(world):
    from django.db import connection

    from sifa.applications.models import TimelineEntry
    from sifa.organisations.models import Organisation

    app, code = _case(world)
    organisation = Organisation.objects.get(pk=app.accepting_organisation_id)
    for text in _TEXTS:
        if connection.vendor == "postgresql":
            text = text.replace("\x00", "")  # PostgreSQL's text holds no NUL
        TimelineEntry.objects.filter(application=app).update(title=text, detail=text, event=text)
        Organisation.objects.filter(pk=organisation.pk).update(name=text)
        body = _same_bytes(app.number, code)
        assert b"\\u2028" not in body or "\u2028" in text
    TimelineEntry.objects.filter(application=app).update(organisation=None)
    _same_bytes(app.number, code)


@pytest.mark.django_db
def test_every_status_and_item_type_is_labelled_as_drfs_renderer(world):
    from sifa.applications.models import Application, ApplicationStatus
    from sifa.catalogue.models import CatalogueItem
    from sifa.catalogue.models.codes import ItemType

    app, code = _case(world)
    for item_type in (ItemType.LICENSING, *[t for t in ItemType if t != ItemType.LICENSING][:2]):
        CatalogueItem.objects.filter(pk=app.version.item_id).update(item_type=item_type)
        for status in [*ApplicationStatus, "no_such_status"]:
            Application.objects.filter(pk=app.pk).update(status=status)
            _same_bytes(app.number, code)


@pytest.mark.django_db
def test_a_case_without_a_submission_time_or_current_organisation(world):
    from sifa.applications.models import Application, TimelineEntry

    app, code = _case(world)
    Application.objects.filter(pk=app.pk).update(submitted_at=None, current_organisation=None)
    _same_bytes(app.number, code)
    TimelineEntry.objects.filter(application=app).delete()
    assert b'"timeline":[]}' in _same_bytes(app.number, code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stamp",
    [
        "2026-12-06 10:04:20.000000",
        "2026-12-06T10:04:20",
        "2026-12-06 10:04:20.5",
        "2026-12-06 10:04:20+08:00",
        "2026-12-06 10:04:20,123456",
        "2026-12-06 10:04:20.123456",
        "2026-12-06 10:04:20",
    ],
)
def test_times_not_in_djangos_form_are_written_as_before(world, stamp):
    """SQLite's text of a time in another form than Django's is parsed and written in Python, as
    before (a second read); Django's own forms are written by SQLite."""
    from django.db import connection

    from sifa.applications import progress
    from sifa.applications.models import Application, TimelineEntry

    app, code = _case(world)
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's stored text")
    entries, cases = TimelineEntry._meta.db_table, Application._meta.db_table
    first = f"SELECT min(id) FROM {entries} WHERE application_id = %s"  # noqa: S608
    _raw(f"UPDATE {entries} SET occurred_at = %s WHERE id = ({first})", [stamp, app.pk.hex])  # noqa: S608
    _same_bytes(app.number, code)
    _raw(f"UPDATE {cases} SET submitted_at = %s WHERE id = %s", [stamp, app.pk.hex])  # noqa: S608
    _same_bytes(app.number, code)
    limits.clear()
    rows = limits.peek_then_read(
        "written-test", limits.Rate(30, 60), progress._written_statement(), [app.number], width=4
    )[1]
    declined = progress._written_answer(rows, code) is progress._DECLINED
    assert declined is (progress._SQLITE_STAMP.fullmatch(stamp) is None)


@pytest.mark.django_db
def test_a_due_date_not_in_djangos_form_is_written_as_before(world):
    import datetime as dt

    from django.db import connection

    from sifa.deadlines.models import ClockState

    app, code = _case(world)
    ClockState.objects.filter(subject_type="application", subject_id=str(app.pk)).delete()
    clock = ClockState.objects.create(
        subject_type="application",
        subject_id=str(app.pk),
        purpose="legal",
        scope_path="0001",
        started_on=dt.date(2026, 12, 1),
        limit_value=20,
        limit_unit="working_days",
        due_on=dt.date(2027, 1, 5),
        working_days_left=7,
    )
    _same_bytes(app.number, code)
    if connection.vendor == "sqlite":
        _raw(f"UPDATE {ClockState._meta.db_table} SET due_on = %s WHERE id = %s", ["2027-1-5", clock.pk])  # noqa: S608
        assert b'"due_on":"2027-01-05"' in _same_bytes(app.number, code)
    ClockState.objects.filter(pk=clock.pk).update(due_on=None, working_days_left=None)
    _same_bytes(app.number, code)


@pytest.mark.django_db
def test_the_written_statement_sorts_and_indexes_nothing_per_run():
    """On SQLite the statement builds no ephemeral b-tree and no sorter when it runs: the
    timeline's order is the index ``applications_timeline_order``'s, the purposes are compared one
    by one (docs/performance.md, "session 14: W5")."""
    from django.db import connection

    from sifa.applications import progress

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's program (EXPLAIN's opcodes)")
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {progress._written_statement()}", ["SF-NO-SUCH-NUMBER"])
        opcodes = [row[1] for row in cursor.fetchall()]
    assert "OpenEphemeral" not in opcodes and "SorterOpen" not in opcodes
