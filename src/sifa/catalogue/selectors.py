"""Read queries of the public catalogue. The catalogue is public data, so no data scope applies;
filters are validated here and bad values raise ``ServiceError`` (400) with a Chinese message."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When, Window
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sifa.catalogue import search
from sifa.catalogue.identifiers import validate_basic_code, validate_implementation_code
from sifa.catalogue.listing import ITEM_COLUMNS
from sifa.catalogue.models import (
    CORPORATE_TOPIC_PREFIX,
    PERSONAL_TOPIC_PREFIX,
    CatalogueItem,
    EntryStatus,
    ExerciseLevel,
    GuidePage,
    ImplementationEntry,
    ItemListing,
    ItemType,
    ItemVersion,
    Topic,
    VersionStatus,
)
from sifa.core.db import first_read
from sifa.core.errors import NotFound, ServiceError
from sifa.core.identifiers import normalize_uscc
from sifa.laws.models import LibraryVersion
from sifa.organisations import places
from sifa.organisations.models import Organisation, Region

REGION_RE = re.compile(r"^(\d{6}|\d{12})$")
MAX_QUERY_LENGTH = 100


def _bad(field: str, code: str, message: str) -> ServiceError:
    return ServiceError(code, message, errors=[{"field": field, "code": code, "message": message}])


def parse_changed_since(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise _bad(
            "changed_since",
            "catalogue.filter.changed_since",
            "changed_since 应为ISO 8601日期时间，如 2026-01-01T00:00:00+08:00",
        )
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def items(
    *, q: str = "", item_type: str = "", level: str = "", topic: str = "", changed_since: str = ""
) -> QuerySet:
    """Items that have a published version, with their version history prefetched."""
    qs = CatalogueItem.objects.filter(versions__status=VersionStatus.PUBLISHED).select_related(
        "owner", "parent"
    )
    qs = filter_items(qs, q=q, item_type=item_type, level=level, topic=topic, changed_since=changed_since)
    ordering = ("synonym_rank", "basic_code") if "synonym_rank" in qs.query.annotations else ("basic_code",)
    return qs.prefetch_related(
        Prefetch("versions", queryset=ItemVersion.objects.order_by("number"))
    ).order_by(*ordering)


def listed_entries(
    *, q: str = "", item_type: str = "", level: str = "", topic: str = "", changed_since: str = ""
) -> QuerySet:
    """The public list's ready JSON entries (``ItemListing.body``) that ``items()`` with the same
    filters would list, in the same order."""
    qs = filter_items(
        ItemListing.objects.all(),
        q=q,
        item_type=item_type,
        level=level,
        topic=topic,
        changed_since=changed_since,
    )
    ordering = ("synonym_rank", "basic_code") if "synonym_rank" in qs.query.annotations else ("basic_code",)
    return qs.order_by(*ordering).values_list("body", flat=True)


def filter_items(
    qs: QuerySet,
    *,
    q: str = "",
    item_type: str = "",
    level: str = "",
    topic: str = "",
    changed_since: str = "",
) -> QuerySet:
    """The list's filters, on ``CatalogueItem`` or on its read model ``ItemListing`` (whose primary
    key is the item's and whose filtered columns have the item's names and types). Bad values are a
    400 with a stable code."""
    if q:
        if len(q) > MAX_QUERY_LENGTH:
            raise _bad("q", "catalogue.filter.q", "查询关键词不能超过100个字")
        # Whole-word full-text matches, plus plain substrings of the name so that a single
        # character or a word jieba splits differently still finds something.
        ids = search.matching_ids(q.strip())
        by_name = Q(name__contains=q.strip())
        exact, contained = search.synonym_item_ids(q)
        by_synonym = Q(pk__in=exact | contained)
        qs = qs.filter((by_name if ids is None else Q(pk__in=ids) | by_name) | by_synonym)
        if exact or contained:
            # The items people mean by the words they typed come first (律师证 → 律师执业许可).
            rank = Case(
                When(pk__in=exact, then=Value(0)),
                When(pk__in=contained, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
            qs = qs.annotate(synonym_rank=rank)
    if item_type:
        if item_type not in ItemType.values:
            raise _bad(
                "type", "catalogue.filter.type", f"事项类型代码无效，可选值：{'、'.join(ItemType.values)}"
            )
        qs = qs.filter(item_type=item_type)
    if level:
        if level not in ExerciseLevel.values:
            raise _bad("level", "catalogue.filter.level", "行使层级代码无效，应为1至7")
        # JSON containment is not portable to SQLite; the list is short and the digit unique.
        qs = qs.filter(exercise_levels__icontains=f'"{level}"')
    if topic:
        if topic in ("personal", "company"):
            prefix = PERSONAL_TOPIC_PREFIX if topic == "personal" else CORPORATE_TOPIC_PREFIX
            qs = qs.filter(topics__icontains=f'"{prefix}')
        elif topic in Topic.values:
            qs = qs.filter(topics__icontains=f'"{topic}"')
        else:
            raise _bad("topic", "catalogue.filter.topic", "服务主题无效：可用 personal、company 或主题代码")
    since = parse_changed_since(changed_since)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    return qs


def item_rows(qs: QuerySet) -> QuerySet:
    """``items()`` as plain rows (the list's columns, owner and parent joined)."""
    return qs.prefetch_related(None).values(*ITEM_COLUMNS)


PAGE_COLUMNS = ("basic_code", "name", "item_type", "level", "versions__scope", "versions__result_name")


def page_rows(qs: QuerySet) -> QuerySet:
    """``items()`` as the rows the catalogue page shows: the item's columns and its live version's
    一句话说明 fields, read through the join that ``items()`` filters on (an item has at most one
    published version, ``catalogue_one_published``), so one query, without the prefetch."""
    return qs.prefetch_related(None).select_related(None).values(*PAGE_COLUMNS)


class CompiledRows:
    """A ``page_rows`` query whose SQL is compiled once per process and filter, then executed as it
    is for every page: compiling the ORM query cost more CPU than running it. Paginator-compatible
    (``count()`` and slicing); the rows are dicts of ``PAGE_COLUMNS``. ``fetch(number, size)``
    reads a page and the number of rows of the whole list in one query (a window count), which
    ``count()`` and the page's slice then use. Only for filters from closed sets (``key``), so the
    cache is bounded; every call reads the database, so nothing is stale."""

    _sql: dict[tuple, tuple[str, str, tuple]] = {}
    ordered = True

    def __init__(self, key: tuple, build: Callable[[], QuerySet]) -> None:
        cache_key = (DEFAULT_DB_ALIAS, connections[DEFAULT_DB_ALIAS].vendor, *key)
        compiled = self._sql.get(cache_key)
        if compiled is None:
            qs = build().annotate(listed=Window(Count("pk")))
            sql, params = qs.query.get_compiler(qs.db).as_sql()
            compiled = self._sql[cache_key] = (qs.db, sql, tuple(params))
        self.alias, self.sql, self.params = compiled
        self._count: int | None = None
        self._fetched: tuple[int, list[dict]] = (-1, [])

    def _rows(self, offset: int, limit: int) -> list[tuple]:
        # The text is the same for every page of a filter: prepared once per connection (PostgreSQL),
        # and, as the request's first statement, its connection health check too (``first_read``).
        return first_read(
            connections[self.alias], f"{self.sql} LIMIT %s OFFSET %s", (*self.params, limit, offset)
        )

    def fetch(self, number: int, size: int) -> None:
        offset = (number - 1) * size
        rows = self._rows(offset, size)
        if rows:
            self._count = rows[0][-1]
        self._fetched = (offset, [dict(zip(PAGE_COLUMNS, row[:-1], strict=True)) for row in rows])

    def count(self) -> int:
        if self._count is None:
            with connections[self.alias].cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM ({self.sql}) counted", self.params)  # noqa: S608 (ORM-compiled)
                self._count = cursor.fetchone()[0]
        return self._count

    def __getitem__(self, window: slice) -> list[dict]:
        offset = window.start or 0
        fetched_at, fetched = self._fetched
        if offset == fetched_at and window.stop - offset <= len(fetched):
            return fetched[: window.stop - offset]
        rows = self._rows(offset, window.stop - offset)
        return [dict(zip(PAGE_COLUMNS, row[:-1], strict=True)) for row in rows]


def item_by_code(code: str) -> CatalogueItem:
    basic = validate_basic_code(code)
    item = CatalogueItem.objects.select_related("owner", "parent").filter(basic_code=basic).first()
    if item is None:
        raise NotFound("未找到该基本编码对应的事项", code="catalogue.item_not_found")
    return item


def live_version(item: CatalogueItem) -> ItemVersion | None:
    return (
        ItemVersion.objects.filter(item=item, status=VersionStatus.PUBLISHED)
        .select_related("form", "process")
        .prefetch_related("materials", "situations", "fees", "process__stages")
        .first()
    )


def version_of(item: CatalogueItem, number: str | int) -> ItemVersion:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise NotFound("未找到该版本", code="catalogue.version_not_found") from None
    version = item.versions.filter(number=number).first()
    if version is None:
        raise NotFound("未找到该版本", code="catalogue.version_not_found")
    return version


def region_chain(code: str) -> list[str]:
    """The region and its ancestors (a township → county → city → province)."""
    if not REGION_RE.match(code):
        raise _bad("region", "catalogue.filter.region", "行政区划代码应为6位或12位数字")
    chain: list[str] = []
    current = Region.objects.filter(code=code).values("code", "parent_id").first()
    if current is None:
        raise _bad("region", "catalogue.filter.region_unknown", "未找到该行政区划代码")
    while current is not None and len(chain) < 6:
        chain.append(current["code"])
        current = (
            Region.objects.filter(code=current["parent_id"]).values("code", "parent_id").first()
            if current["parent_id"]
            else None
        )
    return chain


def resolve_place(value: str) -> str:
    """The region code a ``region`` filter means: a 6- or 12-digit code as it is, or a place name as
    people type it (杭州西湖区, 西湖区, 北山街道). Unknown or ambiguous names are a 400 with a stable
    code and a Chinese message naming the choices."""
    text = (value or "").strip()
    if not text or text.isdigit():
        return text
    matches = places.find(text, limit=10)
    if not matches:
        raise _bad(
            "region",
            "catalogue.filter.region_unknown",
            f"没有找到名为“{places.normalise(text)}”的地区，请检查名称，如“杭州市西湖区”“北山街道”",
        )
    if len(matches) > 1:
        names = "、".join(f"{places.full_label(r)}（{r.code}）" for r in matches)
        raise _bad(
            "region",
            "catalogue.filter.region_ambiguous",
            f"“{places.normalise(text)}”可能是多个地区：{names}。请写上所在的市或省，或使用区划代码",
        )
    return matches[0].code


#: How near an entry's place is to the chosen one (smaller is nearer): the place itself, the units
#: inside it, then each level above, the national entries last.
NATIONAL = 99


def entries(*, region: str = "", org: str = "", item: str = "", changed_since: str = "") -> QuerySet:
    """Active implementation entries; ``region`` (a code or a place name) = every entry serving it:
    its own, its ancestors' and the national ones, and — for a county or a city — those of the
    units inside it two levels down (a resident of 西湖区 looking for 人民调解 finds the 司法所 of her
    street), nearest first: the place itself (and the units inside it), then the county, the city,
    the province, the national entries (``closeness``)."""
    qs = ImplementationEntry.objects.filter(status=EntryStatus.ACTIVE)
    order = ["implementation_code"]
    if region:
        code = resolve_place(region)
        chain = region_chain(code)
        qs = qs.filter(
            Q(region_id__in=chain)
            | Q(region__isnull=True)
            | Q(region__parent_id=code)
            | Q(region__parent__parent_id=code)
        ).annotate(
            closeness=Case(
                *[When(region_id=c, then=Value(2 * i)) for i, c in enumerate(chain)],
                When(region__isnull=True, then=Value(NATIONAL)),
                default=Value(1),  # inside the chosen place: a township of the chosen county
                output_field=IntegerField(),
            )
        )
        order = ["closeness", "implementation_code"]
    if org:
        value = org.strip()
        if value.isdigit() and len(value) < 12:
            qs = qs.filter(organisation_id=int(value))
        elif len(normalize_uscc(value)) == 18:
            qs = qs.filter(organisation__uscc=normalize_uscc(value))
        else:
            raise _bad("org", "catalogue.filter.org", "实施机构应为机构编号或18位统一社会信用代码")
    if item:
        qs = qs.filter(item__basic_code=validate_basic_code(item))
    since = parse_changed_since(changed_since)
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    return qs.select_related(
        "item", "version", "organisation", "accepting_organisation", "deciding_organisation"
    ).order_by(*order)


def entry_by_code(code: str) -> ImplementationEntry:
    validate_implementation_code(code)
    entry = entries().filter(implementation_code=code.strip().upper()).first()
    if entry is None:
        raise NotFound("未找到该实施编码对应的实施清单事项", code="catalogue.implementation_not_found")
    return entry


def guide_version(version_id: int) -> ItemVersion:
    """A version with everything its guide shows, in a fixed number of queries."""
    return (
        ItemVersion.objects.select_related("item__parent", "form", "process")
        .prefetch_related("materials", "situations", "fees", "process__stages")
        .get(pk=version_id)
    )


def guide_entry(code: str) -> tuple[ImplementationEntry, ItemVersion]:
    """The entry and the live version its public guide shows; 404 once the item is withdrawn."""
    entry = entry_by_code(code)
    version = guide_version(entry.version_id)
    if version.status != VersionStatus.PUBLISHED:
        raise NotFound("该事项已停止办理，暂无办事指南", code="catalogue.guide_not_published")
    return entry, version


_GUIDE_PAGE_SQL: dict[str, str] = {}


def _guide_page_sql() -> str:
    """One statement: the entry's stored guide, only while everything it was rendered from holds.
    On PostgreSQL the body as the bytes of its text (``textsend``: the text in the connection's
    encoding, UTF-8, as the server sends a text column) read with binary results, so the client
    neither decodes it into ``str`` nor the answer encodes it again (:func:`guide_page`)."""
    found = _GUIDE_PAGE_SQL.get(connection.vendor)
    if found is None:
        body = "textsend(g.body)" if connection.vendor == "postgresql" else "g.body"
        # Table names from the models, values as parameters. Two tables joined, the rest scalar
        # subqueries (a NULL when the version is not published: no row): PostgreSQL plans an
        # eight-table join in 11–20 ms on every request (client-side binding, no prepared plan),
        # these in ≈ 0.4 ms (docs/performance.md, "W2 on PostgreSQL: the guide statement's plan").
        org = Organisation._meta.db_table
        found = _GUIDE_PAGE_SQL[connection.vendor] = f"""
        SELECT g.head, {body} FROM {GuidePage._meta.db_table} g
        JOIN {ImplementationEntry._meta.db_table} e ON e.id = g.entry_id
        WHERE e.implementation_code = %s AND e.status = %s AND g.fingerprint = %s
          AND g.version_id = e.version_id AND g.entry_updated_at = e.updated_at
          AND g.version_updated_at = (
            SELECT v.updated_at FROM {ItemVersion._meta.db_table} v WHERE v.id = e.version_id AND v.status = %s)
          AND g.item_updated_at = (SELECT i.updated_at FROM {CatalogueItem._meta.db_table} i WHERE i.id = e.item_id)
          AND g.organisation_name = (SELECT o.name FROM {org} o WHERE o.id = e.organisation_id)
          AND g.accepting_name = (SELECT o.name FROM {org} o WHERE o.id = e.accepting_organisation_id)
          AND g.deciding_name = (SELECT o.name FROM {org} o WHERE o.id = e.deciding_organisation_id)
          AND g.library_version = COALESCE((SELECT lv.value FROM {LibraryVersion._meta.db_table} lv WHERE lv.id = 1), 0)
        """  # noqa: S608
    return found


def guide_page(code: str, fingerprint: str) -> tuple[dict, bytes] | None:
    """The stored head and body (its UTF-8 bytes) of the guide of the entry ``code``
    (``GuidePage``), or None when there is none or it is stale (the caller renders and stores it).
    The statement's text never changes: on PostgreSQL it is prepared once per connection
    (``first_read``), not planned on every request."""
    postgresql = connection.vendor == "postgresql"
    rows = first_read(  # the request's first statement: its connection health check too
        connection,
        _guide_page_sql(),
        [code.strip().upper(), EntryStatus.ACTIVE, fingerprint, VersionStatus.PUBLISHED],
        binary=postgresql,
    )
    if not rows:
        return None
    head, body = rows[0]
    return json.loads(head), (body if postgresql else body.encode())
