"""The staff view of a case (``GET cases/{number}/`` and every command's answer), built from plain rows.

:func:`case_view` gives exactly what ``api.CaseSerializer`` gives for the case — key for key and byte
for byte once rendered (``tests/test_workflow_caseview.py`` compares them) — with four fixed
statements instead of the serializer's five ORM queries and its per-field machinery: building and
compiling the ORM queries (three of them with joined models of 40–100 columns) and the serializers
were ≈ 40 % of a suspend's or resume's CPU time (docs/performance.md, "W4 answer"). The case itself
and its item, entry and organisations are what the caller already loaded (``case_for_staff`` or
the command); nothing of them is read again.

* the work items, with their organisations (whole rows: the allowed commands' rules read them),
  the clocks' ``provisional`` flag and, in the same statement, whether the case has a mediation;
* all the case's clocks, by id — none in a case command's answer (suspend, resume, extend): its
  clocks are the ones the command locked and stored (``caseclocks.held_clocks``);
* the timeline (its newest ``timeline_limit`` entries, oldest first, when a limit is given);
* the owed documents, with the document's and the licence's few columns the view shows.

A case with a mediation gets it from ``mediation.selectors.case_summary``, as before.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone, translation
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from sifa.applications.models import Application, TimelineEntry
from sifa.core.db import FixedRows, fixed_cursor
from sifa.deadlines.calendar import TimeLimit, TimeUnit
from sifa.deadlines.models import ClockState
from sifa.documents.models import Document
from sifa.licences.models import Licence
from sifa.mediation.models import MediationCase
from sifa.mediation.selectors import case_summary
from sifa.organisations.models import Organisation
from sifa.workflow import caseclocks
from sifa.workflow.documents_api import licence_pdf_url
from sifa.workflow.models import CaseDocument, WorkItem, WorkItemStatus
from sifa.workflow.transitions import offers

_DATE = serializers.DateField()
_DATETIME = serializers.DateTimeField()

_ITEMS = FixedRows(WorkItem)
_ITEM_ORGANISATION = WorkItem._meta.get_field("organisation")
_ITEM_APPLICATION = WorkItem._meta.get_field("application")
_ITEM_STATUS = 1 + _ITEMS.attnames.index("status")
"""Where a work item's ``status`` is in a row of the items' statement (after the mediation column)."""
_ORGANISATIONS = FixedRows(Organisation)
_ITEM_CLOCK = FixedRows(ClockState, "provisional")
_CLOCKS = FixedRows(
    ClockState,
    "purpose",
    "stage",
    "started_on",
    "limit_value",
    "limit_unit",
    "due_on",
    "provisional",
    "working_days_left",
    "warning_level",
    "paused",
    "stopped_on",
    "suspensions",
    "extensions",
)
_TIMELINE_INSTANT = FixedRows(TimelineEntry, "occurred_at")
_TIMELINE = FixedRows(TimelineEntry, "event", "title", "detail", "public")
_TIMELINE_ORGANISATION = FixedRows(Organisation, "name")
_CASE_DOCUMENTS = FixedRows(
    CaseDocument, "kind", "status", "attempts", "last_error", "document_id", "licence_id"
)
_DOCUMENTS = FixedRows(Document, "number", "public_id")
_LICENCES = FixedRows(Licence, "identifier", "number", "pdf_storage_key")

_STATEMENTS: dict[str, dict[str, str]] = {}


def _statements(db: Any = None) -> dict[str, str]:
    """The four statements, per database vendor (quoted names from the models)."""
    found = _STATEMENTS.get((db or connection).vendor)
    if found is not None:
        return found
    q = connection.ops.quote_name
    table = {
        model: q(model._meta.db_table)
        for model in (WorkItem, Organisation, ClockState, MediationCase, TimelineEntry, CaseDocument)
    }
    document, licence = q(Document._meta.db_table), q(Licence._meta.db_table)
    instant = _TIMELINE_INSTANT.columns("t")
    entry = f"{instant}, {_TIMELINE.columns('t')}, {_TIMELINE_ORGANISATION.columns('o')}"
    item = f"{_ITEMS.columns('w')}, {_ORGANISATIONS.columns('o')}, {_ITEM_CLOCK.columns('c')}"
    owed = f"{_CASE_DOCUMENTS.columns('d')}, {_DOCUMENTS.columns('doc')}, {_LICENCES.columns('l')}"
    item_joins = (
        f"LEFT OUTER JOIN {table[Organisation]} o ON o.{q('id')} = w.{q('organisation_id')} "
        f"LEFT OUTER JOIN {table[ClockState]} c ON c.{q('id')} = w.{q('clock_id')} "
    )
    owed_joins = (
        f"LEFT OUTER JOIN {document} doc ON doc.{q('id')} = d.{q('document_id')} "
        f"LEFT OUTER JOIN {licence} l ON l.{q('id')} = d.{q('licence_id')} "
    )
    if connection.vendor == "postgresql":
        # The item's organisation, its clock's flag and the document's and licence's columns as
        # scalar subqueries by primary key instead of joins — the organisation's, the document's
        # and the licence's columns each as one JSON array (text, :func:`_json_row`): the server
        # starts each joined relation and node anew on every execution (docs/performance.md,
        # "session 14: W4 on PostgreSQL"). Each key is a foreign key (the item's organisation
        # ``NOT NULL``), so a subquery finds the row the join found, or none where it found none.
        item = (
            f"{_ITEMS.columns('w')}, (SELECT json_build_array({_ORGANISATIONS.columns('o')})::text "  # noqa: S608 (names from the models)
            f"FROM {table[Organisation]} o WHERE o.{q('id')} = w.{q('organisation_id')}), "
            f"(SELECT {_ITEM_CLOCK.columns('c')} FROM {table[ClockState]} c WHERE c.{q('id')} = w.{q('clock_id')})"
        )
        owed = (
            f"{_CASE_DOCUMENTS.columns('d')}, (SELECT json_build_array({_DOCUMENTS.columns('doc')})::text "  # noqa: S608 (names from the models)
            f"FROM {document} doc WHERE doc.{q('id')} = d.{q('document_id')}), "
            f"(SELECT json_build_array({_LICENCES.columns('l')})::text "
            f"FROM {licence} l WHERE l.{q('id')} = d.{q('licence_id')})"
        )
        item_joins = owed_joins = ""
    if connection.vendor == "sqlite":
        owed = f"json_array({owed})"  # texts, numbers and empty values only: as the columns give them
        # A work item's 33 columns as one JSON array too, after its status (:func:`_work_items`):
        # the sqlite3 module names, types and fetches each column of each statement one by one.
        item = f"w.{q('status')}, json_array({item})"
        # An entry's instant as its stored text: an expression has no declared type, so the sqlite3
        # module does not parse it (its "datetime" converter, 50 entries per command answer);
        # ``_occurred_at`` reads it with the field's converters as the ORM does, the same instant,
        # once per stored row (``_entry_of``). And each entry's six columns as one JSON array
        # (``json_array``): one text column per row instead of six, one string to fetch and to
        # look the kept entry up by; :func:`_stored_row` gives the six values back.
        entry = (
            f"json_array(CAST({instant} AS TEXT), {_TIMELINE.columns('t')}, "
            f"{_TIMELINE_ORGANISATION.columns('o')})"
        )
    found = _STATEMENTS[connection.vendor] = {
        # One row per work item, by id; one row of NULLs (but the mediation column) without any.
        "items": (
            f"SELECT (SELECT m.{q('id')} FROM {table[MediationCase]} m WHERE m.{q('application_id')} = %s), "  # noqa: S608 (names from the models)
            f"{item} "
            f"FROM (SELECT 1 AS {q('one')}) x "
            f"LEFT OUTER JOIN {table[WorkItem]} w ON w.{q('application_id')} = %s "
            f"{item_joins}"
            f"ORDER BY w.{q('id')} ASC"
        ),
        "clocks": (
            f"SELECT {_CLOCKS.columns('c')} FROM {table[ClockState]} c "  # noqa: S608 (names from the models)
            f"WHERE c.{q('subject_type')} = %s AND c.{q('subject_id')} = %s ORDER BY c.{q('id')} ASC"
        ),
        "timeline": (
            f"SELECT {entry} "  # noqa: S608 (names from the models)
            f"FROM {table[TimelineEntry]} t "
            f"LEFT OUTER JOIN {table[Organisation]} o ON o.{q('id')} = t.{q('organisation_id')} "
            f"WHERE t.{q('application_id')} = %s ORDER BY t.{q('occurred_at')} ASC, t.{q('id')} ASC"
        ),
        "timeline_newest": (
            f"SELECT {entry} "  # noqa: S608 (names from the models)
            f"FROM {table[TimelineEntry]} t "
            f"LEFT OUTER JOIN {table[Organisation]} o ON o.{q('id')} = t.{q('organisation_id')} "
            f"WHERE t.{q('application_id')} = %s ORDER BY t.{q('occurred_at')} DESC, t.{q('id')} DESC LIMIT %s"
        ),
        "documents": (
            f"SELECT {owed} "  # noqa: S608 (names from the models)
            f"FROM {table[CaseDocument]} d "
            f"{owed_joins}"
            f"WHERE d.{q('application_id')} = %s ORDER BY d.{q('created_at')} ASC, d.{q('id')} ASC"
        ),
    }
    return found


def _rows(db: Any, statement: str, params: list) -> list[tuple]:
    plain = getattr(db, "plain_rows", None)  # SQLite: without Django's cursor wrapper
    if plain is not None:
        rows = plain(statement, params)
        if rows is not None:
            return rows
    with fixed_cursor(db) as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


_LABELS: dict[str, dict[str, str]] = {}


def _labels(field: str) -> dict[str, str]:
    """``get_<field>_display()`` of a case document, as a dict of the field's choices."""
    found = _LABELS.get(field)
    if found is None:
        found = _LABELS[field] = {
            value: str(label) for value, label in CaseDocument._meta.get_field(field).flatchoices
        }
    return found


