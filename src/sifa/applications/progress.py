"""The public progress answer (``GET /api/v1/track/{number}/?code=``) read with fixed SQL.

The same answer as ``serializers.tracking(selectors.track(number, code))`` — the page 办件查询
still builds it that way, and ``tests/perf/test_queries_reads.py`` checks that both agree for
every case — but read from raw rows: one statement for the case (its digest, item, organisations),
and, once the code matched, one for the open clocks and one for the public timeline. The progress
query is public and runs on every request of an applicant refreshing the page; building three ORM
queries and model rows cost several times the reads themselves (docs/performance.md, "2026-12-06:
W5 on fixed SQL").

On SQLite the API's plain GET takes the answer's bytes from a statement that writes them
(:func:`_written_statement`, docs/performance.md, "2026-12-08 (session 15): W5"); the dictionary
answer (DRF's other ``Accept``s, the page) and PostgreSQL read the columns.

An unknown number and a wrong code cost the same statement and give the same ``None``; the code is
checked with one keyed HMAC-SM3 and a constant-time comparison (docs/security.md, "Query codes").
Under the API's throttle (:func:`checked_progress`) both are counted as a failed lookup, and a
found case is not counted at all (docs/adr/0012-count-only-failed-progress-queries.md).
"""

from __future__ import annotations

import datetime as dt
import json
import json.scanner
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.compat import LONG_SEPARATORS, SHORT_SEPARATORS
from rest_framework.renderers import JSONRenderer

from sifa.applications import query_codes, selectors
from sifa.applications.models import PLAIN_STATUS, Application, ApplicationStatus, TimelineEntry
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion
from sifa.catalogue.models.codes import ItemType
from sifa.core import limits
from sifa.core.db import fixed_cursor
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.organisations.models import Organisation

_DECIDED = (ApplicationStatus.APPROVED.value, ApplicationStatus.DENIED.value)
_STATUS_NAMES = dict(ApplicationStatus.choices)
_PURPOSES = (ClockPurpose.LEGAL.value, ClockPurpose.PROMISED.value, ClockPurpose.NOTICE_WINDOW.value)
_PURPOSE_NAMES = dict(ClockPurpose.choices)


# PostgreSQL's statement: one row per kind — 0 the case, 1 an open clock, 2 a public timeline
# entry —, each kind with columns of its own (NULL in the rows of the other kinds: a column's type
# is the same in every branch). SQLite's statement: one row for the case, or none, of three
# columns — the case's values, the shown clock's and its timeline entries', each a JSON array
# built by SQLite (docs/performance.md, "session 9").
_CASE, _CLOCK, _ENTRY = 0, 1, 2
_RANKED = 2**40
"""A clock's rank in SQLite's choice of the shown clock is its purpose's place times this, less
its id (ids stay below it)."""
_CASE_COLUMNS = slice(1, 10)
_SCAN = json.scanner.make_scanner(json.JSONDecoder())
"""``json``'s scanner (its C function) with the default decoder's settings: one JSON value read
from a string at a position, without ``json.loads``'s Python steps around it (the text is
SQLite's, a single JSON array: nothing before or after it)."""


def _row_parts(rows: list[tuple], layout: _Layout) -> tuple[tuple | None, dict[str, tuple], list[tuple]]:
    """The case's values (``_CASE_COLUMNS``), its open clocks by purpose (the last row of a purpose
    kept) and its public timeline entries (unsorted) from PostgreSQL's rows, in any order."""
    case, clocks, entries = None, {}, []
    clock_columns, at = layout.clock, layout.entry
    for row in rows:
        kind = row[0]
        if kind == _ENTRY:
            entries.append(row[at : at + 6])
        elif kind == _CLOCK:
            columns = row[clock_columns]
            clocks[columns[1]] = columns
        elif case is None:
            case = row[_CASE_COLUMNS]
    return case, clocks, entries


def _json_parts(rows: list[tuple], layout: _Layout) -> tuple[list | None, dict[str, list], list[list]]:
    """:func:`_row_parts` from SQLite's row: its three JSON arrays read back (integers as integers,
    text as text, ``null`` as ``None``: every value the columns hold; no column is a real or a
    blob), the clock only when one is open (its rank, the array's last value, is not ``null``)."""
    if not rows:
        return None, {}, []
    case, clock, entries = rows[0]
    clock = _SCAN(clock, 0)[0]
    return _SCAN(case, 0)[0], {} if clock[6] is None else {clock[1]: clock[:6]}, _SCAN(entries, 0)[0]


