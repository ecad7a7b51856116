"""The public list's read model (``ItemListing``): how an item's entry of
``GET /api/v1/catalogue/items/`` is built and rendered (used by the writer,
``sifa.catalogue.services.listing``, and by the migration that filled the table), and how the list
view reads a page of ready entries. docs/catalogue.md, "The list's read model"."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone, translation
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from sifa.catalogue.models.codes import ItemLevel, ItemType
from sifa.catalogue.models.items import version_summary
from sifa.core.db import first_read

ITEM_COLUMNS = (
    "id",
    "basic_code",
    "name",
    "item_type",
    "level",
    "parent__basic_code",
    "legal_basis",
    "exercise_levels",
    "service_objects",
    "topics",
    "owner__name",
    "source",
    "updated_at",
)
VERSION_COLUMNS = (
    "item_id",
    "number",
    "status",
    "valid_from",
    "valid_until",
    "published_at",
    "scope",
    "result_name",
)
PUBLISHED = "published"  # VersionStatus.PUBLISHED, literal so the migration's models can use it

_DATETIME = serializers.DateTimeField()


def _moment(value: Any) -> Any:
    return _DATETIME.to_representation(value) if value is not None else None


def versions_by_item(version_model: Any, item_ids: list[int]) -> dict[int, list[dict]]:
    """Every version of these items as rows, by item, in number order (one query)."""
    found: dict[int, list[dict]] = {pk: [] for pk in item_ids}
    rows = version_model.objects.filter(item_id__in=item_ids).order_by("item_id", "number")
    for row in rows.values(*VERSION_COLUMNS):
        found[row["item_id"]].append(row)
    return found


def live_summary(versions: list[dict]) -> str:
    """The 一句话说明 of the live (last published) version among ``versions_by_item`` rows."""
    live = [v for v in versions if v["status"] == PUBLISHED]
    return version_summary(live[-1]["scope"], live[-1]["result_name"]) if live else ""


def entry(row: dict[str, Any], own: list[dict]) -> dict[str, Any]:
    """One item of the list as ``ItemSerializer`` gives it, from an ``ITEM_COLUMNS`` row and the
    item's version rows (tests/perf/test_queries_catalogue.py compares the two field for field)."""
    return {
        "basic_code": row["basic_code"],
        "name": row["name"],
        "summary": live_summary(own),
        "type": row["item_type"],
        "type_label": _TYPE_LABELS.get(row["item_type"], row["item_type"]),
        "level": row["level"],
        "level_label": _LEVEL_LABELS.get(row["level"], str(row["level"])),
        "parent": row["parent__basic_code"],
        "legal_basis": row["legal_basis"],
        "exercise_levels": row["exercise_levels"],
        "service_objects": row["service_objects"],
        "topics": row["topics"],
        "owner": row["owner__name"],
        "source": row["source"],
        "updated_at": _moment(row["updated_at"]),
        "versions": [
            {
                "number": v["number"],
                "status": v["status"],
                "valid_from": _moment(v["valid_from"]),
                "valid_until": _moment(v["valid_until"]),
                "published_at": _moment(v["published_at"]),
            }
            for v in own
        ],
    }


_TYPE_LABELS = {value: str(label) for value, label in ItemType.choices}
_LEVEL_LABELS = {value: str(label) for value, label in ItemLevel.choices}
_RENDERER = JSONRenderer()


def render(data: Any) -> str:
    """``data`` as the API's JSON renderer writes it (compact, unescaped CJK, U+2028/9 escaped):
    the list body is the concatenation of such renderings."""
    return _RENDERER.render(data).decode()


def listing_rows(item_model: Any, version_model: Any, item_ids: list[int] | None = None) -> list[dict]:
    """The read-model rows (field values of ``ItemListing``) of these items, or of every item, that
    have a published version: three queries whatever their number. Timestamps in the server's time
    zone and labels in its language, as an anonymous request sees them."""
    qs = item_model.objects.filter(versions__status=PUBLISHED).order_by()
    if item_ids is not None:
        qs = qs.filter(pk__in=item_ids)
    rows = list({row["id"]: row for row in qs.values(*ITEM_COLUMNS)}.values())
    versions = versions_by_item(version_model, [row["id"] for row in rows])
    with translation.override(None), timezone.override(None):
        return [
            {
                "item_id": row["id"],
                "basic_code": row["basic_code"],
                "name": row["name"],
                "item_type": row["item_type"],
                "exercise_levels": row["exercise_levels"],
                "topics": row["topics"],
                "updated_at": row["updated_at"],
                "body": render(entry(row, versions[row["id"]])),
            }
            for row in rows
        ]


# --- reading ----------------------------------------------------------------------------------


class AllEntries:
    """The unfiltered list as Django's paginator wants it (``count()`` and a slice) from the read
    model, in raw SQL: no query compiled, no model instantiated. Given the slice the request will
    ask for (``expected``: a page number that is a plain positive integer), ``count()`` reads the
    count and that page in one statement, and the slice is served from it; otherwise (``last``, a
    page past the end, a bad number for the paginator to refuse) one statement each."""

    COUNT = "SELECT COUNT(*) FROM catalogue_itemlisting"
    PAGE = "SELECT body FROM catalogue_itemlisting ORDER BY basic_code LIMIT %s OFFSET %s"
    COUNT_AND_PAGE = (
        "SELECT (SELECT COUNT(*) FROM catalogue_itemlisting), body FROM catalogue_itemlisting "
        "ORDER BY basic_code LIMIT %s OFFSET %s"
    )

    def __init__(self, expected: slice | None = None) -> None:
        self.expected = expected
        self.rows: list[str] | None = None

    def count(self) -> int:
        # Fixed texts: prepared once per connection on PostgreSQL, and the request's first
        # statement is its connection health check too (``first_read``: no ``SELECT 1`` first).
        if self.expected is not None:
            start, stop = self.expected.start, self.expected.stop
            rows = first_read(connection, self.COUNT_AND_PAGE, [stop - start, start])
            if rows:
                self.rows = [row[1] for row in rows]
                return rows[0][0]
        return first_read(connection, self.COUNT, [])[0][0]

    def __getitem__(self, page: slice) -> list[str]:
        expected = self.expected
        if self.rows is not None and page.start == expected.start and page.stop <= expected.stop:
            return self.rows[: page.stop - page.start]
        return [row[0] for row in first_read(connection, self.PAGE, [page.stop - page.start, page.start])]


def expected_page(number: object, size: int) -> slice | None:
    """The slice Django's paginator will take for the ``page`` parameter ``number`` if it is a
    plain positive integer (else None: the paginator decides)."""
    if isinstance(number, str) and number.isascii() and number.isdigit() and int(number) >= 1:
        start = (int(number) - 1) * size
        return slice(start, start + size)
    return None


def body(head: dict[str, Any], entries: list[str]) -> bytes:
    """The list body: ``head`` (count, next, previous) rendered, then the entries as they are."""
    return (render(head)[:-1] + ',"results":[' + ",".join(entries) + "]}").encode()