def case_view(case: Application, actor: Any, *, timeline_limit: int | None = None) -> dict[str, Any]:
    """What ``CaseSerializer(case, context={"actor": actor, "timeline_limit": timeline_limit}).data``
    gives, from the case as loaded (its ``version__item``, ``accepting_organisation`` and
    ``current_organisation``) and four statements (three in a case command's answer)."""
    # The connection itself, not the ``django.db.connection`` proxy: every attribute read through
    # the proxy looks the connection up again, and the rows' converters read it per value.
    db = connections[DEFAULT_DB_ALIAS]
    statements = _statements(db)
    case_id = Application._meta.pk.get_db_prep_value(case.pk, db)
    item_name = str(case.version.item.name)
    current = case.current_organisation
    at = _instants()
    items, work_items, mediation = _work_items(db, case, statements, case_id, item_name, at)
    open_items = [i for i in items if i.status == "open"]
    documents = _documents(db, case, statements, case_id)
    return {
        "number": str(case.number),
        "item_name": item_name,
        "version": int(case.version.number),
        "status": str(case.status),
        "status_label": str(case.status_label),
        "row_version": int(case.row_version),
        "accepting_organisation": str(case.accepting_organisation.name),
        "current_organisation": None if current is None or current.name is None else str(current.name),
        "accepted_at": None if case.accepted_at is None else at(case.accepted_at),
        "deemed_accepted": _boolean(case.deemed_accepted),
        "decided_at": None if case.decided_at is None else at(case.decided_at),
        "stage": "、".join(i.title for i in open_items),
        "clocks": _clocks(db, case, statements),
        "work_items": work_items,
        "timeline": _timeline(db, statements, case_id, timeline_limit, at),
        "documents": documents,
        "mediation": case_summary(case) if mediation is not None else None,
        "allowed_commands": _allowed(actor, case, items, documents),
    }