@dataclass(frozen=True)
class _Layout:
    """How a vendor's statement gives the case, its open clocks and its timeline."""

    parts: Callable[[list[tuple], _Layout], tuple]
    """The rows' case (its 9 values, or ``None``), open clocks by purpose (each
    ``id, purpose, due_on, working_days_left, paused, provisional``) and timeline entries (each
    ``occurred_at, event, title, detail, organisation, id``, in no order): :func:`_row_parts`,
    :func:`_json_parts`."""
    numbers: int
    """How many times the statement takes the case's number as a parameter."""
    clock: slice | None = None
    """PostgreSQL: where an open clock's columns are in its row."""
    entry: int = 0
    """PostgreSQL: a timeline entry's first column in its row."""
    order: tuple[int, ...] = ()
    """PostgreSQL: the page's order (kind; a timeline entry's ``occurred_at``, then its id) as
    1-based column positions. :func:`checked_progress` sorts the few entries itself instead
    (:func:`_answer`): the same order, as PostgreSQL compares its timestamps, without a sort step in
    the statement. SQLite's one row needs no order."""
    width: int | None = None
    """The statement's number of columns, given to the limit's look on SQLite, which then returns
    its counts in a row of their own (``limits.peek_then_read``)."""


_LAYOUTS = {
    "postgresql": _Layout(_row_parts, 3, clock=slice(10, 16), entry=16, order=(1, 17, 22)),
    "sqlite": _Layout(_json_parts, 1, width=3),
}


def _layout(vendor: str) -> _Layout:
    return _LAYOUTS["postgresql" if vendor == "postgresql" else "sqlite"]


@cache
def _statement(vendor: str) -> str:
    """The case, its open clocks and its public timeline in one statement (table names from the
    models; built once per process and database vendor), its columns as :func:`_layout` says. On
    PostgreSQL one ``UNION ALL`` whose first branch names every column's type, so PostgreSQL
    resolves the other branches' NULLs; without its ``ORDER BY``: ordered by the layout's
    ``order``. On SQLite one row of JSON arrays (:func:`_sqlite_statement`).

    The case's item, item type and organisations, and a timeline entry's organisation, are scalar
    subqueries by primary key (each foreign key is required and constrained, so they give what the
    inner joins gave; the current organisation and an entry's may be NULL, as with the outer joins):
    PostgreSQL then reaches each by its index, where for the joins its plan on a small database
    was merge joins over the sorted organisations and entries (docs/performance.md, "session 4")."""
    app, entry, version = (
        Application._meta.db_table,
        ImplementationEntry._meta.db_table,
        ItemVersion._meta.db_table,
    )
    item, org = CatalogueItem._meta.db_table, Organisation._meta.db_table
    clock, line = ClockState._meta.db_table, TimelineEntry._meta.db_table
    names = [
        f"(SELECT ei.name FROM {item} ei WHERE ei.id = (SELECT e.item_id FROM {entry} e WHERE e.id = a.entry_id))",  # noqa: S608
        f"(SELECT vi.item_type FROM {item} vi WHERE vi.id = (SELECT v.item_id FROM {version} v WHERE v.id = a.version_id))",  # noqa: S608
        f"(SELECT ao.name FROM {org} ao WHERE ao.id = a.accepting_organisation_id)",  # noqa: S608
        f"(SELECT co.name FROM {org} co WHERE co.id = a.current_organisation_id)",  # noqa: S608
    ]
    clock_columns = "c.id, c.purpose, c.due_on, c.working_days_left, c.paused, c.provisional"
    entry_where = f"WHERE t.application_id = (SELECT x.id FROM {app} x WHERE x.number = %s) AND t.public"  # noqa: S608
    entry_organisation = f"(SELECT o.name FROM {org} o WHERE o.id = t.organisation_id)"  # noqa: S608
    if vendor != "postgresql":
        return _sqlite_statement(names)
    none = lambda kind: f"CAST(NULL AS {kind})"  # noqa: E731
    clock_nulls = ", ".join(none(k) for k in ("bigint", "varchar", "date", "integer", "boolean", "boolean"))
    entry_nulls = ", ".join(
        none(k) for k in ("timestamp with time zone", "varchar", "varchar", "text", "varchar", "bigint")
    )
    case_nulls = ", ".join(["NULL"] * 9)
    return (
        f"SELECT 0, a.id, a.number, a.status, a.submitted_at, a.query_code_digest, {', '.join(names)}, "  # noqa: S608
        f"{clock_nulls}, {entry_nulls} FROM {app} a "
        f"WHERE a.number = %s "
        f"UNION ALL SELECT 1, {case_nulls}, {clock_columns}, {', '.join(['NULL'] * 6)} FROM {clock} c "
        f"WHERE c.subject_type = 'application' "  # the clock index (subject_type, subject_id): no scan of the open clocks
        f"AND c.subject_id = (SELECT CAST(x.id AS varchar) FROM {app} x WHERE x.number = %s) "
        f"AND c.stopped_on IS NULL "
        f"UNION ALL SELECT 2, {case_nulls}, {', '.join(['NULL'] * 6)}, t.occurred_at, t.event, t.title, "
        f"t.detail, {entry_organisation}, t.id FROM {line} t {entry_where}"
    )


