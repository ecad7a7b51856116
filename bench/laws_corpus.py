"""Bench-only control of the law library in the bench database, for W7 (``bench.law_workloads``).

``python -m bench.laws_corpus clear`` empties the library (statutes, headings, articles and, on
SQLite, the FTS5 index) so the next ``sifa import-laws`` builds it from nothing and its time is the
index build time; ``python -m bench.laws_corpus count`` prints ``{"statutes": n, "articles": m}``.
Run with the bench's seeding environment (bench settings, bench database); never by production.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.db import connection, transaction

    from sifa.laws.models import Article, Statute
    from sifa.laws.search import FTS_TABLE

    if argv[:1] == ["clear"]:
        with transaction.atomic():
            Statute.objects.all().delete()  # headings and articles go with their statute
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
    elif argv[:1] != ["count"]:
        sys.stderr.write("usage: python -m bench.laws_corpus clear|count\n")
        return 2
    sys.stdout.write(json.dumps({"statutes": Statute.objects.count(), "articles": Article.objects.count()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