def _work_items(
    db: Any, case: Application, statements: dict[str, str], case_id: Any, item_name: str, at: Any
) -> tuple[list[WorkItem], list[dict[str, Any]], Any]:
    """The case's work items that may still be acted on (``WorkItem``s: the stage and the allowed
    commands read them), the answer's ``work_items`` (all of them) and the case's mediation id.
    A done or cancelled item is only shown: its entry is kept per stored row (and database, zones,
    case number and item name, all it is written from), as the timeline's are, and no instance is
    built for it."""
    rows = _rows(db, statements["items"], [case_id, case_id])
    mediation = rows[0][0] if rows else None
    zone = getattr(at, "zone", None)
    kept = zone is not None and db.alias == DEFAULT_DB_ALIAS
    number = str(case.number)
    items, shown = [], []
    for row in rows:
        if row[1] is None:  # the one row of a case without work items
            continue
        # SQLite: the mediation, the status and the item's columns as one JSON array (its text).
        packed = len(row) == _PACKED
        stored = row[2] if packed else tuple(row[1:])
        if kept and (row[1] if packed else row[_ITEM_STATUS]) != WorkItemStatus.OPEN:
            key = (db.vendor, db.timezone, zone, number, item_name, stored)
            shown.append(dict(_shown_item_of(*key)))
            continue
        item = _item(stored, db)
        _ITEM_APPLICATION.set_cached_value(item, case)  # the case at hand, with its item loaded
        items.append(item)
        shown.append(_work_item_values(number, item_name, item, at))
    return items, shown, mediation


