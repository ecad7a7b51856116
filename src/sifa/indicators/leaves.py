"""Figures of leaf organisations (no roll-up rows in a cold month, ADR 0005 and 0010) from their facts: one grouped query per
fact table, whatever the number of organisations, facts or months asked for.

A leaf — a 司法所, a 法律援助中心 — keeps no ``MonthlyFigures`` row for a cold month (R8c; a hot
month, over ``SIFA_INDICATORS_HOT_LEAF_FACTS`` facts, has one: ADR 0010): its figures, and its line
in its parent's drill-down, are then computed from the facts when read (and a promotion computes a
hot month's first row the same way). Each fact table is read once,
``GROUP BY`` organisation, filtered by the organisations (their foreign-key indexes) and the month
range, every metric a ``SUM(CASE …)`` of the same rule as ``sifa.indicators.metrics`` (the rebuild's
functions): the applications (with their first correction notice, materials, latest clocks and the
deciding work item as correlated subqueries), the ratings, the rectifications, the complaints and
the random checks' findings. The only figure the database cannot compute is the working days from
acceptance to decision (the working calendar, with its provisional years, is Python's): the
applications are therefore also grouped by the local dates of acceptance and decision of the cases
decided in the range, and the calendar counts each pair once. Tested equal to what the rebuild
records (``sifa/demo/tests/test_generator.py`` over generated cases, ``indicators/tests``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Sequence

from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, TruncDate

from sifa.applications.models import Application, ApplicationMaterial, CorrectionNotice, MaterialProvenance
from sifa.catalogue.models.codes import CaseType
from sifa.complaints.models import Complaint
from sifa.core.db import fixed_cursor
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.evaluation.models import Rating, Rectification
from sifa.indicators import metrics
from sifa.indicators.services.facts import OUTCOMES, working_days
from sifa.inspections.models import Result, SampledCase
from sifa.organisations.models import Organisation
from sifa.workflow.models import WorkItem

Figures = dict[tuple[int, dt.date], Counter]
"""(organisation id, month) → the figures (non-zero counts)."""

APPROVING = tuple(k for k, v in OUTCOMES.items() if v == "approve")
DENYING = tuple(k for k, v in OUTCOMES.items() if v == "deny")


def _bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(month, dt.time(), tzinfo=metrics.SHANGHAI)
    return start, dt.datetime.combine(metrics.add_months(month, 1), dt.time(), tzinfo=metrics.SHANGHAI)


def _in(field: str, month: dt.date) -> Q:
    start, end = _bounds(month)
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _in_any(field: str, months: Sequence[dt.date]) -> Q:
    condition = Q()
    for month in months:
        condition |= _in(field, month)
    return condition


def _count(condition: Q, value=None) -> Sum:
    """SUM(CASE WHEN condition THEN value (1) ELSE 0 END)."""
    then = Value(1) if value is None else value
    return Sum(SqlCase(When(condition, then=then), default=Value(0), output_field=IntegerField()))


def _local_date(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=metrics.SHANGHAI)


class _HyphenatedHex(Func):
    """SQLite stores a UUID as 32 hex digits; the clocks name their case by ``str(uuid)``."""

    template = (
        "(substr(%(expressions)s, 1, 8) || '-' || substr(%(expressions)s, 9, 4) || '-' || "
        "substr(%(expressions)s, 13, 4) || '-' || substr(%(expressions)s, 17, 4) || '-' || "
        "substr(%(expressions)s, 21, 12))"
    )
    output_field = CharField()


def _subject_id():
    if connection.vendor == "sqlite":
        return _HyphenatedHex(OuterRef("pk"))
    return Cast(OuterRef("pk"), CharField())


def _due(purpose: str) -> Subquery:
    """The due date of the case's latest clock of ``purpose`` (as ``facts._dues``: the latest wins)."""
    return Subquery(
        ClockState.objects.filter(subject_type="application", subject_id=_subject_id(), purpose=purpose)
        .order_by("-id")
        .values("due_on")[:1]
    )


def _mock_number(field: str) -> Exists:
    """Whether the number in ``field`` is a 模拟办件's (as ``facts.mock_numbers``)."""
    return Exists(Application.objects.filter(is_mock=True, number=OuterRef(field)))


def _add(out: Figures, organisation_id: int, month: dt.date | None, **values: int) -> None:
    if month is None:
        return
    bucket = out.setdefault((organisation_id, month), Counter())
    for name, value in values.items():
        if value:
            bucket[name] += int(value)


