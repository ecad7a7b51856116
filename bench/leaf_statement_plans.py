"""Shared buffers of the leaves' applications statement, the earlier ORM one (every aggregate with
its own copy of the subqueries it tests) against the derived table (each case's subqueries once), for
the leaves of the county with the most cases, in its busiest month (PostgreSQL, ``EXPLAIN (ANALYZE,
BUFFERS)``). Run in the bench database after ``sifa generate-cases``::

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=… python -m bench.leaf_statement_plans [N months]
"""

from __future__ import annotations

import json
import os
import statistics
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sifa.conf.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from sifa.applications.models import Application
    from sifa.indicators import leaves
    from sifa.indicators.tests.test_leaf_statement import _inline_applications_query
    from sifa.organisations.models import Organisation

    parents = set(Organisation.objects.exclude(parent=None).values_list("parent_id", flat=True))
    busiest = (
        Application.objects.filter(is_mock=False)
        .exclude(accepting_organisation_id__in=parents)
        .values("accepting_organisation__parent_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    county = Organisation.objects.get(pk=busiest["accepting_organisation__parent_id"])
    ids = sorted(set(Organisation.objects.filter(parent=county).values_list("pk", flat=True)) - parents)
    from collections import Counter

    from django.utils import timezone

    per_month = Counter(
        timezone.localtime(t).date().replace(day=1)
        for t in Application.objects.filter(accepting_organisation_id__in=ids, is_mock=False).values_list(
            "submitted_at", flat=True
        )
    )
    months = [per_month.most_common(1)[0][0]]
    if len(sys.argv) > 1:  # the trend: the N months up to the busiest
        months = sorted(per_month)[-int(sys.argv[1]) :]
    out = {"county": county.name, "leaves": len(ids), "month": str(months[0])}

    def buffers(plan: dict) -> int:
        return plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)

    for name, query in (("inline", _inline_applications_query), ("derived", leaves._applications_query)):
        leaves._STATEMENTS.clear()
        leaves._READERS = ((query, leaves._applications), *leaves._READERS[1:])
        sql, template = leaves._statement(query, len(ids), len(months))
        values = leaves._placeholders(ids, months)
        values[("ids", None)] = ids  # PostgreSQL: the organisations as one array
        params = [values[v] if kind == "role" else v for kind, v in template]
        runs = []
        with connection.cursor() as cursor:
            for _ in range(5):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
                plan = cursor.fetchone()[0]
                plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
                runs.append(plan)
            cursor.execute(sql, params)
            rows = sorted(map(repr, cursor.fetchall()))
        out[name] = {
            "buffers": [buffers(r["Plan"]) for r in runs],
            "subplans": sum(1 for _ in _walk(runs[-1]["Plan"]) if _.get("Subplan Name")),
            "execution_ms": statistics.median(r["Execution Time"] for r in runs),
            "planning_ms": statistics.median(r["Planning Time"] for r in runs),
            "rows": len(rows),
            "digest": hash(tuple(rows)),
        }
    out["same_rows"] = out["inline"]["digest"] == out["derived"]["digest"]
    print(json.dumps(out, ensure_ascii=False, indent=1))


def _walk(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _walk(child)


if __name__ == "__main__":
    main()