_PACKED = 3
"""The width of a row of the items' statement on SQLite: the mediation, the status, the item."""
_OWED_PACKED = 8
"""The width of a row of the documents' statement on PostgreSQL: the case document's six
columns, the document's and the licence's as one JSON array each."""
_JSON_VALUE = json.JSONDecoder().scan_once
"""The JSON scanner of ``json.loads`` (the C one), without ``loads``' Python steps around it."""


def _json_row(text: str | None, width: int) -> list:
    """The columns of a row that PostgreSQL gave as one JSON array (``json_build_array(…)::text``:
    texts, numbers, flags and empty values, each as the column gives it, a UUID as its text), or
    ``width`` empty values where the subquery found no row."""
    return [None] * width if text is None else _JSON_VALUE(text, 0)[0]


def _item(row: Any, db: Any) -> WorkItem:
    """A work item of the items' statement (its ``row`` without the mediation column; on SQLite the
    JSON array of its columns, which gives each value as stored — the texts, numbers and empty
    values as the sqlite3 module gives them, dates and instants as their stored text, flags as
    the integer stored, each then converted by the same converters: the same instance), with its
    organisation and its clock's ``provisional`` flag (``_clock_provisional``)."""
    if type(row) is str:
        row = json.loads(row)
    items_end = len(_ITEMS.fields)
    if len(row) == items_end + 2:  # PostgreSQL: the organisation's columns as one JSON array (text)
        organisation, organisations_end = _JSON_VALUE(row[items_end], 0)[0], items_end + 1
    else:
        organisations_end = items_end + len(_ORGANISATIONS.fields)
        organisation = row[items_end:organisations_end]
    item = _ITEMS.build(row[:items_end], db)
    # ``item.organisation = …`` without the descriptor's checks: the join made
    # ``item.organisation_id`` the organisation's id, both come from this connection; only the
    # cached object is left to set (as for the case, ``item.application``).
    _ITEM_ORGANISATION.set_cached_value(item, _ORGANISATIONS.build(organisation, db))
    if item.clock_id is None:
        item._clock_provisional = None
    else:
        (item._clock_provisional,) = _ITEM_CLOCK.convert(row[organisations_end:], db)
    return item


@functools.lru_cache(maxsize=1024)
def _shown_item_of(
    vendor: str, connection_zone: Any, zone: Any, number: str, item_name: str, row: tuple
) -> dict[str, Any]:
    """A work item's entry of the answer (:func:`_work_item`) from its stored ``row``, kept per
    row, database, zones, case number and item name: it depends on nothing else. Callers copy it."""
    from django.db import connections as all_connections

    item = _item(row, all_connections[DEFAULT_DB_ALIAS])
    return _work_item_values(number, item_name, item, _instants_in(zone))


_BOOLEAN = serializers.BooleanField()