def _cases(ids: list[int], months: list[dt.date]) -> QuerySet:
    """The cases the applications figures of ``months`` can count, one row each with the values
    the figures test: its own columns and, computed once per case, its correlated subqueries (first
    correction notice, current and once-only materials, the deciding work item, the latest legal
    and promised clocks)."""
    first, _ = _bounds(months[0])
    _, stop = _bounds(months[-1])
    latest_work = Subquery(
        WorkItem.objects.filter(application_id=OuterRef("pk"), outcome__in=list(OUTCOMES))
        .order_by("-completed_at", "-id")
        .values("outcome")[:1]
    )
    first_correction = Subquery(
        CorrectionNotice.objects.filter(application_id=OuterRef("pk"))
        .order_by()
        .values("application_id")
        .annotate(first=Min("issued_at"))
        .values("first")[:1]
    )
    current = ApplicationMaterial.objects.filter(application_id=OuterRef("pk"), superseded=False).order_by()
    materials = Subquery(current.values("application_id").annotate(n=Count("id")).values("n")[:1])
    once_only = Subquery(
        current.exclude(provenance=MaterialProvenance.UPLOAD)
        .values("application_id")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    instant = (
        Q(version__case_type=CaseType.IMMEDIATE)
        | Q(version__legal_limit_value=0)
        | Q(version__promised_limit_value=0)
    )
    # A subquery whose value only figures of the cases accepted (decided) in the months test runs
    # only for the cases accepted (decided) in the range, as the aggregates' conditions did before.
    accepted = Q(accepted_at__gte=first, accepted_at__lt=stop)
    decided = Q(decided_at__gte=first, decided_at__lt=stop)
    return (
        Application.objects.filter(accepting_organisation_id__in=ids, is_mock=False, submitted_at__lt=stop)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=first) | Q(decided_at__gte=first))
        .order_by()
        .values(
            org=F("accepting_organisation_id"),
            case_status=F("status"),
            case_channel=F("channel"),
            submitted=F("submitted_at"),
            accepted=F("accepted_at"),
            decided=F("decided_at"),
            closed=F("closed_at"),
            is_instant=SqlCase(When(instant, then=Value(1)), default=Value(0), output_field=IntegerField()),
            first_correction=first_correction,
            material_count=SqlCase(When(accepted, then=materials)),
            once_only_count=SqlCase(When(accepted, then=once_only)),
            work_outcome=SqlCase(When(decided, then=latest_work)),
            legal_due=SqlCase(When(decided, then=_due(ClockPurpose.LEGAL))),
            promised_due=SqlCase(When(decided, then=_due(ClockPurpose.PROMISED))),
            accepted_day=_local_date("accepted_at"),
            decided_day=_local_date("decided_at"),
        )
    )


