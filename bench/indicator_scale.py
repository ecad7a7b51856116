"""W8 measurements inside the bench database (run as ``python -m bench.indicator_scale``, Django set up
by the seed environment); prints one JSON object for ``bench.indicator_workloads``.

* optionally fills the database first: ``--cases N`` purges the cases an earlier size generated
  (``sifa generate-cases --purge``), runs ``sifa generate-cases --cases N`` (the deterministic
  generator, when installed) and then ``sifa rebuild-indicators`` (timed);
* R8b — t(dashboard) ÷ t(raw GROUP BY over facts), same run: the dashboard is what the API answers
  (``selectors.drill_down``: the figures and the children of one month) for the ministry, the province and
  the county with the most cases; the raw side computes received / accepted / decided of the same
  month per child straight from ``applications_application`` (subtree range join, indexed);
* R8c — roll-up rows ÷ fact rows per organisation level (1 部 … 5 乡); leaves (司法所, centres)
  keep a row only for their hot months (more than ``SIFA_INDICATORS_HOT_LEAF_FACTS`` facts, ADR
  0010), so level 5 counts those; the township dashboard (the busiest 司法所 by its facts) reads
  its month from its row when hot, from its facts otherwise (``hot`` says which);
* t(dashboard) alone, for R8a (the caller compares two sizes; ``--dashboards-only`` skips the
  raw side, 55 s a run at the ministry with 10 M cases, for ``bench.w8_pair``).

The dashboard answers from its answer cache (ADR 0013) once asked: ``dashboard_ms`` (R8b) is that
**hit** — the validator's statement and the store's look-up — and ``miss_ms`` (``r8b_miss``) the
**miss** beside it: every kept answer killed first (untimed), then the validator, the look-up, the
computation as before the cache and the store's save. With ``SIFA_INDICATORS_CACHE_SECONDS=0`` both
are the computation.

Pending deltas are folded first (``fold_all``, as the every-minute scheduler would), so the
harness's own seeded cases are measured without a hand step when no size is given.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
    import django

    django.setup()


def _timed_after(before, fn, repeat: int) -> float:
    """The median of ``fn`` with ``before`` run (untimed) ahead of each sample."""
    samples = []
    for _ in range(repeat):
        before()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _timed(fn, repeat: int) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


RAW = """
SELECT o.id,
       count(*) FILTER (WHERE a.submitted_at >= %s AND a.submitted_at < %s),
       count(*) FILTER (WHERE a.accepted_at >= %s AND a.accepted_at < %s),
       count(*) FILTER (WHERE a.decided_at >= %s AND a.decided_at < %s)
FROM organisations_organisation o
JOIN applications_application a ON a.scope_path >= o.path AND a.scope_path < o.path || '~'
WHERE (o.parent_id = %s OR o.id = %s) AND a.is_mock = false
  AND ((a.submitted_at >= %s AND a.submitted_at < %s) OR (a.accepted_at >= %s AND a.accepted_at < %s)
       OR (a.decided_at >= %s AND a.decided_at < %s))