def _sqlite_statement(names: list[str]) -> str:
    """SQLite's statement: the case found by its number once, and one row of three JSON arrays
    built by SQLite — the case's values (as :data:`_CASE_COLUMNS` of PostgreSQL's row), the shown
    clock's with its rank, and the public timeline entries' — instead of a row per clock and entry
    with the case looked up again for each kind (docs/performance.md, "session 9"). Each array
    holds what the columns hold, read back by :func:`_json_parts`.

    Three values per request instead of 6–7 rows of 10: CPython 3.11's ``sqlite3`` releases and
    takes the GIL around each step and each column it fetches, and a thread waiting for the GIL is
    woken each time; the clock and timeline subqueries are correlated to the case's row, so the
    case's number is looked up once (``x.number = %s`` three times before).

    The deadline's clock is chosen here (:func:`_deadline`'s choice: the first purpose of
    ``_PURPOSES`` with an open clock; of two open clocks of one purpose the newer, the last row of
    a purpose before, as the clock index gave them by id; docs/performance.md, "session 8"), by
    SQLite's ``min()`` with bare columns (the values of the row with the least rank, purpose
    first, then the greatest id); no clock open: the aggregate's one row of NULLs, its rank
    ``null``. A clock's subject is the case's id in the dashed form (SQLite keeps a UUID as 32 hex
    digits). Times as their stored text."""
    app, line, clock = Application._meta.db_table, TimelineEntry._meta.db_table, ClockState._meta.db_table
    org = Organisation._meta.db_table
    text_id = (
        "substr(a.id, 1, 8) || '-' || substr(a.id, 9, 4) || '-' || substr(a.id, 13, 4) || '-' "
        "|| substr(a.id, 17, 4) || '-' || substr(a.id, 21, 12)"
    )
    # The purposes as ``OR``ed comparisons, not ``IN (…)``: SQLite builds an ephemeral index of an
    # ``IN`` list's values on every run of the statement (``OpenEphemeral`` and an insert per value
    # under ``Once``, which holds for one run only) — ≈ 11 % of the statement (docs/performance.md,
    # "session 14: W5"). ``+`` keeps the comparisons off any index, as before.
    purposes = " OR ".join(f"+c.purpose = '{purpose}'" for purpose in _PURPOSES)
    ranks = " ".join(f"WHEN '{purpose}' THEN {rank}" for rank, purpose in enumerate(_PURPOSES))
    shown_clock = (
        "SELECT json_array(c.id, c.purpose, c.due_on, c.working_days_left, c.paused, c.provisional, "  # noqa: S608
        f"min(CASE c.purpose {ranks} END * {_RANKED} - c.id)) FROM {clock} c "
        f"WHERE c.subject_type = 'application' "  # the clock index (subject_type, subject_id)
        f"AND c.subject_id = {text_id} AND c.stopped_on IS NULL AND ({purposes})"
    )
    timeline = (
        "SELECT json_group_array(json_array(t.occurred_at, t.event, t.title, t.detail, "  # noqa: S608
        f"(SELECT o.name FROM {org} o WHERE o.id = t.organisation_id), t.id)) FROM {line} t "
        "WHERE t.application_id = a.id AND t.public"
    )
    return (
        "SELECT json_array(a.id, a.number, a.status, a.submitted_at, a.query_code_digest, "  # noqa: S608
        f"{', '.join(names)}), ({shown_clock}), ({timeline}) FROM {app} a WHERE a.number = %s"
    )