def _applications_query(ids: list[int], months: list[dt.date]) -> tuple[str, list]:
    """``GROUP BY`` organisation (and, for the cases decided in the range, the local dates of
    acceptance and decision) over the derived table of :func:`_cases`: each case's subqueries run
    once, whatever the number of figures that test them (an annotation used inside an aggregate is
    copied into each such aggregate by the ORM, so the legal clock, for one, ran twice — for
    ``legal_on_time`` and ``legal_overdue``)."""
    adapt = connection.ops.adapt_datetimefield_value
    params: list = []

    def p(value) -> str:
        params.append(value)
        return "%s"

    def within(column: str, month: dt.date) -> str:
        start, end = _bounds(month)
        return f"(c.{column} >= {p(adapt(start))} AND c.{column} < {p(adapt(end))})"

    def one_of(column: str, values: Sequence[str]) -> str:
        return f"c.{column} IN ({', '.join(p(v) for v in values)})"

    def count(condition: str, value: str = "1") -> str:
        return f"SUM(CASE WHEN {condition} THEN {value} ELSE 0 END)"

    def decided() -> str:
        return "(" + " OR ".join(within("decided", month) for month in months) + ")"

    # Each placeholder is appended in the order it appears in the statement.
    select = [
        "c.org AS accepting_organisation_id",
        f"CASE WHEN {decided()} THEN c.accepted_day END AS accepted_on",
        f"CASE WHEN {decided()} THEN c.decided_day END AS decided_on",
    ]

    def by_status() -> str:
        return one_of("case_status", ("approved", "denied"))

    def approved() -> str:
        return f"(c.case_status = {p('approved')} OR (NOT ({by_status()}) AND {one_of('work_outcome', APPROVING)}))"

    def denied() -> str:
        return (
            f"(c.case_status = {p('denied')} OR (NOT ({by_status()}) AND {one_of('work_outcome', DENYING)}))"
        )

    # A case without the clock compares with NULL: neither on time nor overdue (as in ``metrics``).
    select += [
        f"{count(decided())} AS decided",
        f"{count(f'{decided()} AND {approved()}')} AS approved",
        f"{count(f'{decided()} AND {denied()}')} AS denied",
        f"{count(f'{decided()} AND c.decided_day <= c.legal_due')} AS legal_on_time",
        f"{count(f'{decided()} AND c.decided_day > c.legal_due')} AS legal_overdue",
        f"{count(f'{decided()} AND c.decided_day <= c.promised_due')} AS promised_on_time",
        f"{count(f'{decided()} AND c.decided_day > c.promised_due')} AS promised_overdue",
    ]
    # Every fragment is built where it is used: ``p`` appends its value in the statement's order.
    for i, month in enumerate(months):
        select += [
            f"{count(within('submitted', month))} AS received_{i}",
            f"{count(within('submitted', month) + ' AND ' + one_of('case_channel', metrics.ONLINE_CHANNELS))}"
            f" AS online_{i}",
            f"{count(within('submitted', month) + ' AND c.is_instant = 1')} AS instant_{i}",
            f"{count(within('first_correction', month))} AS corrected_{i}",
            f"{count(within('accepted', month))} AS accepted_{i}",
            f"{count(within('accepted', month), 'COALESCE(c.material_count, 0)')} AS materials_{i}",
            f"{count(within('accepted', month), 'COALESCE(c.once_only_count, 0)')} AS materials_once_only_{i}",
        ]
        for status in ("not_accepted", "delivered"):
            select += [
                f"{count(within('closed', month) + ' AND c.case_status = ' + p(status))} AS {status}_{i}"
            ]
    inner, inner_params = _cases(ids, months).query.sql_with_params()
    # The OFFSET keeps the planner from pulling the derived table up into the aggregate, which
    # would copy each subquery back into every aggregate that tests it (PostgreSQL did; SQLite may).
    fence = "LIMIT -1 OFFSET 0" if connection.vendor == "sqlite" else "OFFSET 0"
    sql = f"SELECT {', '.join(select)} FROM ({inner} {fence}) c GROUP BY 1, 2, 3"  # noqa: S608 (placeholders only)
    return sql, params + list(inner_params)


def _applications(rows: Iterable[dict], months: list[dt.date], out: Figures) -> None:
    names = ("received", "online", "instant", "corrected", "accepted", "materials", "materials_once_only")
    names += ("not_accepted", "delivered")
    for row in rows:
        org = row["accepting_organisation_id"]
        for i, month in enumerate(months):
            _add(out, org, month, **{name: row[f"{name}_{i}"] for name in names})
        if row["decided_on"] is None:
            continue
        days = working_days(row["accepted_on"], row["decided_on"])
        n = row["decided"]
        _add(
            out,
            org,
            row["decided_on"].replace(day=1),
            **{name: row[name] for name in ("decided", "approved", "denied")},
            **{name: row[name] for name in ("legal_on_time", "legal_overdue", "promised_on_time")},
            promised_overdue=row["promised_overdue"],
            decision_days=n * max(days, 0) if days is not None else 0,
            decision_days_counted=n if days is not None else 0,
        )


def _ratings_query(ids: list[int], months: list[dt.date]) -> QuerySet:
    mock = Q(subject_kind="application", rated_mock=True)
    aggregates = {}
    for i, month in enumerate(months):
        created = _in("created_at", month)
        aggregates |= {
            f"ratings_{i}": _count(created),
            f"ratings_satisfied_{i}": _count(created & Q(level__in=metrics.SATISFIED_LEVELS)),
            f"ratings_bad_{i}": _count(created & Q(level__in=metrics.BAD_LEVELS)),
        }
    return (
        Rating.objects.filter(_in_any("created_at", months), organisation_id__in=ids, set_aside=False)
        .annotate(rated_mock=_mock_number("number"))
        .exclude(mock)
        .values("organisation_id")
        .annotate(**aggregates)
        .order_by()
    )


def _ratings(rows: Iterable[dict], months: list[dt.date], out: Figures) -> None:
    for row in rows:
        for i, month in enumerate(months):
            _add(
                out,
                row["organisation_id"],
                month,
                **{n: row[f"{n}_{i}"] for n in ("ratings", "ratings_satisfied", "ratings_bad")},
            )


