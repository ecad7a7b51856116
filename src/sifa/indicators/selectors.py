"""Reads of the 绩效考核 figures — the dashboard pages, the CSV, the 通报 and the API build on these.

Every staff read is scoped: ``organisation`` must lie in the subtree of one of the actor's
memberships (or the actor is a superuser); anything else is :class:`~sifa.core.errors.NotFound`
(404), never a hint that the organisation exists. Figures are **subtree** figures (the organisation
and everything below it) for one month (Asia/Shanghai), read from ``MonthlyFigures`` plus the
subtree's not-yet-folded ``PendingDelta`` rows — exact at any moment, never a scan of the facts.
A leaf organisation (no children: a 司法所, a 法律援助中心) has a roll-up row only for a hot month
(more than ``SIFA_INDICATORS_HOT_LEAF_FACTS`` facts, ADR 0010), read like a parent's; in a cold
month its figures are computed from its own facts, one grouped query per fact table through their
organisation indexes (``sifa.indicators.leaves``; at most K facts of the month; ADR 0005, R8c).
Mock applications (模拟办件) are never counted.

Stable signatures (the dashboard pages depend on them):

* :func:`figures` (actor, organisation, month) → :class:`Figures`
* :func:`children` (actor, organisation, month) → list of (Organisation, Figures), drill-down depth 1
* :func:`drill_down` (actor, organisation, month) → (Figures, children): both in a constant number of
  queries (what the dashboards, the API and the 通报 read)
* :func:`series` (actor, organisation, months=12, *, end=None) → list of (month, Figures), oldest first
* :func:`ranking` (actor, organisation, month, metric) → list of :class:`Ranked` among the children
* :func:`public_figures` (organisation | None, month) → :class:`Figures` (published months only)
* helpers: :func:`parse_period`, :func:`organisation_of`, :func:`visible`, :func:`current_month`,
  :data:`RATES`, :data:`METRICS` / :data:`METRIC_LABELS`.

``month`` is a ``datetime.date`` (any day of the month) or a ``YYYY-MM`` string.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Count, Max, Sum
from django.utils import timezone

from sifa.core import pagecache
from sifa.core.db import PATH_CEILING, FixedRows, fixed_cursor
from sifa.core.errors import NotFound, ServiceError
from sifa.core.limits.stores import now_ms
from sifa.deadlines import db_calendar
from sifa.indicators.leaves import leaf_figures
from sifa.indicators.metrics import (
    METRIC_LABELS,
    METRIC_NAMES,
    METRICS,
    SHANGHAI,
    add_months,
    month_label,
    parse_month,
)
from sifa.indicators.models import MonthlyFigures, PendingDelta
from sifa.organisations.models import Organisation
from sifa.organisations.scope import Actor
from sifa.organisations.signals import TREE_CACHE_NAMESPACE

RATES: dict[str, tuple[str, str, str]] = {
    # name: (label, numerator, denominator) — each a ratio of two stored sums, computed here.
    "acceptance_rate": ("受理率", "accepted", "accepted+not_accepted"),
    "legal_on_time_rate": ("法定时限内办结率", "legal_on_time", "legal_on_time+legal_overdue"),
    "promised_on_time_rate": ("承诺时限内办结率", "promised_on_time", "promised_on_time+promised_overdue"),
    "average_working_days": ("平均办理用时（工作日）", "decision_days", "decision_days_counted"),
    "instant_share": ("即办件占比", "instant", "received"),
    "online_share": ("网办率", "online", "received"),
    "once_only_share": ("材料免提交率", "materials_once_only", "materials"),
    "correction_rate": ("补正率", "corrected", "received"),
    "satisfaction_rate": ("满意率", "ratings_satisfied", "ratings"),
    "bad_rating_rate": ("差评率", "ratings_bad", "ratings"),
    "rectification_rate": ("整改办结率", "rectifications_closed", "rectifications_opened"),
    "rectification_on_time_rate": (
        "整改按期办结率",
        "rectifications_closed_on_time",
        "rectifications_closed",
    ),
    "complaint_reply_rate": ("投诉答复率", "complaints_replied", "complaints_received"),
    "complaint_on_time_rate": ("投诉按期答复率", "complaints_replied_on_time", "complaints_replied"),
    "check_issue_rate": ("随机抽查问题率", "checks_with_issues", "checks_done"),
}
"""Derived figures: label, numerator, denominator (``a+b`` sums metrics). None when the
denominator is 0 (shown as “—”, never as 0 %)."""

__all__ = [
    "METRICS",
    "METRIC_LABELS",
    "METRIC_NAMES",
    "RATES",
    "Figures",
    "Ranked",
    "children",
    "current_month",
    "drill_down",
    "figures",
    "organisation_of",
    "parse_period",
    "public_figures",
    "ranking",
    "series",
    "visible",
]


def _bad(code: str, message: str, field_name: str) -> ServiceError:
    return ServiceError(
        f"indicators.{code}",
        message,
        errors=[{"field": field_name, "code": f"indicators.{code}", "message": message}],
    )


@dataclass(frozen=True)
class Figures:
    """The figures of one organisation's subtree for one month: every stored sum or count
    (``counts[name]`` or ``figures.received`` …) and the derived rates (``rate(name)``)."""

    month: dt.date
    counts: dict[str, int] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        if name in METRIC_LABELS:
            return self.counts.get(name, 0)
        if name in RATES:
            return self.rate(name)
        raise AttributeError(name)

    def _sum(self, expression: str) -> int:
        return sum(self.counts.get(part, 0) for part in expression.split("+"))

    def rate(self, name: str) -> float | None:
        """A derived figure (see :data:`RATES`); None when its denominator is 0."""
        _label, numerator, denominator = RATES[name]
        below = self._sum(denominator)
        return None if below == 0 else self._sum(numerator) / below

    def rates(self) -> dict[str, float | None]:
        return {name: self.rate(name) for name in RATES}

    def value(self, metric: str) -> float | int | None:
        """A stored count or a derived rate by name (for rankings and tables)."""
        if metric in RATES:
            return self.rate(metric)
        return self.counts.get(metric, 0)

    @property
    def period(self) -> str:
        return month_label(self.month)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "counts": {name: int(self.counts.get(name, 0)) for name in METRIC_NAMES},
            "rates": {name: (None if v is None else round(v, 4)) for name, v in self.rates().items()},
        }


@dataclass(frozen=True)
class Ranked:
    """One organisation's place in a ranking (1 = best); ``value`` None sorts last, unranked."""

    rank: int | None
    organisation: Organisation
    value: float | int | None
    figures: Figures


