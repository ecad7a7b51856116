"""The ``…_like`` indexes that ``sifa.core.pattern_indexes`` drops stay dropped, and each column
keeps its own index (its equality and range lookups, a PathField's prefix ``LIKE``)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

from sifa.core.pattern_indexes import WITHOUT


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's indexes")
def test_the_written_tables_have_no_pattern_index_on_the_listed_columns():
    for (app_label, model_name), names in WITHOUT.items():
        model = apps.get_model(app_label, model_name)
        found = _indexes(model._meta.db_table)
        for name in names:
            column = model._meta.get_field(name).column
            on_column = [
                d for d in found.values() if d.endswith(f'("{column}")') or d.endswith(f"({column})")
            ]
            patterns = [d for d in found.values() if f"{column} varchar_pattern_ops" in d]
            assert not patterns, (model_name, name, patterns)
            assert len(on_column) == 1, (model_name, name, on_column)  # its own index, kept


def test_every_listed_column_is_indexed_by_its_field():
    for (app_label, model_name), names in WITHOUT.items():
        model = apps.get_model(app_label, model_name)
        for name in names:
            field = model._meta.get_field(name)
            assert field.db_index or field.unique, (model_name, name)