def _rectifications_query(ids: list[int], months: list[dt.date]) -> QuerySet:
    aggregates = {}
    for i, month in enumerate(months):
        closed = Q(status="closed") & _in("closed_at", month)
        aggregates |= {
            f"rectifications_opened_{i}": _count(_in("created_at", month)),
            f"rectifications_closed_{i}": _count(closed),
            f"rectifications_closed_on_time_{i}": _count(closed & Q(closed_day__lte=F("due_date"))),
            f"rectifications_overdue_{i}": _count(_in("escalated_at", month)),
        }
    during = _in_any("created_at", months) | _in_any("closed_at", months) | _in_any("escalated_at", months)
    return (
        Rectification.objects.filter(during, organisation_id__in=ids)
        .annotate(rated_mock=_mock_number("rating__number"), closed_day=_local_date("closed_at"))
        .exclude(rating__subject_kind="application", rated_mock=True)
        .values("organisation_id")
        .annotate(**aggregates)
        .order_by()
    )


def _rectifications(rows: Iterable[dict], months: list[dt.date], out: Figures) -> None:
    names = (
        "rectifications_opened",
        "rectifications_closed",
        "rectifications_closed_on_time",
        "rectifications_overdue",
    )
    for row in rows:
        for i, month in enumerate(months):
            _add(out, row["organisation_id"], month, **{n: row[f"{n}_{i}"] for n in names})


def _complaints_query(ids: list[int], months: list[dt.date]) -> QuerySet:
    aggregates = {}
    for i, month in enumerate(months):
        replied = _in("replied_at", month)
        aggregates |= {
            f"complaints_received_{i}": _count(_in("created_at", month)),
            f"complaints_replied_{i}": _count(replied),
            f"complaints_replied_on_time_{i}": _count(replied & Q(replied_day__lte=F("due_date"))),
            f"complaints_overdue_{i}": _count(_in("overdue_at", month)),
        }
    during = _in_any("created_at", months) | _in_any("replied_at", months) | _in_any("overdue_at", months)
    return (
        Complaint.objects.filter(during, organisation_id__in=ids)
        .annotate(of_mock=_mock_number("application__number"), replied_day=_local_date("replied_at"))
        .exclude(of_mock=True)
        .values("organisation_id")
        .annotate(**aggregates)
        .order_by()
    )


def _complaints(rows: Iterable[dict], months: list[dt.date], out: Figures) -> None:
    names = (
        "complaints_received",
        "complaints_replied",
        "complaints_replied_on_time",
        "complaints_overdue",
    )
    for row in rows:
        for i, month in enumerate(months):
            _add(out, row["organisation_id"], month, **{n: row[f"{n}_{i}"] for n in names})


def _checks_query(ids: list[int], months: list[dt.date]) -> QuerySet:
    return (
        SampledCase.objects.filter(
            application__accepting_organisation_id__in=ids,
            application__is_mock=False,
            random_check__period__in=[metrics.month_label(m) for m in months],
            checked_at__isnull=False,
        )
        .values("application__accepting_organisation_id", "random_check__period")
        .annotate(done=Count("id"), issues=Count("id", filter=Q(result=Result.ISSUES)))
        .order_by()
    )


def _checks(rows: Iterable[dict], months: list[dt.date], out: Figures) -> None:
    for row in rows:
        _add(
            out,
            row["application__accepting_organisation_id"],
            metrics.parse_month(row["random_check__period"]),
            checks_done=row["done"],
            checks_with_issues=row["issues"],
        )


# --- one statement per (table, months and organisations padded to a power of two), compiled once ---

_STATEMENTS: dict[tuple, tuple[str, list[tuple[str, object]]]] = {}
_MAX_STATEMENTS = 256
_SENTINEL_ID = -(10**12)
_SENTINEL_YEAR = 1901
_READERS = (
    (_applications_query, _applications),
    (_ratings_query, _ratings),
    (_rectifications_query, _rectifications),
    (_complaints_query, _complaints),
    (_checks_query, _checks),
)


def _placeholders(ids: Sequence[int], months: Sequence[dt.date]) -> dict[tuple[type, object], object]:
    """Every parameter that depends on the organisations and the months, as the database gets it."""
    adapt = connection.ops.adapt_datetimefield_value
    values: dict[tuple[type, object], object] = {}
    for i, organisation_id in enumerate(ids):
        values[("id", i)] = organisation_id
    for j, month in enumerate(months):
        start, end = _bounds(month)
        values[("start", j)] = adapt(start)
        values[("end", j)] = adapt(end)
        values[("label", j)] = metrics.month_label(month)
    return values