def _datetime(value: Any) -> dt.datetime | None:
    """A raw timestamp as the ORM gives it: aware (UTC) with ``USE_TZ`` (``timezone.make_aware``
    with UTC is this ``replace``)."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = parse_datetime(value)
    if value.utcoffset() is None and settings.USE_TZ:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(value)


def _status_label(status: str, item_type: str) -> str:
    """``Application.status_label`` from the columns."""
    if status in _DECIDED and item_type != ItemType.LICENSING:
        return "准予办理" if status == ApplicationStatus.APPROVED else "不予办理"
    return PLAIN_STATUS.get(status, _STATUS_NAMES.get(status, status))


def _deadline(clocks: dict[str, tuple]) -> dict[str, Any] | None:
    """``selectors.deadline`` from the open clocks' derived columns, by purpose (a paused clock's
    projection reads its events through ``selectors``, as there)."""
    for purpose in _PURPOSES:
        row = clocks.get(purpose)
        if row is not None:
            pk, _purpose, due_on, working_days_left, paused, provisional = row
            due_on, paused, provisional = _date(due_on), bool(paused), bool(provisional)
            expected_on = due_on if not paused else selectors._projected_due_on(ClockState.objects.get(pk=pk))
            return {
                "kind": _PURPOSE_NAMES[purpose],
                "due_on": due_on,
                "expected_on": expected_on,
                "working_days_left": working_days_left,
                "paused": paused,
                "provisional": provisional,
                "expected_provisional": provisional or paused,
            }
    return None


@cache
def _ordered(vendor: str) -> str:
    order = _layout(vendor).order
    return f"{_statement(vendor)} ORDER BY {', '.join(map(str, order))}" if order else _statement(vendor)


def progress(number: str, code: str) -> dict[str, Any] | None:
    """The public progress answer, or ``None`` for an unknown number or a wrong code (the same)."""
    return _read(number, code, _datetime)


def progress_json(number: str, code: str) -> bytes | None:
    """:func:`progress`'s answer as the API's JSON (:func:`checked_progress` with ``encoded``),
    unthrottled; ``None`` as there."""
    return _read(number, code, _stamp)


def _read(number: str, code: str, moment) -> Any:
    number = str(number or "")[:50]
    with fixed_cursor(connection) as cursor:
        vendor = connection.vendor
        layout = _layout(vendor)
        cursor.execute(_ordered(vendor), [number] * layout.numbers)
        return _answer(cursor.fetchall(), code, moment, layout)


_VENDORS: dict[str, str] = {}


def _vendor() -> str:
    """``connection.vendor`` of the default database, found by its configured engine: without
    the connection's lookup through the handler's per-thread storage (≈ 3.5 µs on every request;
    the store reads the connection itself)."""
    engine = connections.settings[DEFAULT_DB_ALIAS]["ENGINE"]
    vendor = _VENDORS.get(engine)
    if vendor is None:
        vendor = _VENDORS[engine] = connections[DEFAULT_DB_ALIAS].vendor
    return vendor


def checked_progress(
    number: str, code: str, key: str, rate: limits.Rate, *, encoded: bool = False
) -> tuple[limits.Decision, Any]:
    """:func:`progress`'s answer under the progress query's throttle, which counts **failed**
    lookups only (docs/adr/0012-count-only-failed-progress-queries.md): the client's count under
    ``key`` is looked at (``rate`` failures in the window refuse the request, whatever its code)
    and, only when it allows the request, the case is read — one read-only statement with the
    database store (``limits.peek_then_read``). A found case is the answer and writes nothing; an
    unknown number or a wrong code (the same ``None``) is then counted with one capped hit, whose
    decision is returned: refused when the client's failures reached the rate meanwhile (answered
    429 as any refusal). A refused request reads nothing (answer ``None``). With ``encoded``, the
    answer is the bytes of the API's JSON answer (:func:`progress_json`)."""
    number = str(number or "")[:50]
    vendor = _vendor()
    layout = _layout(vendor)
    if encoded and layout.width is not None and _WRITES_IN_SQL and settings.USE_TZ:
        # SQLite writes the answer's bytes itself (:func:`_written_statement`).
        decision, rows = limits.peek_then_read(key, rate, _written_statement(), [number], width=4)
        if not decision.allowed:
            return decision, None
        answer = _written_answer(rows, code)
        if answer is _DECLINED:  # a value SQLite does not write as json would: read and written here
            answer = _read(number, code, _stamp)
    else:
        decision, rows = limits.peek_then_read(
            key, rate, _statement(vendor), [number] * layout.numbers, width=layout.width
        )
        if not decision.allowed:
            return decision, None
        answer = _answer(rows, code, _stamp if encoded else _datetime, layout)
    if answer is None:
        decision = limits.hit(key, rate)
    return decision, answer


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    """A date or time as DRF's ``JSONEncoder`` writes it (ISO 8601; UTC as ``Z``)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


_SQLITE_STAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.(?!0{6})\d{6})?")
"""SQLite's text of a stored time as Django writes it (``str()`` of the naive UTC time: no
fraction when there are no microseconds, else six digits)."""


def _stamp(value: Any) -> str | None:
    """``_iso(_datetime(value))``: a raw timestamp as the API's JSON writes it. SQLite's text of a
    stored time in the form Django writes is that text with ``T`` and ``Z`` (UTC) — what parsing it
    and writing it again gives, without the two (tested against it); other text, and PostgreSQL's
    instants, are parsed and written."""
    if value is None:
        return None
    if type(value) is str and settings.USE_TZ and _SQLITE_STAMP.fullmatch(value):
        return f"{value[:10]}T{value[11:]}Z"
    return _iso(_datetime(value))


_by_time = operator.itemgetter(0, 5)
"""A timeline entry's place (its columns from ``occurred_at``): ``occurred_at, id``."""

