"""The rebuild as set-based SQL (PostgreSQL): the ledger and the roll-up rows in a few statements.

``maintenance.rebuild`` calls :func:`rebuild_all` for a full rebuild on PostgreSQL, inside its
transaction and after its lock, instead of reading every fact into Python. The statements compute
what the Python path computes (``facts``, ``metrics.*_contribution``, ``metrics.encode`` and the
sums per ancestor, ``maintenance.rolled_up``), row for row:

1. ``_days`` (temporary): every day of the years the decided cases span, with the number of working
   days up to and including it (from the same ``DatabaseCalendar`` the Python path counts on, so a
   provisional year counts the same) and the number of years without calendar data up to its
   year — the working days from acceptance to decision are a difference of two looked-up numbers,
   NULL (as ``CalendarDataMissing`` gives None) when a year between lacks data.
2. ``_facts`` (temporary): per fact and (organisation, month) its figures — each fact's events as
   rows of one ``LATERAL (VALUES …)``, grouped.
3. The ledger: one ``jsonb_object_agg`` per fact, inserted in the Python path's order (kind, then
   primary key), so the ids follow the same order.
4. The roll-up rows: the per-(organisation, month) sums added to every ancestor on the
   organisation's path (and to the organisation unless it is a leaf), plus a leaf's row for each of
   its hot months, inserted in key order with revision 0 and ``updated_at`` now.

Equality with the Python path is tested on generated cases and on the hand-made worlds of
``indicators/tests`` (``tests/test_rebuild_sql.py``).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from sifa.complaints.models import Complaint
from sifa.deadlines.calendar import CalendarDataMissing
from sifa.evaluation.models import Rating, Rectification
from sifa.indicators.metrics import BAD_LEVELS, METRIC_NAMES, ONLINE_CHANNELS, SATISFIED_LEVELS
from sifa.indicators.models import Contribution, FactKind, MonthlyFigures
from sifa.indicators.services import facts as fact_rows
from sifa.inspections.models import SampledCase

TZ = "Asia/Shanghai"
_KINDS = (FactKind.APPLICATION, FactKind.RATING, FactKind.RECTIFICATION, FactKind.COMPLAINT, FactKind.CHECK)


def _month(expr: str) -> str:
    return f"date_trunc('month', {expr} AT TIME ZONE '{TZ}')::date"


def _day(expr: str) -> str:
    return f"({expr} AT TIME ZONE '{TZ}')::date"


def _values(month: str, **figures: str) -> str:
    """One event row: its month, then every metric (0 unless given), as SQL expressions."""
    return (
        "("
        + ", ".join([month, *(f"({figures[n]})::integer" if n in figures else "0" for n in METRIC_NAMES)])
        + ")"
    )


def _flag(condition: str) -> str:
    """A metric that is 1 when ``condition`` holds (NULL counts as false, as Python's ``and``)."""
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


def _table(model) -> str:
    return model._meta.db_table


def _calendar_days(cursor) -> None:
    """``_days``: the working-day numbers of the years the decided cases span (step 1 above)."""
    cursor.execute(
        "CREATE TEMPORARY TABLE _days (day date PRIMARY KEY, n bigint, gap integer) ON COMMIT DROP"
    )
    application = _table(fact_rows.Application)
    cursor.execute(
        f"SELECT min(LEAST({_day('accepted_at')}, {_day('decided_at')})), "  # noqa: S608
        f"max(GREATEST({_day('accepted_at')}, {_day('decided_at')})) FROM {application} "
        "WHERE submitted_at IS NOT NULL AND NOT is_mock AND accepted_at IS NOT NULL AND decided_at IS NOT NULL"
    )
    low, high = cursor.fetchone()
    if low is None:
        return
    rows = []
    total = gaps = 0
    for year in range(low.year, high.year + 1):
        try:
            workdays = set(fact_rows._CALENDAR.workdays(year))
        except CalendarDataMissing:
            workdays = None
            gaps += 1
        day = dt.date(year, 1, 1)
        while day.year == year:
            if workdays is None:
                rows.append((day, None, gaps))
            else:
                total += day in workdays
                rows.append((day, total, gaps))
            day += dt.timedelta(days=1)
    with cursor.cursor.copy("COPY _days (day, n, gap) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _application_events() -> str:
    """Each case's figures computed once per case (the inner query, kept apart by ``OFFSET 0`` so
    the planner does not repeat its expressions in every event), then its events as rows."""
    a = _table(fact_rows.Application)
    decided_day = _day("a.decided_at")
    counted = "(ds.n IS NOT NULL AND de.n IS NOT NULL AND ds.gap = de.gap)"
    outcome = (
        "CASE WHEN a.status IN ('approved', 'denied') THEN "
        "CASE WHEN a.status = 'approved' THEN 'approve' ELSE 'deny' END "
        "ELSE CASE w.outcome "
        + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in fact_rows.OUTCOMES.items())
        + " ELSE '' END END"
    )
    online = ", ".join(f"'{c}'" for c in ONLINE_CHANNELS)
    base = {
        "m_submitted": _month("a.submitted_at"),
        "online": _flag(f"a.channel IN ({online})"),
        "instant": _flag(
            "v.case_type = %(immediate)s OR v.legal_limit_value = 0 OR v.promised_limit_value = 0"
        ),
        "m_corrected": _month("c.first"),
        "m_accepted": _month("a.accepted_at"),
        "materials": "COALESCE(m.total, 0)",
        "once": "COALESCE(m.once, 0)",
        "m_not_accepted": f"CASE WHEN a.status = 'not_accepted' THEN {_month('a.closed_at')} END",
        "m_decided": _month("a.decided_at"),
        "outcome": outcome,
        "decided_day": decided_day,
        "legal": "d.legal",
        "promised": "d.promised",
        "days": f"CASE WHEN {counted} THEN GREATEST(de.n - ds.n, 0) ELSE 0 END",
        "counted": _flag(counted),
        "m_delivered": f"CASE WHEN a.status = 'delivered' THEN {_month('a.closed_at')} END",
    }
    events = ", ".join(
        [
            _values("b.m_submitted", received="1", online="b.online", instant="b.instant"),
            _values("b.m_corrected", corrected="1"),
            _values("b.m_accepted", accepted="1", materials="b.materials", materials_once_only="b.once"),
            _values("b.m_not_accepted", not_accepted="1"),
            _values(
                "b.m_decided",
                decided="1",
                approved=_flag("b.outcome = 'approve'"),
                denied=_flag("b.outcome = 'deny'"),
                legal_on_time=_flag("b.decided_day <= b.legal"),
                legal_overdue=_flag("b.decided_day > b.legal"),
                promised_on_time=_flag("b.decided_day <= b.promised"),
                promised_overdue=_flag("b.decided_day > b.promised"),
                decision_days="b.days",
                decision_days_counted="b.counted",
            ),
            _values("b.m_delivered", delivered="1"),
        ]
    )
    columns = ", ".join(f"{expr} AS {name}" for name, expr in base.items())
    return f"""
        SELECT 0 AS rank, b.id AS uuid_key, NULL::bigint AS int_key, b.org, e.*
        FROM (
        SELECT a.id, a.accepting_organisation_id AS org, {columns}
        FROM {a} a
        LEFT JOIN {_table(fact_rows.ItemVersion)} v ON v.id = a.version_id
        LEFT JOIN (
            SELECT application_id, min(issued_at) AS first FROM {_table(fact_rows.CorrectionNotice)}
            GROUP BY application_id
        ) c ON c.application_id = a.id
        LEFT JOIN (
            SELECT application_id, count(*) AS total,
                   count(*) FILTER (WHERE provenance <> %(upload)s) AS once
            FROM {_table(fact_rows.ApplicationMaterial)} WHERE NOT superseded GROUP BY application_id
        ) m ON m.application_id = a.id AND a.accepted_at IS NOT NULL
        LEFT JOIN (
            SELECT subject_id,
                   (array_agg(due_on ORDER BY id DESC) FILTER (WHERE purpose = %(legal)s))[1] AS legal,
                   (array_agg(due_on ORDER BY id DESC) FILTER (WHERE purpose = %(promised)s))[1] AS promised
            FROM {_table(fact_rows.ClockState)}
            WHERE subject_type = 'application' AND purpose IN (%(legal)s, %(promised)s)
            GROUP BY subject_id
        ) d ON d.subject_id = a.id::text AND a.decided_at IS NOT NULL
        LEFT JOIN (
            SELECT application_id,
                   (array_agg(outcome ORDER BY completed_at DESC NULLS FIRST, id DESC))[1] AS outcome
            FROM {_table(fact_rows.WorkItem)} WHERE outcome = ANY(%(outcomes)s) GROUP BY application_id
        ) w ON w.application_id = a.id
        LEFT JOIN _days ds ON ds.day = {_day("a.accepted_at")}
        LEFT JOIN _days de ON de.day = {decided_day}
        WHERE a.submitted_at IS NOT NULL AND NOT a.is_mock
        OFFSET 0
        ) b
        CROSS JOIN LATERAL (VALUES {events}) e(month, {", ".join(METRIC_NAMES)})
        WHERE e.month IS NOT NULL
    """  # noqa: S608 (names from the models, values as parameters)


_MOCKS = "(SELECT number FROM {app} WHERE is_mock AND number IS NOT NULL)"


def _other_events() -> list[str]:
    mocks = _MOCKS.format(app=_table(fact_rows.Application))
    satisfied = ", ".join(f"'{level}'" for level in SATISFIED_LEVELS)
    bad = ", ".join(f"'{level}'" for level in BAD_LEVELS)
    rating_mock = f"(r.subject_kind = 'application' AND r.number IN {mocks})"
    columns = ", ".join(METRIC_NAMES)
    rating_events = _values(
        _month("r.created_at"),
        ratings="1",
        ratings_satisfied=_flag(f"r.level IN ({satisfied})"),
        ratings_bad=_flag(f"r.level IN ({bad})"),
    )
    ratings = f"""
        SELECT 1, NULL::uuid, r.id, r.organisation_id, e.*
        FROM {_table(Rating)} r
        CROSS JOIN LATERAL (VALUES {rating_events}) e(month, {columns})
        WHERE NOT (r.set_aside OR COALESCE({rating_mock}, false))
    """  # noqa: S608 (names from the models, values as parameters)
    closed = "x.status = 'closed' AND x.closed_at IS NOT NULL"
    rectification_events = ", ".join(
        [
            _values(_month("x.created_at"), rectifications_opened="1"),
            _values(
                f"CASE WHEN {closed} THEN {_month('x.closed_at')} END",
                rectifications_closed="1",
                rectifications_closed_on_time=_flag(f"{_day('x.closed_at')} <= x.due_date"),
            ),
            _values(_month("x.escalated_at"), rectifications_overdue="1"),
        ]
    )
    rectifications = f"""
        SELECT 2, NULL::uuid, x.id, x.organisation_id, e.*
        FROM {_table(Rectification)} x JOIN {_table(Rating)} r ON r.id = x.rating_id
        CROSS JOIN LATERAL (VALUES {rectification_events}) e(month, {columns})
        WHERE NOT COALESCE({rating_mock}, false) AND e.month IS NOT NULL
    """  # noqa: S608 (names from the models, values as parameters)
    complaint_events = ", ".join(
        [
            _values(_month("k.created_at"), complaints_received="1"),
            _values(
                _month("k.replied_at"),
                complaints_replied="1",
                complaints_replied_on_time=_flag(f"{_day('k.replied_at')} <= k.due_date"),
            ),
            _values(_month("k.overdue_at"), complaints_overdue="1"),
        ]
    )
    complaints = f"""
        SELECT 3, NULL::uuid, k.id, k.organisation_id, e.*
        FROM {_table(Complaint)} k LEFT JOIN {_table(fact_rows.Application)} ka ON ka.id = k.application_id
        CROSS JOIN LATERAL (VALUES {complaint_events}) e(month, {columns})
        WHERE NOT COALESCE(ka.number IN {mocks}, false) AND e.month IS NOT NULL
    """  # noqa: S608 (names from the models, values as parameters)
    # parse_month: "YYYY-MM" (surrounding white space stripped), year 2000-2999, month 1-12.
    period = "regexp_replace(rc.period, '^\\s+|\\s+$', '', 'g')"
    month = (
        f"CASE WHEN {period} ~ '^[0-9]{{4}}-[0-9]{{2}}$' "
        f"AND substr({period}, 1, 4)::int BETWEEN 2000 AND 2999 "
        f"AND substr({period}, 6, 2)::int BETWEEN 1 AND 12 "
        f"THEN make_date(substr({period}, 1, 4)::int, substr({period}, 6, 2)::int, 1) END"
    )
    check_events = _values(month, checks_done="1", checks_with_issues=_flag("s.result = %(issues)s"))
    random_check = _table(SampledCase._meta.get_field("random_check").related_model)
    checks = f"""
        SELECT 4, NULL::uuid, s.id, sa.accepting_organisation_id, e.*
        FROM {_table(SampledCase)} s
        JOIN {_table(fact_rows.Application)} sa ON sa.id = s.application_id
        JOIN {random_check} rc ON rc.id = s.random_check_id
        CROSS JOIN LATERAL (VALUES {check_events}) e(month, {columns})
        WHERE s.checked_at IS NOT NULL AND NOT sa.is_mock AND e.month IS NOT NULL
    """  # noqa: S608 (names from the models, values as parameters)
    return [ratings, rectifications, complaints, checks]


def _params() -> dict[str, object]:
    from sifa.catalogue.models.codes import CaseType
    from sifa.deadlines.models import ClockPurpose
    from sifa.inspections.models import Result

    return {
        "immediate": str(CaseType.IMMEDIATE),
        "upload": str(fact_rows.MaterialProvenance.UPLOAD),
        "legal": str(ClockPurpose.LEGAL),
        "promised": str(ClockPurpose.PROMISED),
        "outcomes": list(fact_rows.OUTCOMES),
        "issues": str(Result.ISSUES),
    }


def _hot_sum(prefix: str = "") -> str:
    from sifa.indicators.services.maintenance import HOT_FACTS

    return " + ".join(f"{prefix}{name}" for name in HOT_FACTS)


def rebuild_all(threshold: int) -> dict[str, int]:
    """Rewrite the ledger and the roll-up rows from the facts (the caller has deleted both and holds
    the lock); returns {"facts": facts read, "rows": roll-up rows written}. ``threshold``: K."""
    metrics = ", ".join(METRIC_NAMES)
    # Integers, not bigint: sum(integer) is a bigint, sum(bigint) a numeric (several times slower).
    # A fact's figures, and one organisation's in a month, are far below 2**31; only the sums over
    # a subtree are bigint (as the columns are).
    sums = ", ".join(f"sum({n})::integer AS {n}" for n in METRIC_NAMES)
    wide = ", ".join(f"sum({n}) AS {n}" for n in METRIC_NAMES)
    params = _params()
    with connection.cursor() as cursor:
        # Dropped at the end; a rebuild inside a caller's transaction (a test) may run twice.
        cursor.execute("DROP TABLE IF EXISTS _days, _facts")
        # Compiling the wide statements costs more than it saves: 0.5 s a statement at 3,000 cases,
        # 3.5 s more of the backend's CPU in all at 50,000 (docs/performance.md).
        cursor.execute("SET LOCAL jit = off")
        _calendar_days(cursor)
        union = " UNION ALL ".join([_application_events(), *_other_events()])
        cursor.execute(
            "CREATE TEMPORARY TABLE _facts ON COMMIT DROP AS "  # noqa: S608
            f"SELECT rank, uuid_key, int_key, org, month, {sums} FROM ({union}) f "
            "GROUP BY rank, uuid_key, int_key, org, month",
            params,
        )
        cursor.execute("ANALYZE _facts")
        kinds = "CASE rank " + " ".join(f"WHEN {i} THEN '{k}'" for i, k in enumerate(_KINDS)) + " END"
        # Each fact's figures as JSON text, cast once per fact: what ``metrics.encode`` gives
        # ({"<organisation>|<month>": {metric: n}} without zeros) — cheaper than building a jsonb
        # per organisation-month and stripping its zeros.
        pairs = ", ".join(f"CASE WHEN {n} <> 0 THEN '\"{n}\": ' || {n} END" for n in METRIC_NAMES)
        entry = (
            "'\"' || COALESCE(org::text, 'None') || '|' || to_char(month, 'YYYY-MM-DD') || '\": {' "
            f"|| concat_ws(', ', {pairs}) || '}}'"
        )
        nonzero = " OR ".join(f"{n} <> 0" for n in METRIC_NAMES)
        cursor.execute(
            f"INSERT INTO {_table(Contribution)} (kind, fact_id, figures) "  # noqa: S608
            f"SELECT {kinds}, COALESCE(uuid_key::text, int_key::text), ('{{' || string_agg({entry}, ', ') || '}}')::jsonb "
            f"FROM _facts WHERE {nonzero} GROUP BY rank, uuid_key, int_key ORDER BY rank, uuid_key, int_key"
        )
        organisation = _table(fact_rows.Application._meta.get_field("accepting_organisation").related_model)
        cursor.execute(
            f"""
            WITH per AS (
                SELECT org, month, {sums} FROM _facts GROUP BY org, month
            ), orgs AS (
                SELECT o.id, p.ids, p.ids[cardinality(p.ids)] AS last,
                       EXISTS (SELECT 1 FROM {organisation} c WHERE c.parent_id = p.ids[cardinality(p.ids)])
                           AS is_parent
                FROM {organisation} o
                CROSS JOIN LATERAL (
                    SELECT array_agg(part::bigint ORDER BY i) AS ids
                    FROM unnest(string_to_array(o.path, '/')) WITH ORDINALITY u(part, i) WHERE part <> ''
                ) p
                WHERE o.id IN (SELECT org FROM per) AND p.ids IS NOT NULL
            ), rolled AS (
                SELECT a.target, per.month, {", ".join(f"per.{n}" for n in METRIC_NAMES)}
                FROM per JOIN orgs ON orgs.id = per.org
                CROSS JOIN LATERAL unnest(orgs.ids) WITH ORDINALITY a(target, i)
                WHERE a.i < cardinality(orgs.ids) OR orgs.is_parent
            ), leaves AS (
                SELECT orgs.last AS target, per.month, {", ".join(f"sum(per.{n}) AS {n}" for n in METRIC_NAMES)}
                FROM per JOIN orgs ON orgs.id = per.org WHERE NOT orgs.is_parent
                GROUP BY orgs.last, per.month
            )
            INSERT INTO {_table(MonthlyFigures)} (organisation_id, month, updated_at, revision, {metrics})
            SELECT target, month, %(now)s, 0, {metrics} FROM (
                SELECT target, month, {wide} FROM rolled GROUP BY target, month
                UNION ALL
                SELECT target, month, {metrics} FROM leaves WHERE {_hot_sum()} > %(threshold)s
            ) r ORDER BY target, month
            """,  # noqa: S608
            {"now": timezone.now(), "threshold": threshold},
        )
        rows = cursor.rowcount
        application = _table(fact_rows.Application)
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {application} WHERE submitted_at IS NOT NULL AND NOT is_mock) "  # noqa: S608
            f"+ (SELECT count(*) FROM {_table(Rating)}) + (SELECT count(*) FROM {_table(Rectification)}) "
            f"+ (SELECT count(*) FROM {_table(Complaint)}) + (SELECT count(*) FROM {_table(SampledCase)})"
        )
        facts = int(cursor.fetchone()[0])
        cursor.execute("DROP TABLE _days, _facts")
    return {"facts": facts, "rows": rows}