GROUP BY o.id
"""


def measure(
    repeat: int, *, raw_side: bool = True, month_at: str = "", paths: dict[int, str] | None = None
) -> dict:
    import datetime as dt

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from sifa.applications.models import Application
    from sifa.indicators import selectors
    from sifa.indicators.metrics import SHANGHAI, add_months
    from sifa.indicators.models import MonthlyFigures
    from sifa.indicators.services import fold_all
    from sifa.organisations.models import Organisation
    from sifa.organisations.scope import Actor

    fold_all()  # what the scheduler does every minute: the seeded cases' deltas become rows
    facts = Application.objects.filter(submitted_at__isnull=False, is_mock=False).count()
    busiest = (
        MonthlyFigures.objects.filter(received__gt=0)
        .values("month")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if not facts or busiest is None:
        return {"error": "no submitted cases with roll-ups in the bench database"}
    month = dt.date.fromisoformat(month_at) if month_at else busiest["month"]
    start = dt.datetime.combine(month, dt.time(), tzinfo=SHANGHAI)
    end = dt.datetime.combine(add_months(month, 1), dt.time(), tzinfo=SHANGHAI)
    actor = Actor(user_id=0, is_superuser=True)

    def top(level: int) -> Organisation | None:
        if paths and level in paths:  # the organisation measured at the other size (bench.w8_pair)
            return Organisation.objects.filter(path=paths[level]).first()
        if level == 5:  # 司法所 are leaves: no roll-up rows, the busiest by its facts
            row = (
                Application.objects.filter(
                    is_mock=False,
                    submitted_at__gte=start,
                    submitted_at__lt=end,
                    accepting_organisation__level=level,
                )
                .values("accepting_organisation_id")
                .annotate(n=Count("id"))
                .order_by("-n")
                .values_list("accepting_organisation_id", flat=True)
                .first()
            )
        else:
            row = (
                MonthlyFigures.objects.filter(month=month, organisation__level=level)
                .order_by("-received")
                .values_list("organisation_id", flat=True)
                .first()
            )
        return Organisation.objects.get(pk=row) if row else None

    from sifa.core import pagecache

    out: dict = {
        "facts": facts,
        "month": month.isoformat(),
        "levels": {},
        "cache_seconds": int(getattr(settings, "INDICATORS_CACHE_SECONDS", 0) or 0),
        "cache_store": pagecache.store().name,
    }
    for level, name in ((1, "ministry"), (2, "province"), (4, "county"), (5, "township")):
        organisation = top(level)
        if organisation is None:
            continue

        def dashboard(organisation=organisation) -> None:
            selectors.drill_down(actor, organisation, month)  # figures + children, as the API reads them

        def raw(organisation=organisation) -> None:
            with connection.cursor() as cursor:
                cursor.execute(RAW, [start, end] * 3 + [organisation.pk, organisation.pk] + [start, end] * 3)
                cursor.fetchall()

        def forget() -> None:  # every kept dashboard answer dies (what a change of the tree does)
            pagecache.bump(selectors.CACHE_NAMESPACE)

        dashboard()  # the process's caches (catalogue versions, working calendar) filled once
        forget()
        with CaptureQueriesContext(connection) as missed:
            dashboard()  # a miss: the validator, the look-up, the computation, the store's save
        with CaptureQueriesContext(connection) as queries:
            dashboard()  # a hit (with the cache on): the validator and the look-up
        t_dash = _timed(dashboard, repeat)
        t_miss = _timed_after(forget, dashboard, repeat)
        t_raw = _timed(raw, max(3, repeat // 4)) if raw_side else 0.0
        out["levels"][name] = {
            "organisation": organisation.name,
            "path": organisation.path,
            "dashboard_ms": t_dash * 1000,
            "miss_ms": t_miss * 1000,
            "raw_ms": t_raw * 1000 if raw_side else None,
            "r8b": t_dash / t_raw if t_raw else None,
            "r8b_miss": t_miss / t_raw if t_raw else None,
            "queries": len(queries.captured_queries),
            "miss_queries": len(missed.captured_queries),
            "children": Organisation.objects.filter(parent=organisation, is_active=True).count(),
            "hot": level == 5
            and MonthlyFigures.objects.filter(organisation=organisation, month=month).exists(),
        }
    rows = dict(
        MonthlyFigures.objects.values_list("organisation__level")
        .annotate(n=Count("id"))
        .values_list("organisation__level", "n")
    )
    out["r8c"] = {str(level): rows.get(level, 0) / facts for level in range(1, 6)}
    out["rows"] = {str(level): rows.get(level, 0) for level in range(1, 6)}
    out["hot_leaf_rows"] = MonthlyFigures.objects.exclude(
        organisation_id__in=Organisation.objects.filter(parent__isnull=False).values("parent_id")
    ).count()
    out["hot_leaf_facts"] = getattr(settings, "INDICATORS_HOT_LEAF_FACTS", None)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=0, help="generate this many cases first")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--dashboards-only",
        action="store_true",
        help="time the dashboards only, not the raw GROUP BY (R8a pairs: bench.w8_pair)",
    )
    parser.add_argument("--month", default="", help="the month measured (YYYY-MM-01), not the busiest")
    parser.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="LEVEL=PATH",
        help="the organisation measured at a level (1, 2, 4, 5), by its path, not the busiest",
    )
    args = parser.parse_args()
    _setup()
    result: dict = {}
    if args.cases:
        from django.core.management import get_commands

        if "generate-cases" not in get_commands() and "generate_cases" not in get_commands():
            print(json.dumps({"error": "sifa generate-cases is not installed"}))
            return 0
        from sifa.demo.services.generator import generated_cases

        if generated_cases().exists():  # an earlier (smaller) size of the same run: start afresh
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "sifa", "generate-cases", "--purge"], check=True, capture_output=True
            )
            result["purge_s"] = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "sifa", "generate-cases", "--cases", str(args.cases), "--no-progress"],
            check=True,
            capture_output=True,
        )
        result["generate_s"] = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sifa", "rebuild-indicators"], check=True, capture_output=True)
        result["rebuild_s"] = time.perf_counter() - started
    paths = {int(level): path for level, path in (item.split("=", 1) for item in args.at)}
    result.update(measure(args.repeat, raw_side=not args.dashboards_only, month_at=args.month, paths=paths))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
