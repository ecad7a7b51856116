"""`sifa generate-cases` with PostgreSQL's bulk-load path (indexes dropped and built again, the
row-by-row foreign-key checks off) gives the same cases as without it; elsewhere it is a no-op."""

from __future__ import annotations

from django.db import connection

from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.demo.services import generator
from sifa.demo.tests.test_generator import ARGS, digest, run, world  # noqa: F401  (fixture)


def _indexes() -> list[tuple[str, str]]:
    if connection.vendor != "postgresql":
        return []
    tables = [m._meta.db_table for m in generator.TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1", [tables]
        )
        return cursor.fetchall()


def test_the_bulk_load_gives_the_same_cases_and_indexes(world, monkeypatch):  # noqa: F811
    before = _indexes()
    run(*ARGS)
    plain = digest()
    run("--purge")
    monkeypatch.setattr(generator, "INDEX_REBUILD_MIN", 1)
    run(*ARGS)
    assert digest() == plain
    assert _indexes() == before
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the checks are on again after the load
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone()[0] == "origin"