# --- arguments ---------------------------------------------------------------------------------


def current_month() -> dt.date:
    return timezone.now().astimezone(SHANGHAI).date().replace(day=1)


def parse_period(value: Any, *, default: dt.date | None = None) -> dt.date:
    """``YYYY-MM`` (or a date) → the month's first day. Empty → ``default`` (the current month when
    None). Anything else → 400 ``indicators.bad_period``."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    if value is None or str(value).strip() == "":
        return default or current_month()
    month = parse_month(value)
    if month is None:
        raise _bad("bad_period", "统计月份应为 YYYY-MM 格式，如 2026-12", "period")
    return month


def organisation_of(value: Any, *, required: bool = False) -> Organisation | None:
    """An organisation from its id (an int or digit string); 400 ``indicators.bad_organisation``
    when it is not one (an existing but out-of-scope one is the caller's 404, see :func:`visible`)."""
    if isinstance(value, Organisation):
        return value
    text = str(value if value is not None else "").strip()
    if not text:
        if required:
            raise _bad("bad_organisation", "请选择机构（机构ID）", "organisation")
        return None
    organisation = (
        Organisation.objects.filter(pk=int(text)).first() if text.isdigit() and len(text) < 12 else None
    )
    if organisation is None:
        raise _bad("bad_organisation", "未找到该机构，请填写有效的机构ID", "organisation")
    return organisation


def visible(actor: Actor, organisation: Organisation) -> bool:
    """Whether ``actor`` may read ``organisation``'s figures: it lies in one of their subtrees."""
    if actor.user_id is None:
        return False
    if actor.is_superuser:
        return True
    return any(organisation.path.startswith(path) for path in actor.paths_for())


def _require(actor: Actor, organisation: Any) -> Organisation:
    organisation = organisation_of(organisation, required=True)
    if not visible(actor, organisation):
        raise NotFound()
    return organisation


def _month(value: Any) -> dt.date:
    return parse_period(value)


# --- reading -----------------------------------------------------------------------------------


def _row_counts(organisation_ids: list[int], months: list[dt.date]) -> dict[tuple[int, dt.date], Counter]:
    """The roll-up rows of ``organisation_ids`` for ``months``, as counters by (organisation, month).

    One plain statement, written here rather than built by the ORM: on the dashboard's path,
    compiling the queryset cost more than PostgreSQL's planning and running it (W8,
    docs/performance.md), and the statement is the same for every dashboard."""
    meta = MonthlyFigures._meta
    quote = connection.ops.quote_name
    columns = [meta.get_field(name).column for name in ("organisation", "month", *METRIC_NAMES)]
    # Only quoted model names and placeholders go into the text; every value is a parameter.
    sql = "SELECT {} FROM {} WHERE {} IN ({}) AND {} IN ({})".format(  # noqa: S608
        ", ".join(quote(c) for c in columns),
        quote(meta.db_table),
        quote(columns[0]),
        ", ".join(["%s"] * len(organisation_ids)),
        quote(columns[1]),
        ", ".join(["%s"] * len(months)),
    )
    params = [*organisation_ids, *(connection.ops.adapt_datefield_value(m) for m in months)]
    out: dict[tuple[int, dt.date], Counter] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for organisation_id, month, *values in cursor.fetchall():
            if isinstance(month, str):  # SQLite returns dates as text
                month = dt.date.fromisoformat(month)
            out[(organisation_id, month)] = Counter(
                {name: value for name, value in zip(METRIC_NAMES, values, strict=True) if value}
            )
    return out


def _pending(path: str, months: list[dt.date], *, probed: bool | None = None) -> list[dict[str, Any]]:
    """Not-yet-folded deltas of the subtree (a minute's worth at most), grouped by leaf and month.
    Most subtrees have none between two folds: an ``EXISTS`` probe (≈ 0.6 ms; ``probed`` when the
    caller's statement already asked) then spares the aggregate of every metric (≈ 3.5 ms at 1 M
    cases, W8)."""
    pending = PendingDelta.objects.filter(path__subtree=path, month__in=months)
    if probed is False or (probed is None and not pending.exists()):
        return []
    return list(pending.values("path", "month").annotate(**{n: Sum(n) for n in METRIC_NAMES}).order_by())


def _read(
    organisation: Organisation,
    months: list[dt.date],
    kids: list[Organisation],
    *,
    is_leaf: bool,
    rows: list[Organisation] | None = None,
    pending: bool | None = None,
) -> dict[int, dict[dt.date, Figures]]:
    """The figures of ``organisation`` and of ``kids`` (some of its children) for ``months``, by
    organisation id, in a constant number of queries: the roll-up rows of all of them in one ``IN``
    (the organisations with children, and the leaves' hot months — ADR 0010), the subtree's pending
    deltas (an ``EXISTS`` probe, then one grouped query), and the leaves' cold months from their
    facts in one grouped query per fact table (``leaves.leaf_figures``) — only when some leaf-month
    asked has no row. ``kids`` carry ``has_children`` (:func:`_dashboard_sql`); ``is_leaf``:
    ``organisation`` has no children at all (active or not). ``rows`` and ``pending``: the
    organisation and its children already read with their roll-up rows for the one month
    (``has_row``), and the probe's answer (:func:`_dashboard_sql`), which spare the ``IN`` and the
    probe."""
    parents = [k for k in kids if k.has_children] + ([] if is_leaf else [organisation])
    leaves = [k for k in kids if not k.has_children] + ([organisation] if is_leaf else [])
    leaf_ids = {leaf.pk for leaf in leaves}
    totals: dict[tuple[int, dt.date], Counter] = {}
    if rows is not None:
        found = {(row.pk, months[0]): Counter(_joined_counts(row)) for row in rows if row.has_row}
    else:
        found = _row_counts([o.pk for o in parents + leaves], months)
    # A leaf-month with a row is hot: read from the row (plus its pending deltas), as a parent is.
    hot = {key for key in found if key[0] in leaf_ids}
    totals.update(found)
    if parents or hot:
        targets = sorted(((o.path, o.pk) for o in parents + leaves), key=lambda p: -len(p[0]))
        for row in _pending(organisation.path, months, probed=pending):
            counts = {n: row[n] or 0 for n in METRIC_NAMES}
            for path, pk in targets:  # the organisation itself, and the child the delta lies under
                if not row["path"].startswith(path):
                    continue
                if pk in leaf_ids and (pk, row["month"]) not in hot:
                    continue  # a cold leaf-month's facts are read as they are now: its deltas are in them
                totals.setdefault((pk, row["month"]), Counter()).update(counts)
    cold = [(leaf.pk, m) for leaf in leaves for m in months if (leaf.pk, m) not in hot]
    if cold:
        read = leaf_figures({key[0] for key in cold}, {key[1] for key in cold})
        totals.update({key: counts for key, counts in read.items() if key not in hot})
    return {
        org.pk: {m: Figures(month=m, counts=dict(+totals.get((org.pk, m), Counter()))) for m in months}
        for org in [organisation, *kids]
    }


def _figures_of(organisation: Organisation, months: list[dt.date]) -> dict[dt.date, Figures]:
    leaf = not Organisation.objects.filter(parent=organisation).exists()
    return _read(organisation, months, [], is_leaf=leaf)[organisation.pk]


_DASHBOARD_SQL: dict[str, str] = {}
_METRIC_ALIAS = "m__"


def _dashboard_sql() -> str:
    """One statement for the dashboard of an organisation: the organisation and its children (each
    with ``has_children``), each joined to its roll-up row for the month, and whether any delta of
    the subtree is pending. Written once per database vendor from the models' own names; every
    value is a parameter (the probe's month and subtree range, the month, the organisation twice)."""
    found = _DASHBOARD_SQL.get(connection.vendor)
    if found is not None:
        return found
    quote = connection.ops.quote_name
    org, rows, delta = Organisation._meta, MonthlyFigures._meta, PendingDelta._meta
    org_columns = ", ".join(f"o.{quote(f.column)}" for f in org.concrete_fields)
    parent = quote(org.get_field("parent").column)
    metrics = ", ".join(
        f"r.{quote(rows.get_field(name).column)} AS {quote(_METRIC_ALIAS + name)}" for name in METRIC_NAMES
    )
    row_org, row_month = (quote(rows.get_field(n).column) for n in ("organisation", "month"))
    row_pk = quote(rows.pk.column)
    delta_path, delta_month = (quote(delta.get_field(n).column) for n in ("path", "month"))
    pk = quote(org.pk.column)
    # Only quoted model names and placeholders go into the text; every value is a parameter.
    found = (
        f"SELECT {org_columns}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {quote(org.db_table)} c WHERE c.{parent} = o.{pk}) AS has_children, "
        f"r.{row_pk} IS NOT NULL AS has_row, {metrics}, "
        f"EXISTS (SELECT 1 FROM {quote(delta.db_table)} p WHERE p.{delta_month} = %s "
        f"AND p.{delta_path} >= %s AND p.{delta_path} < %s) AS any_pending "
        f"FROM {quote(org.db_table)} o LEFT JOIN {quote(rows.db_table)} r "
        f"ON r.{row_org} = o.{pk} AND r.{row_month} = %s "
        f"WHERE o.{parent} = %s OR o.{pk} = %s ORDER BY o.{quote(org.get_field('path').column)}"
    )
    _DASHBOARD_SQL[connection.vendor] = found
    return found


_ORGANISATIONS = FixedRows(Organisation)


def _dashboard_rows(params: list) -> list[Organisation]:
    """The rows of :func:`_dashboard_sql` as ``Organisation.objects.raw`` makes them (each
    organisation complete, the other columns as attributes, unconverted), the statement prepared
    once per connection on PostgreSQL (its text never changes; planning it on every request cost
    about as much as running it, W8)."""
    with fixed_cursor(connection) as cursor:
        cursor.execute(_dashboard_sql(), params)
        found = cursor.fetchall()
    width = len(_ORGANISATIONS.fields)
    extra = ["has_children", "has_row", *(_METRIC_ALIAS + name for name in METRIC_NAMES), "any_pending"]
    rows = []
    for values in found:
        row = _ORGANISATIONS.build(values[:width], connection)
        row.__dict__.update(zip(extra, values[width:], strict=True))
        rows.append(row)
    return rows


def _drill_down(
    organisation: Organisation, month: dt.date
) -> tuple[Figures, list[tuple[Organisation, Figures]]]:
    """The dashboard in one statement where every child has children and nothing is pending (the
    ministry's and a province's): the children, their roll-up rows and the organisation's, and the
    pending probe (:func:`_dashboard_sql`). Pending deltas add one grouped query; leaf children
    (or a leaf organisation) their facts (:func:`_read`)."""
    day = connection.ops.adapt_datefield_value(month)
    params = [day, organisation.path, organisation.path + PATH_CEILING, day, organisation.pk, organisation.pk]
    rows = _dashboard_rows(params)
    every = [row for row in rows if row.pk != organisation.pk]
    kids = [kid for kid in every if kid.is_active]
    pending = bool(rows and rows[0].any_pending)
    # A leaf without a row for the month — the organisation itself or an active child — is read
    # from its facts; a hot leaf-month has a row, read here like a parent's (ADR 0010).
    shown = {organisation.pk} | {kid.pk for kid in kids}
    cold = any(row.pk in shown and not row.has_children and not row.has_row for row in rows)
    if pending or cold or not rows:
        found = _read(organisation, [month], kids, is_leaf=not every, rows=rows, pending=pending)
        return found[organisation.pk][month], [(kid, found[kid.pk][month]) for kid in kids]
    counts = {row.pk: _joined_counts(row) for row in rows if row.has_row}
    own = Figures(month=month, counts=counts.get(organisation.pk, {}))
    return own, [(kid, Figures(month=month, counts=counts.get(kid.pk, {}))) for kid in kids]


# --- the dashboard's answer cache (ADR 0013) ------------------------------------------------------

CACHE_NAMESPACE = TREE_CACHE_NAMESPACE
"""The shared cache's namespace of the dashboard's answers: its generation goes up whenever an
organisation is saved, deleted or the tree is synchronised (``sifa.organisations.signals``), so no
answer names a child as it no longer is."""
CACHE_FORMAT = "1"
"""The stored form's version, part of every key: answers of an older form are never read."""

_VALIDATOR_SQL: dict[str, str] = {}


def _validator_sql() -> str:
    """One statement that says whether a stored dashboard answer still holds: the organisation's
    **covering row** for the month — its own ``MonthlyFigures`` row when it has children, its
    parent's when it is a leaf (a leaf's facts are folded into every ancestor's row) — by primary
    key and ``revision``, and the number of the subtree's pending deltas of the month.

    Every change of a figure writes a ``PendingDelta`` in the command's transaction (the count goes
    up: deltas are only inserted between two folds); a fold deletes the deltas it folds and, in the
    same transaction, adds one to the revision of every row above them, the covering row included;
    a rebuild deletes the rows and makes new ones (new primary keys). So the triple never comes back
    to an earlier value while the figures differ, even when two changes cancel out in the sums
    (ADR 0013). A count, not the highest delta id: ids are drawn before commit, so a delta committed
    late can carry a lower id than one already seen."""
    found = _VALIDATOR_SQL.get(connection.vendor)
    if found is not None:
        return found
    quote = connection.ops.quote_name
    org, rows, delta = Organisation._meta, MonthlyFigures._meta, PendingDelta._meta
    pk, parent = quote(org.pk.column), quote(org.get_field("parent").column)
    row_org, row_month = (quote(rows.get_field(n).column) for n in ("organisation", "month"))
    delta_path, delta_month = (quote(delta.get_field(n).column) for n in ("path", "month"))
    children = f"EXISTS (SELECT 1 FROM {quote(org.db_table)} c WHERE c.{parent} = o.{pk})"  # noqa: S608
    # Only quoted model names and placeholders go into the text; every value is a parameter.
    found = (
        f"SELECT CASE WHEN {children} THEN o.{pk} ELSE o.{parent} END, "  # noqa: S608
        f"r.{quote(rows.pk.column)}, r.{quote(rows.get_field('revision').column)}, "
        f"(SELECT COUNT(*) FROM {quote(delta.db_table)} p WHERE p.{delta_month} = %s "
        f"AND p.{delta_path} >= %s AND p.{delta_path} < %s) "
        f"FROM {quote(org.db_table)} o LEFT JOIN {quote(rows.db_table)} r ON r.{row_month} = %s "
        f"AND r.{row_org} = CASE WHEN {children} THEN o.{pk} ELSE o.{parent} END "
        f"WHERE o.{pk} = %s"
    )
    _VALIDATOR_SQL[connection.vendor] = found
    return found


def _validator(organisation: Organisation, month: dt.date) -> list | None:
    """The organisation's validator for ``month`` (:func:`_validator_sql`): [covering organisation,
    its row's id, the row's revision, pending deltas]; ``None`` when nothing covers it (a lone
    organisation without parent nor children), whose answer is not cached."""
    day = connection.ops.adapt_datefield_value(month)
    params = [day, organisation.path, organisation.path + PATH_CEILING, day, organisation.pk]
    with fixed_cursor(connection) as cursor:
        cursor.execute(_validator_sql(), params)
        found = cursor.fetchone()
    if found is None or found[0] is None:
        return None
    return [int(v) if v is not None else None for v in found]


def _in_transaction() -> bool:
    """Whether the caller runs inside a transaction of its own (a test case's own does not count,
    as for Django's ``durable``): it may hold uncommitted changes, so its answer is neither read
    from the shared cache nor stored there."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


_FIELDS = tuple(f.attname for f in Organisation._meta.concrete_fields)


def _encode(validator: list, answer: tuple[Figures, list[tuple[Organisation, Figures]]]) -> bytes:
    own, kids = answer
    rows = [
        [[getattr(kid, name) for name in _FIELDS], getattr(kid, "has_children", None), f.counts]
        for kid, f in kids
    ]
    return json.dumps([validator, own.counts, rows], ensure_ascii=False, separators=(",", ":")).encode()


def _decode(
    payload: bytes, validator: list, month: dt.date
) -> tuple[Figures, list[tuple[Organisation, Figures]]] | None:
    stored, own, rows = json.loads(payload)
    if stored != validator:
        return None
    kids = []
    for values, has_children, counts in rows:
        kid = Organisation.from_db(DEFAULT_DB_ALIAS, _FIELDS, values)
        kid.has_children = has_children
        kids.append((kid, Figures(month=month, counts=counts)))
    return Figures(month=month, counts=own), kids


def _answer(organisation: Organisation, month: dt.date) -> tuple[Figures, list[tuple[Organisation, Figures]]]:
    """The dashboard from the shared cache when the stored answer's validator is the current one
    (one statement, :func:`_validator`, then the store's look-up: one statement with the database
    store, one round trip with Redis), else computed (:func:`_drill_down`) and stored with the
    validator read **before** computing it — a change committed meanwhile is in the answer or makes
    the next validator differ, never the other way round (ADR 0013)."""
    seconds = int(getattr(settings, "INDICATORS_CACHE_SECONDS", 0) or 0)
    if seconds <= 0 or _in_transaction():
        return _drill_down(organisation, month)
    validator = _validator(organisation, month)
    if validator is None:
        return _drill_down(organisation, month)
    store = pagecache.store()
    key = f"ind:{CACHE_FORMAT}:{organisation.pk}:{month.isoformat()}"
    generation, payload = store.lookup(CACHE_NAMESPACE, key, now_ms())
    if payload is not None:
        found = _decode(payload, validator, month)
        if found is not None:
            return found
    # What is kept outlives the process's copy of the calendar (a minute): count a cold leaf's
    # working days on the table as it is now, not on a copy older than the validator just read.
    db_calendar.ensure_current()
    answer = _drill_down(organisation, month)
    store.save(CACHE_NAMESPACE, key, generation, _encode(validator, answer), seconds * 1000)
    return answer


def _joined_counts(row: Organisation) -> dict[str, int]:
    return {name: value for name in METRIC_NAMES if (value := getattr(row, _METRIC_ALIAS + name))}


def figures(actor: Actor, organisation: Any, month: Any) -> Figures:
    """The subtree figures of ``organisation`` for ``month`` (404 outside the actor's scope)."""
    organisation = _require(actor, organisation)
    month = _month(month)
    return _figures_of(organisation, [month])[month]


def children(actor: Actor, organisation: Any, month: Any) -> list[tuple[Organisation, Figures]]:
    """The active children of ``organisation`` with their subtree figures (drill-down, depth 1),
    in tree order. An organisation's own figures minus its children's are what it handled itself."""
    organisation = _require(actor, organisation)
    return _answer(organisation, _month(month))[1]


def drill_down(
    actor: Actor, organisation: Any, month: Any
) -> tuple[Figures, list[tuple[Organisation, Figures]]]:
    """:func:`figures` and :func:`children` together, what a dashboard shows, in a constant number
    of queries whatever the children and the facts: 1 for an organisation whose children all have
    children or a row for the month (the children, the rows and the pending-delta probe in one
    statement; one more when deltas are pending), 5 more when some are leaves in a cold month
    (their facts), 6 for a leaf itself in a cold month, 1 in a hot one (docs/indicators.md)."""
    organisation = _require(actor, organisation)
    return _answer(organisation, _month(month))


def series(
    actor: Actor, organisation: Any, months: int = 12, *, end: Any = None
) -> list[tuple[dt.date, Figures]]:
    """The trend: ``months`` consecutive months ending with ``end`` (the current month when None),
    oldest first, each with the subtree figures."""
    organisation = _require(actor, organisation)
    if not 1 <= int(months) <= 60:
        raise _bad("bad_months", "趋势的月数应在1到60之间", "months")
    last = _month(end)
    wanted = [add_months(last, -i) for i in range(int(months) - 1, -1, -1)]
    found = _figures_of(organisation, wanted)
    return [(m, found[m]) for m in wanted]


def _check_metric(metric: str) -> None:
    if metric not in METRIC_LABELS and metric not in RATES:
        raise _bad("bad_metric", "不支持按该指标排名", "metric")


LOWER_IS_BETTER = frozenset(
    {
        "not_accepted",
        "legal_overdue",
        "promised_overdue",
        "average_working_days",
        "correction_rate",
        "bad_rating_rate",
        "ratings_bad",
        "rectifications_overdue",
        "complaints_received",
        "complaints_overdue",
        "checks_with_issues",
        "check_issue_rate",
    }
)
"""Metrics where a smaller value ranks first."""


def ranking(actor: Actor, organisation: Any, month: Any, metric: str) -> list[Ranked]:
    """The children of ``organisation`` ranked by ``metric`` (a count or a rate of :data:`RATES`);
    for a unit's place among its peers, pass its parent. Ties share a rank; organisations without a
    value (no denominator) come last, unranked."""
    _check_metric(metric)
    rows = children(actor, organisation, month)
    lower = metric in LOWER_IS_BETTER
    valued = [(kid, f, f.value(metric)) for kid, f in rows]
    ranked = sorted(
        (r for r in valued if r[2] is not None), key=lambda r: (r[2] if lower else -r[2], r[0].path)
    )
    out: list[Ranked] = []
    previous, rank = object(), 0
    for index, (kid, f, value) in enumerate(ranked, 1):
        if value != previous:
            rank, previous = index, value
        out.append(Ranked(rank=rank, organisation=kid, value=value, figures=f))
    out += [Ranked(rank=None, organisation=kid, value=None, figures=f) for kid, f, v in valued if v is None]
    return out


def published(month: dt.date) -> bool:
    """A month's figures are published once the month is over (Asia/Shanghai)."""
    return month < current_month()


def roots() -> list[Organisation]:
    return list(Organisation.objects.filter(parent__isnull=True).order_by("path"))


def public_figures(organisation: Any, month: Any) -> Figures:
    """Figures for public statistics (counts only, no personal data): ``organisation``'s subtree,
    or the whole platform when None. Only a month that is over (400 ``indicators.not_published``
    otherwise); the default is the last month."""
    month = parse_period(month, default=add_months(current_month(), -1))
    if not published(month):
        raise _bad("not_published", "该月尚未结束，统计数据将于次月公布", "period")
    organisation = organisation_of(organisation)
    if organisation is not None:
        return _figures_of(organisation, [month])[month]
    total: Counter = Counter()
    for root in roots():
        total.update(_figures_of(root, [month])[month].counts)
    return Figures(month=month, counts=dict(+total))


REPORT_RELATED_TYPE = "performance_report"
"""How a 通报 names its month (``related=("performance_report", "YYYY-MM")``, ``services.reports``)."""


@dataclass(frozen=True)
class EnteredAfterReport:
    """Ratings of a month entered afterwards (离线补录) once that month's 通报 was issued."""

    report_number: str
    report_issued_at: dt.datetime
    count: int
    last_entered_at: dt.datetime


def entered_after_report(organisation: Organisation | None, period: str) -> EnteredAfterReport | None:
    """Whether ``organisation``'s figures of ``period`` (``YYYY-MM``) changed after its 通报.

    The rule (docs/evaluation.md, docs/indicators.md): a paper card or offline 评价器 record entered
    late (离线补录, at most ``evaluation.services.BACK_ENTRY_DAYS`` days — Sifa's policy) counts in
    the month of its date, so the month's figures stay true; the 通报 issued before is a frozen,
    sealed document and is not changed. This says how many such ratings of the organisation's
    subtree and month were entered after the current 通报 was issued (set-aside ones not counted,
    as in the statistics), and when the last one was — or ``None`` when there is no 通报 or no such
    rating. Counts only (no rating, person or comment); the caller decides who may see it (the
    dashboard's viewers; the public statistics show the dates and the count).
    """
    from sifa.documents.models import Document, DocumentKind
    from sifa.evaluation.models import Rating
    from sifa.evaluation.selectors import period_bounds

    if organisation is None:
        return None
    report = (
        Document.objects.filter(
            organisation=organisation,
            kind=DocumentKind.PERFORMANCE_REPORT,
            related_type=REPORT_RELATED_TYPE,
            related_id=period,
            withdrawn_at__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )
    if report is None:
        return None
    start, end = period_bounds(period)
    late = (
        Rating.objects.filter(
            scope_path__subtree=organisation.path,
            created_at__gte=start,
            created_at__lt=end,
            set_aside=False,
            entered_at__gt=report.created_at,
        )
        .exclude(entry_source="")
        .aggregate(n=Count("id"), last=Max("entered_at"))
    )
    if not late["n"]:
        return None
    return EnteredAfterReport(report.number, report.created_at, late["n"], late["last"])
