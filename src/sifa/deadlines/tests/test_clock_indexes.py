"""A clock's update by a command or the daily refresh changes no indexed column (but ``stopped_on``,
when the clock stops), so PostgreSQL updates it in place, without an index entry (a HOT update;
docs/performance.md, "2026-12-07 (session 11): W4 on PostgreSQL"). An index on a derived column
(``due_on``, ``warning_level`` …) would make every such update enter every index of the table."""

from __future__ import annotations

from sifa.deadlines.models import ClockState
from sifa.deadlines.services.clocks import CHANGED_COLUMNS
from sifa.deadlines.services.refresh import _DERIVED


def _indexed_columns(model) -> set[str]:
    meta = model._meta
    found = {f.column for f in meta.concrete_fields if f.db_index or f.unique}
    for index in meta.indexes:
        found |= {meta.get_field(name.lstrip("-")).column for name in index.fields}
    for constraint in meta.constraints:
        found |= {meta.get_field(name).column for name in getattr(constraint, "fields", ())}
    return found


def test_a_clock_update_changes_no_indexed_column_but_its_stop():
    indexed = _indexed_columns(ClockState)
    changed = {ClockState._meta.get_field(name).column for name in (*CHANGED_COLUMNS, *_DERIVED)}
    assert changed & indexed == {"stopped_on"}, changed & indexed