_SEPARATORS = SHORT_SEPARATORS if JSONRenderer.compact else LONG_SEPARATORS
_ENCODER = json.JSONEncoder(
    ensure_ascii=JSONRenderer.ensure_ascii, allow_nan=not JSONRenderer.strict, separators=_SEPARATORS
)
"""``json.dumps`` with DRF's settings, made once (``json.dumps`` with arguments builds an encoder
per call): for a value :func:`_scalar` does not write itself."""
_STRING = (
    json.encoder.encode_basestring_ascii if JSONRenderer.ensure_ascii else json.encoder.encode_basestring
)
"""A string as ``json``'s encoder writes it with DRF's ``ensure_ascii`` (its C function)."""


def _scalar(value: Any) -> str:
    """``_ENCODER.encode(value)`` for a value that is no list or dict: text, a number, a flag,
    ``None``."""
    if type(value) is str:
        return _STRING(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


def _template(keys: tuple[str, ...]) -> str:
    """An object of ``keys`` as ``_ENCODER`` writes it, each value a ``%s`` (the values' JSON)."""
    item_separator, key_separator = (separator.replace("%", "%%") for separator in _SEPARATORS)
    return (
        "{" + item_separator.join(f"{_STRING(key).replace('%', '%%')}{key_separator}%s" for key in keys) + "}"
    )


_ANSWER_KEYS = (
    "number",
    "item",
    "status",
    "status_label",
    "stage",
    "organisation",
    "submitted_at",
    "deadline",
    "timeline",
)
_ENTRY_KEYS = ("occurred_at", "event", "title", "detail", "organisation")
_DEADLINE_KEYS = (
    "kind",
    "due_on",
    "expected_on",
    "working_days_left",
    "paused",
    "provisional",
    "expected_provisional",
)
_ANSWER, _TIMELINE_ENTRY, _DEADLINE = (
    _template(_ANSWER_KEYS),
    _template(_ENTRY_KEYS),
    _template(_DEADLINE_KEYS),
)
"""The answer's objects with their keys written once: only the values are encoded per request
(docs/performance.md, "session 7")."""


def _json(answer: dict[str, Any]) -> bytes:
    """``JSONRenderer().render()`` of the answer whose timestamps are already DRF's text
    (:func:`_stamp`), byte for byte: the deadline's dates written as DRF's encoder writes them,
    then ``json.dumps`` with DRF's settings (Unicode, compact, strict) and DRF's escaping of
    U+2028/U+2029 — without the encoder's Python callback for each date and time
    (``tests/perf/test_queries_reads.py`` compares both for every case). The API's answer is
    written by :func:`_encoded`, the same bytes without building this dictionary."""
    deadline = answer["deadline"]
    if deadline is not None:
        answer["deadline"] = {
            **deadline,
            "due_on": _iso(deadline["due_on"]),
            "expected_on": _iso(deadline["expected_on"]),
        }
    return _bytes(_ENCODER.encode(answer))


def _bytes(text: str) -> bytes:
    """The JSON text as DRF's renderer sends it: U+2028/U+2029 escaped, UTF-8."""
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def _answer(rows: list[tuple], code: str, moment, layout: _Layout) -> Any:
    """The answer from the statement's rows (as ``layout`` reads them: :func:`_row_parts`,
    :func:`_json_parts`), the timeline sorted here (``occurred_at, id``), its timestamps made by
    ``moment`` (:func:`_datetime`: the answer; :func:`_stamp`: its JSON bytes, :func:`_encoded`)."""
    case, clocks, entries = layout.parts(rows, layout)
    digest = case[4] if case is not None else ""
    if not query_codes.query_code_matches(code or "", digest) or case is None:
        return None
    entries.sort(key=_by_time)
    if moment is _stamp:
        return _encoded(case, clocks, entries)
    _raw_id, number, status, submitted_at, _digest, item, item_type, accepting, current = case
    timeline = [
        {
            "occurred_at": moment(occurred_at),
            "event": event,
            "title": title,
            "detail": detail,
            "organisation": organisation or "",
        }
        for occurred_at, event, title, detail, organisation, _id in entries
    ]
    return {
        "number": number,
        "item": item,
        "status": status,
        "status_label": _status_label(status, item_type),
        "stage": selectors.STAGES.get(status, ""),
        "organisation": current if current is not None else accepting,
        "submitted_at": moment(submitted_at),
        "deadline": _deadline(clocks),
        "timeline": timeline,
    }


def _deadline_text(deadline: dict[str, Any] | None) -> str | None:
    """:func:`_deadline`'s object as the answer's JSON writes it (``_DEADLINE``), or ``None``."""
    if deadline is None:
        return None
    due_on, expected_on = deadline["due_on"], deadline["expected_on"]
    due_text = _iso(due_on)
    # A clock that is not paused expects its due date itself (``_deadline``): written once.
    expected_text = due_text if expected_on is due_on else _iso(expected_on)
    return _DEADLINE % (
        _scalar(deadline["kind"]),
        _scalar(due_text),
        _scalar(expected_text),
        _scalar(deadline["working_days_left"]),
        _scalar(deadline["paused"]),
        _scalar(deadline["provisional"]),
        _scalar(deadline["expected_provisional"]),
    )


def _encoded(case: tuple | list, clocks: dict[str, tuple], entries: list) -> bytes:
    """:func:`_json` of :func:`_answer`'s dictionary (the timeline sorted), written from the
    columns into the objects' templates (``_ANSWER``, ``_TIMELINE_ENTRY``, ``_DEADLINE``): the
    same bytes — each value as ``json`` writes it (:func:`_scalar`), the keys, separators and
    brackets as it writes them — without the dictionaries and ``json``'s walk over them
    (``tests/perf/test_queries_reads.py`` compares both for every case and for values no case of
    the test world holds)."""
    _raw_id, number, status, submitted_at, _digest, item, item_type, accepting, current = case
    deadline = _deadline_text(_deadline(clocks))
    string = _STRING
    sqlite_text = _SQLITE_STAMP.fullmatch if settings.USE_TZ else None

    def stamp(value: Any) -> str | None:  # _stamp, with USE_TZ read once per answer
        if type(value) is str and sqlite_text is not None and sqlite_text(value):
            return f"{value[:10]}T{value[11:]}Z"
        return _iso(_datetime(value))

    # Each object's values are mostly text: all written by ``json``'s C function for a string at
    # once, else (a ``None``, which it refuses with a TypeError) each by ``_scalar``.
    members = []
    for occurred_at, event, title, detail, organisation, _id in entries:
        values = (stamp(occurred_at), event, title, detail, organisation or "")
        try:
            members.append(_TIMELINE_ENTRY % tuple(map(string, values)))
        except TypeError:
            members.append(_TIMELINE_ENTRY % tuple(map(_scalar, values)))
    values = (
        number,
        item,
        status,
        _status_label(status, item_type),
        selectors.STAGES.get(status, ""),
        current if current is not None else accepting,
        stamp(submitted_at),
    )
    try:
        written = tuple(map(string, values))
    except TypeError:
        written = tuple(map(_scalar, values))
    text = _ANSWER % (*written, deadline or "null", f"[{_SEPARATORS[0].join(members)}]")
    return _bytes(text)


# --- SQLite: the API's answer written by the statement (docs/performance.md, "session 15: W5") ---

_WRITES_IN_SQL = JSONRenderer.compact and not JSONRenderer.ensure_ascii
"""SQLite's ``json_quote`` writes a string as ``json`` does with ``ensure_ascii=False`` (``"``,
``\\`` and the control characters escaped, ``\\u00XX`` in lower case, everything else as itself):
DRF's compact, Unicode JSON is what the statement can write. Otherwise (and without ``USE_TZ``,
whose times ``_stamp`` writes) the answer is written from the columns (:func:`_encoded`)."""
_DECLINED = object()
""":func:`_written_answer` for a found case whose answer SQLite did not write (a value it does not
write as ``json`` would): read again and written in Python."""
_DIGITS = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
_STAMP_19 = f"{_DIGITS} [0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
_STAMP_26 = f"{_STAMP_19}.[0-9][0-9][0-9][0-9][0-9][0-9]"


class _Sql(str):
    """An SQL expression among the parts of :func:`_sql_printf` (the rest are text)."""


def _sql_literal(text: str) -> str:
    """``text`` as an SQL string literal (a ``%`` doubled for Django's placeholder conversion)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def _sql_json(value: str) -> str:
    """A string as the answer's JSON writes it (``_STRING``), as an SQL string literal."""
    return _sql_literal(_STRING(value))


def _sql_printf(parts: list[str]) -> str:
    """SQL giving ``parts`` written one after another — text as itself, each :class:`_Sql` as its
    value — in one ``printf()`` (one buffer: a chain of ``||`` allocates and copies again at each
    step). No value may be ``NULL`` (``printf`` writes it as nothing)."""
    form = "".join("%s" if isinstance(part, _Sql) else part.replace("%", "%%") for part in parts)
    values = [part for part in parts if isinstance(part, _Sql)]
    return f"printf({_sql_literal(form)}, {', '.join(values)})" if values else _sql_literal(form)


def _key(keys: tuple[str, ...], key: str) -> str:
    """What the answer's JSON writes before ``key``'s value in an object of ``keys``: ``{`` or the
    item separator, the key, the key separator (as :func:`_template`)."""
    item_separator, key_separator = _SEPARATORS
    return f"{'{' if keys.index(key) == 0 else item_separator}{_STRING(key)}{key_separator}"


def _sql_stamped(column: str, null: str, text: str) -> str:
    """SQL giving ``null`` when ``column`` is ``NULL``, ``text`` when SQLite's text of the time is
    in the form Django writes (``_SQLITE_STAMP`` with ASCII digits: :func:`_stamp` writes it with
    ``T`` and ``Z``, ``text`` writes ``replace(column, ' ', 'T')``), otherwise ``NULL``
    (:data:`_DECLINED`)."""
    return (
        f"CASE WHEN {column} IS NULL THEN {null} WHEN typeof({column}) = 'text' AND CASE length({column}) "
        f"WHEN 19 THEN {column} GLOB '{_STAMP_19}' WHEN 26 THEN {column} GLOB '{_STAMP_26}' "
        f"AND substr({column}, 21) <> '000000' END THEN {text} END"
    )


def _sql_printf_stamped(column: str, before: list[str]) -> str:
    """:func:`_sql_printf` of ``before`` and :func:`_stamp` of ``column`` as JSON (``null``, or the
    text in quotes), as :func:`_sql_stamped` allows."""
    stamp = _Sql(f"replace({column}, ' ', 'T')")
    return _sql_stamped(column, _sql_printf([*before, "null"]), _sql_printf([*before, '"', stamp, 'Z"']))


def _sql_cases(column: str, texts: dict, otherwise: str) -> str:
    """``texts[column]`` as JSON, else ``otherwise`` (SQL)."""
    whens = " ".join(f"WHEN {_sql_literal(str(k))} THEN {_sql_json(v)}" for k, v in texts.items())
    return f"CASE {column} {whens} ELSE {otherwise} END"


_DEADLINE_KEY = _key(_ANSWER_KEYS, "deadline")


@cache
def _written_statement() -> str:
    """SQLite's statement for the API's answer: one row for the case (or none) of the query code's
    digest and the answer's JSON in three parts, each written by SQLite as :func:`_encoded` writes
    it from :func:`_statement`'s columns — the case's part up to ``"submitted_at"``'s value, the
    deadline from the separator before its key, and the timeline with the closing brace — as
    UTF-8 (``BLOB``: no text decoded and encoded again). The same lookups as
    :func:`_sqlite_statement` (the case by number once; its names by primary key; the shown clock
    by ``min()`` with bare columns; the public timeline entries in the order of the index
    ``applications_timeline_order``, the page's: ``occurred_at``, then id); the status label, stage
    and clock kind by ``CASE`` from the same dictionaries; each part by one ``printf()``.

    A paused clock's deadline is its values' JSON array (``[…]``): its projection reads its events
    in Python (:func:`_deadline`). A time or date not in the form Django writes makes its part
    ``NULL``: the answer is then read again and written in Python (:data:`_DECLINED`)."""
    app, line, clock = Application._meta.db_table, TimelineEntry._meta.db_table, ClockState._meta.db_table
    item, version = CatalogueItem._meta.db_table, ItemVersion._meta.db_table
    entry, org = ImplementationEntry._meta.db_table, Organisation._meta.db_table
    approved, denied = ApplicationStatus.APPROVED.value, ApplicationStatus.DENIED.value
    item_type = f"(SELECT vi.item_type FROM {item} vi WHERE vi.id = (SELECT v.item_id FROM {version} v WHERE v.id = a.version_id))"  # noqa: S608
    label = (
        f"CASE WHEN (a.status = '{approved}' OR a.status = '{denied}') AND {item_type} IS NOT "
        f"'{ItemType.LICENSING.value}' THEN CASE a.status WHEN '{approved}' THEN {_sql_json('准予办理')} "
        f"ELSE {_sql_json('不予办理')} END ELSE "
        + _sql_cases("a.status", {**_STATUS_NAMES, **PLAIN_STATUS}, "json_quote(a.status)")
        + " END"
    )
    case = [
        _key(_ANSWER_KEYS, "number"),
        _Sql("json_quote(a.number)"),
        _key(_ANSWER_KEYS, "item"),
        _Sql(
            f"json_quote((SELECT ei.name FROM {item} ei WHERE ei.id = (SELECT e.item_id FROM {entry} e WHERE e.id = a.entry_id)))"  # noqa: S608
        ),
        _key(_ANSWER_KEYS, "status"),
        _Sql("json_quote(a.status)"),
        _key(_ANSWER_KEYS, "status_label"),
        _Sql(f"({label})"),
        _key(_ANSWER_KEYS, "stage"),
        _Sql(f"({_sql_cases('a.status', selectors.STAGES, _sql_json(''))})"),
        _key(_ANSWER_KEYS, "organisation"),
        _Sql(
            f"json_quote(coalesce((SELECT co.name FROM {org} co WHERE co.id = a.current_organisation_id), "  # noqa: S608
            f"(SELECT ao.name FROM {org} ao WHERE ao.id = a.accepting_organisation_id)))"
        ),
        _key(_ANSWER_KEYS, "submitted_at"),
    ]
    head = _sql_printf_stamped("a.submitted_at", case)
    provisional = _Sql("CASE WHEN c.provisional THEN 'true' ELSE 'false' END")
    kinds = {purpose: _PURPOSE_NAMES[purpose] for purpose in _PURPOSES}

    def written_deadline(due: list[str]) -> str:
        return _sql_printf(
            [
                _DEADLINE_KEY,
                _key(_DEADLINE_KEYS, "kind"),
                _Sql(f"({_sql_cases('c.purpose', kinds, 'NULL')})"),
                _key(_DEADLINE_KEYS, "due_on"),
                *due,
                _key(_DEADLINE_KEYS, "expected_on"),  # not paused: the due date itself (_deadline)
                *due,
                _key(_DEADLINE_KEYS, "working_days_left"),
                _Sql("json_quote(c.working_days_left)"),
                _key(_DEADLINE_KEYS, "paused"),
                "false",
                _key(_DEADLINE_KEYS, "provisional"),
                provisional,
                _key(_DEADLINE_KEYS, "expected_provisional"),  # provisional or paused
                provisional,
                "}",
            ]
        )

    text_id = (
        "substr(a.id, 1, 8) || '-' || substr(a.id, 9, 4) || '-' || substr(a.id, 13, 4) || '-' "
        "|| substr(a.id, 17, 4) || '-' || substr(a.id, 21, 12)"
    )
    purposes = " OR ".join(f"+c.purpose = '{purpose}'" for purpose in _PURPOSES)  # not IN: session 14
    ranks = " ".join(f"WHEN '{purpose}' THEN {rank}" for rank, purpose in enumerate(_PURPOSES))
    quoted_due = written_deadline(['"', _Sql("c.due_on"), '"'])
    deadline = (
        f"SELECT CASE WHEN min(CASE c.purpose {ranks} END * {_RANKED} - c.id) IS NULL "  # noqa: S608
        f"THEN {_sql_literal(_DEADLINE_KEY + 'null')} "
        "WHEN c.paused THEN json_array(c.id, c.purpose, c.due_on, c.working_days_left, c.paused, c.provisional) "
        f"WHEN c.due_on IS NULL THEN {written_deadline(['null'])} "
        f"WHEN c.due_on GLOB '{_DIGITS}' THEN {quoted_due} END "
        f"FROM {clock} c WHERE c.subject_type = 'application' AND c.subject_id = {text_id} "
        f"AND c.stopped_on IS NULL AND ({purposes})"
    )
    # An entry by json_object (one buffer, each text escaped as json_quote escapes it), its keys
    # in _ENTRY_KEYS' order; compact as DRF's JSON.
    values = [
        "t.event",
        "t.title",
        "t.detail",
        f"coalesce((SELECT o.name FROM {org} o WHERE o.id = t.organisation_id), '')",  # noqa: S608
    ]

    def member_object(stamp: str) -> str:
        pairs = zip(_ENTRY_KEYS, [stamp, *values], strict=True)
        return f"json_object({', '.join(f'{_sql_literal(key)}, {value}' for key, value in pairs)})"

    member = _sql_stamped(
        "t.occurred_at", member_object("NULL"), member_object("replace(t.occurred_at, ' ', 'T') || 'Z'")
    )
    entries = _sql_printf(
        [_key(_ANSWER_KEYS, "timeline"), "[", _Sql(f"group_concat(m, {_sql_literal(_SEPARATORS[0])})"), "]}"]
    )
    # A member left NULL (a time SQLite does not write) is skipped by group_concat: counted apart.
    timeline = (
        f"SELECT CASE WHEN count(*) = count(m) THEN {entries} END "  # noqa: S608
        f"FROM (SELECT {member} AS m FROM {line} t WHERE t.application_id = a.id AND t.public "
        "ORDER BY t.occurred_at, t.id)"
    )
    return (
        f"SELECT a.query_code_digest, CAST({head} AS BLOB), CAST(({deadline}) AS BLOB), "  # noqa: S608
        f"CAST(({timeline}) AS BLOB) FROM {app} a WHERE a.number = %s"
    )


def _written_answer(rows: list[tuple], code: str) -> bytes | object | None:
    """The answer's bytes from :func:`_written_statement`'s row (the query code checked as in
    :func:`_answer`, with the same constant-time comparison for an unknown number), ``None`` for
    an unknown number or a wrong code, :data:`_DECLINED` when SQLite left a part unwritten."""
    digest = rows[0][0] if rows else ""
    if not query_codes.query_code_matches(code or "", digest) or not rows:
        return None
    _digest, head, deadline, tail = rows[0]
    if head is None or deadline is None or tail is None:
        return _DECLINED
    if deadline[:1] == b"[":  # a paused clock: its projection is read in Python
        clock = _SCAN(deadline.decode(), 0)[0]
        deadline = (_DEADLINE_KEY + _deadline_text(_deadline({clock[1]: clock[:6]}))).encode()
    return (head + deadline + tail).replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