def _instants():
    """``_DATETIME.to_representation`` for the timeline's entries, with the field's time zone
    looked up once per answer instead of once per entry (50 entries in a command's answer): an
    aware datetime, as stored with ``USE_TZ``, is converted to that zone and written in ISO 8601
    with ``Z`` for UTC, exactly as DRF's ``DateTimeField`` writes it; anything else (no time zone
    configured, a naive or empty value) goes through the field itself. The function returned
    carries the zone (``at.zone``) when it is the ISO 8601 writer."""
    zone = _DATETIME.timezone if hasattr(_DATETIME, "timezone") else _DATETIME.default_timezone()
    output = getattr(_DATETIME, "format", api_settings.DATETIME_FORMAT)
    if zone is None or output is None or output.lower() != ISO_8601:
        return _DATETIME.to_representation
    return _instants_in(zone)


@functools.lru_cache(maxsize=16)
def _instants_in(zone: Any):
    def at(value: Any) -> Any:
        if not value or not isinstance(value, dt.datetime) or not timezone.is_aware(value):
            return _DATETIME.to_representation(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return _DATETIME.to_representation(value)  # the field's own error
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    at.zone = zone
    return at


def _work_item(case: Application, item_name: str, item: WorkItem, at: Any = None) -> dict[str, Any]:
    """``WorkItemSerializer(item).data`` with the item's own status, outcome and opinion (as
    ``CaseSerializer.get_work_items``); ``at`` writes its instant (:func:`_instants`)."""
    return _work_item_values(str(case.number), item_name, item, at or _instants())


def _work_item_values(number: str, item_name: str, item: WorkItem, at: Any) -> dict[str, Any]:
    provisional = item._clock_provisional
    return {
        "id": int(item.id),
        "number": number,
        "item_name": item_name,
        "status": item.status,
        "task": str(item.task_name),
        "title": str(item.title),
        "kind": str(item.kind),
        "stage": str(item.stage_name),
        "organisation": str(item.organisation.name),
        "role": str(item.role),
        "due_on": None if item.due_on is None else _DATE.to_representation(item.due_on),
        # ``clock.provisional`` with ``default=False``: False without a clock
        "provisional": False if item.clock_id is None else _boolean(provisional),
        "warning_level": str(item.warning_level),
        "created_at": None if item.created_at is None else at(item.created_at),
        "outcome": item.outcome,
        "opinion": item.opinion,
    }


def _boolean(value: Any) -> Any:
    # ``True`` and ``False`` are what DRF's ``BooleanField`` gives for themselves (its first checks).
    if value is True or value is False or value is None:
        return value
    return _BOOLEAN.to_representation(value)


def _clocks(db: Any, case: Application, statements: dict[str, str]) -> list[dict[str, Any]]:
    held = caseclocks.held_clocks(case)
    if held is not None:  # a case command's answer: its clocks as it locked and stored them
        rows = [_held_values(clock, db) for clock in held]
    else:
        rows = [
            _CLOCKS.convert(row, db)
            for row in _rows(db, statements["clocks"], [caseclocks.SUBJECT_TYPE, str(case.pk)])
        ]
    date = _dates()
    language = translation.get_language()
    found = []
    for (
        purpose,
        stage,
        started_on,
        limit_value,
        limit_unit,
        due_on,
        provisional,
        working_days_left,
        warning_level,
        paused,
        stopped_on,
        suspensions,
        extensions,
    ) in rows:
        found.append(
            {
                "purpose": str(purpose),
                "stage": str(stage),
                "started_on": None if started_on is None else date(started_on),
                "limit": _limit_text(limit_value, limit_unit, language),
                "due_on": None if due_on is None else date(due_on),
                "provisional": _boolean(provisional),
                "working_days_left": None if working_days_left is None else int(working_days_left),
                "warning_level": str(warning_level),
                "paused": _boolean(paused),
                "stopped_on": None if stopped_on is None else date(stopped_on),
                "suspensions": suspensions,
                "extensions": extensions,
            }
        )
    return found


@functools.lru_cache(maxsize=256)
def _limit_text(value: Any, unit: Any, language: str | None) -> str:
    """``str(TimeLimit(value, TimeUnit(unit)))`` in ``language`` (its unit's label is translatable),
    kept: a case's clocks have a few limits, the same in every answer."""
    return str(TimeLimit(value, TimeUnit(unit)))


def _dates():
    """``_DATE.to_representation``, a ``date`` written in ISO 8601 directly when that is the
    field's format (what the field then does for it: ``value.isoformat()``)."""
    output = getattr(_DATE, "format", api_settings.DATE_FORMAT)
    if output is None or output.lower() != ISO_8601:
        return _DATE.to_representation
    return _iso_date


def _iso_date(value: Any) -> Any:
    return value.isoformat() if type(value) is dt.date else _DATE.to_representation(value)


_CLOCK_ATTRIBUTES = tuple(field.attname for field in _CLOCKS.fields)


def _held_values(clock: ClockState, db: Any) -> list[Any]:
    """A held clock's :data:`_CLOCKS` values as the clocks' statement would read them back: its
    columns as the command stored them, its events (JSON) as the column gives them — on
    PostgreSQL (``jsonb``) with each object's keys in ``jsonb``'s order (shorter keys first, then
    by their bytes), elsewhere as written."""
    values = [getattr(clock, name) for name in _CLOCK_ATTRIBUTES]
    jsonb = db.vendor == "postgresql"
    values[-2] = _as_stored(values[-2], jsonb)
    values[-1] = _as_stored(values[-1], jsonb)
    return values


def _as_stored(value: Any, jsonb: bool) -> Any:
    """A copy of a JSON ``value`` as the database gives it back (see :func:`_held_values`)."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=_jsonb_key) if jsonb else value.items()
        return {key: _as_stored(item, jsonb) for key, item in items}
    if isinstance(value, list):
        return [_as_stored(item, jsonb) for item in value]
    return value


def _jsonb_key(item: tuple[str, Any]) -> tuple[int, bytes]:
    key = item[0].encode()
    return len(key), key


def _timeline(
    db: Any, statements: dict[str, str], case_id: Any, limit: int | None, at: Any = None
) -> list[dict[str, Any]]:
    """What ``TimelineSerializer`` gives for each entry (``api.timeline_rows``); ``at`` is
    :func:`_instants` when the caller has it (one answer, one look-up of the zone)."""
    if limit:  # the newest ``limit`` entries, oldest first
        rows = _rows(db, statements["timeline_newest"], [case_id, limit])
        rows.reverse()
    else:
        rows = _rows(db, statements["timeline"], [case_id])
    at = at or _instants()
    zone = getattr(at, "zone", None)
    if zone is not None and db.alias == DEFAULT_DB_ALIAS:
        # A command's answer shows the same newest entries as the one before it: each entry as
        # written is kept per stored row (and database, zones), so each is converted once.
        vendor, connection_zone = db.vendor, db.timezone
        keys = [(vendor, connection_zone, zone, tuple(row)) for row in rows]
        kept = [_kept_of(*key) for key in keys]
        entries = Entries([dict(one.entry) for one in kept])
        entries.keys, entries.kept = keys, kept
        return entries
    return [_entry(db, at, row) for row in rows]


class Entries(list):
    """The timeline's entries (a list of dicts like any other), with the key each was kept under
    (:func:`_entry_of`) and what is kept under it (:class:`Kept`): a renderer may take each
    entry's rendered bytes from there, kept per stored row, instead of encoding the same entries
    for every answer."""

    __slots__ = ("kept", "keys")


class Kept:
    """A timeline entry kept per stored row (:func:`_kept_of`): the entry, and its bytes as each
    renderer's encoder gives them (:meth:`rendered`), made once."""

    __slots__ = ("_rendered", "entry")

    def __init__(self, entry: dict[str, Any]) -> None:
        self.entry, self._rendered = entry, {}

    def rendered(self, encoder: Any) -> bytes:
        """:func:`renderer_bytes` of ``encoder.encode(entry)``, kept per encoder."""
        found = self._rendered.get(encoder)
        if found is None:
            found = self._rendered[encoder] = renderer_bytes(encoder.encode(self.entry))
        return found


def renderer_bytes(text: str) -> bytes:
    """JSON ``text`` as ``JSONRenderer.render`` makes its bytes: U+2028 and U+2029 escaped, UTF-8."""
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def _stored_row(row: Any) -> Any:
    """A timeline row's six values: on SQLite the statement gives them as one JSON array (its one
    column), which gives back each text as stored, ``public`` as the integer stored (0 or 1: the
    field's converter makes it the same flag) and an empty organisation as ``null``."""
    if len(row) == 1 and type(row[0]) is str:
        return tuple(json.loads(row[0]))
    return row


def _entry(db: Any, at: Any, row: Any) -> dict[str, Any]:
    """One timeline entry of :func:`_timeline`, from its stored ``row``; ``at`` writes the instant."""
    row = _stored_row(row)
    event, title, detail, public = _TIMELINE.convert(row[1:5], db)
    (organisation,) = _TIMELINE_ORGANISATION.convert(row[5:], db)
    return {
        "occurred_at": at(_occurred_at(db, row[0])),
        "event": event,
        "title": title,
        "detail": detail,
        "organisation": organisation,
        "public": public,
    }


def _entry_of(vendor: str, connection_zone: Any, zone: Any, row: tuple) -> dict[str, Any]:
    """:func:`_entry` on the default database, kept per stored row, database and zones: the entry
    as written depends on nothing else. Callers copy it (each answer owns its dicts)."""
    return _kept_of(vendor, connection_zone, zone, row).entry


@functools.lru_cache(maxsize=4096)
def _kept_of(vendor: str, connection_zone: Any, zone: Any, row: tuple) -> Kept:
    """:func:`_entry_of`'s entry, kept (:class:`Kept`)."""
    from django.db import connections as all_connections

    return Kept(_entry(all_connections[DEFAULT_DB_ALIAS], _instants_in(zone), row))


def _occurred_at(db: Any, stored: Any) -> Any:
    """A timeline entry's ``occurred_at`` as the ORM gives it from the column's ``stored`` value."""
    return _TIMELINE_INSTANT.convert((stored,), db)[0]


def _documents(db: Any, case: Application, statements: dict[str, str], case_id: Any) -> list[dict[str, Any]]:
    """What ``documents_api.case_documents`` gives (``CaseDocumentSerializer``)."""
    kinds, statuses = _labels("kind"), _labels("status")
    found = []
    for row in _rows(db, statements["documents"], [case_id]):
        if len(row) == 1:  # SQLite: the columns as one JSON array
            row = json.loads(row[0])
        elif len(row) == _OWED_PACKED:  # PostgreSQL: the document's and the licence's as one each
            row = (*row[:6], *_json_row(row[6], 2), *_json_row(row[7], 3))
        kind, status, attempts, last_error, document_id, licence_id = _CASE_DOCUMENTS.convert(row[:6], db)
        number, public_id = _DOCUMENTS.convert(row[6:8], db)
        identifier, licence_number, pdf_storage_key = _LICENCES.convert(row[8:], db)
        found.append(
            {
                "kind": str(kind),
                "kind_label": str(kinds.get(kind, kind)),
                "status": str(status),
                "status_label": str(statuses.get(status, status)),
                "attempts": int(attempts),
                "last_error": str(last_error),
                "number": None if document_id is None or number is None else str(number),
                "public_id": None if document_id is None or public_id is None else str(public_id),
                "pdf": None if document_id is None else f"/api/v1/documents/{public_id}/pdf/",
                "licence_identifier": None if licence_id is None or identifier is None else str(identifier),
                "licence_number": None
                if licence_id is None or licence_number is None
                else str(licence_number),
                "licence_pdf": None
                if licence_id is None or not pdf_storage_key
                else licence_pdf_url(case.number),
            }
        )
    return found


def _allowed(
    actor: Any, case: Application, items: list[WorkItem], documents: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """``CaseSerializer.get_allowed_commands``: the commands ``actor`` may give now (送达 held by
    the case's ``documents`` as read for the answer: ``transitions.delivery_hold``)."""
    if actor is None:
        return []
    open_items = [i for i in items if i.status == WorkItemStatus.OPEN]
    return [
        {"command": o.command, "label": o.label, "task": o.item.task_name if o.item else None}
        for o in offers(actor, case, open_items, documents=documents)
    ]