def _statement(query, n_ids: int, n_months: int) -> tuple[str, list[tuple[str, object]]]:
    """The SQL of ``query`` for ``n_ids`` organisations and ``n_months`` months, with the role of
    each parameter. Building and compiling these expressions costs far more than running them
    (≈ 5 ms of Python per query against well under 1 ms in PostgreSQL for a few leaves), so the
    statement is compiled once, for stand-in organisations and months, each parameter recognised by
    its stand-in value; every later read only substitutes the real values.

    On PostgreSQL the organisations are one array parameter (``= ANY(%s::bigint[])`` in place of
    the ``IN`` list, role ``ids``): the text is then the same for any number of them, and PostgreSQL
    keeps a generic plan for it (with an ``IN`` list of 64 placeholders it kept re-planning the
    applications statement, W8)."""
    array = connection.vendor == "postgresql"
    key = (connection.alias, connection.vendor, query.__name__, 1 if array else n_ids, n_months)
    found = _STATEMENTS.get(key)
    if found is not None:
        return found
    ids = [_SENTINEL_ID - i for i in range(key[3])]
    months = [dt.date(_SENTINEL_YEAR + 2 * j, 3, 1) for j in range(n_months)]
    roles = {(type(v), v): role for role, v in _placeholders(ids, months).items()}
    built = query(ids, months)
    sql, params = built if isinstance(built, tuple) else built.query.sql_with_params()
    template = [("role", roles[(type(p), p)]) if (type(p), p) in roles else ("value", p) for p in params]
    if array:
        sql, template = _as_array(sql, template)
    if len(_STATEMENTS) >= _MAX_STATEMENTS:
        _STATEMENTS.clear()
    _STATEMENTS[key] = (sql, template)
    return sql, template


def _as_array(sql: str, template: list[tuple[str, object]]) -> tuple[str, list[tuple[str, object]]]:
    """``column IN (%s)`` of the one stand-in organisation → ``column = ANY(%s::bigint[])``."""
    parts = sql.split("%s")
    where = [i for i, (kind, role) in enumerate(template) if kind == "role" and role == ("id", 0)]
    if len(parts) != len(template) + 1 or len(where) != 1:
        raise ValueError("the statement has no single list of organisations")
    i = where[0]
    if not parts[i].endswith(" IN (") or not parts[i + 1].startswith(")"):
        raise ValueError("the organisations are not an IN list")
    cast = Organisation._meta.pk.rel_db_type(connection)
    parts[i] = parts[i][: -len(" IN (")] + " = ANY("
    parts[i + 1] = f"::{cast}[])" + parts[i + 1][1:]
    return "%s".join(parts), [*template[:i], ("role", ("ids", None)), *template[i + 1 :]]


def _padded(values: Sequence) -> list:
    """``values`` with its last one repeated up to the next power of two: a statement's text then
    depends on the number of months (and, on SQLite, of organisations) only through that power
    (1, 2, 4, 8 …), so a few texts serve every dashboard and trend, and on PostgreSQL each is
    prepared once per connection. A repeated organisation or month changes no figure (``IN`` and
    ``OR`` ignore it; the readers read the real months' columns only)."""
    size = 1 << (len(values) - 1).bit_length()
    return [*values, *[values[-1]] * (size - len(values))]


def _rows(query, ids: list[int], months: list[dt.date]) -> list[dict]:
    array = connection.vendor == "postgresql"
    ids, months = (ids if array else _padded(ids)), _padded(months)
    sql, template = _statement(query, len(ids), len(months))
    values = _placeholders(ids if not array else [], months)
    values[("ids", None)] = ids
    params = [values[v] if kind == "role" else v for kind, v in template]
    # Fixed text for its shape: on PostgreSQL a prepared statement, planned once per connection
    # (re-planning the five statements cost more than running them, W8).
    with fixed_cursor(connection) as cursor:
        cursor.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:  # SQLite returns dates as text
        for name in ("accepted_on", "decided_on"):
            if isinstance(row.get(name), str):
                row[name] = dt.date.fromisoformat(row[name])
    return rows


def leaf_figures(organisation_ids: Collection[int], months: Collection[dt.date]) -> Figures:
    """The figures of ``organisation_ids`` (leaves) for each of ``months`` (first days), computed
    from their facts in five grouped queries; a (organisation, month) without facts is absent."""
    ids = sorted(set(organisation_ids))
    wanted = sorted({m.replace(day=1) for m in months})
    out: Figures = {}
    if not ids or not wanted:
        return out
    for query, read in _READERS:
        read(_rows(query, ids, wanted), wanted, out)
    return {key: +counts for key, counts in out.items() if +counts}
