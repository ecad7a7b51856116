"""Open data downloads, the data dictionary, and export → empty database → import → export."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sifa.catalogue import opendata
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion
from sifa.catalogue.opendata_columns import CSV_FILES
from sifa.catalogue.services import import_catalogue
from sifa.core.errors import ServiceError


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_open_data_json_is_the_whole_published_catalogue(cat, client):
    data = json.loads(_body(client.get("/open-data/catalogue.json")))
    assert data["format"] == "sifa.catalogue" and data["scope"] == "published"
    assert len(data["items"]) == 22  # 21 to apply for, and 通知辩护指派律师 (notice-only)
    lawyer = next(i for i in data["items"] if i["basic_code"] == "000100001001")
    assert [v["status"] for v in lawyer["versions"]] == ["published"]
    assert len(lawyer["versions"][0]["materials"]) == 5  # 律师法 §6 four, and the optional §7 (二) check
    assert len(data["implementations"]) == ImplementationEntry.objects.count()


def test_open_data_csv_files_match_the_data_dictionary(cat, client):
    response = client.get("/open-data/catalogue.csv")
    assert response["Content-Type"] == "application/zip"
    content = _body(response)
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert sorted(archive.namelist()) == sorted(CSV_FILES)
    for name, spec in CSV_FILES.items():
        rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
        assert rows[0] == [c.name for c in spec.columns]
        # No judicial-administration item in the shipped content charges a fee, so fees.csv is empty.
        assert len(rows) > 1 or name == "fees.csv", name
    items = list(csv.DictReader(io.StringIO(archive.read("items.csv").decode("utf-8-sig"))))
    lawyer = next(row for row in items if row["basic_code"] == "000100001001")
    assert lawyer["parent"] == "000100001000" and json.loads(lawyer["exercise_levels"]) == ["2", "3", "4"]
    # The cached file is reused until the catalogue changes.
    assert _body(client.get("/open-data/catalogue.csv")) == content


def test_data_dictionary_page_describes_every_column(cat, client):
    html = client.get("/open-data/").content.decode()
    for spec in CSV_FILES.values():
        for column in spec.columns:
            assert f"<code>{column.name}</code>" in html
    assert "实施编码 TASK_CODE" in html and "style=" not in html


def _strip(data: object) -> object:
    if isinstance(data, dict):
        return {k: _strip(v) for k, v in data.items() if k not in opendata.VOLATILE_KEYS}
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data


def _empty_catalogue() -> None:
    ImplementationEntry.objects.all().delete()
    ItemVersion.objects.all().delete()  # children cascade; QuerySet.delete skips the edit guard
    for level in (3, 2, 1):
        CatalogueItem.objects.filter(level=level).delete()


def test_export_then_import_into_an_empty_catalogue_reproduces_it(cat, tmp_path):
    first = tmp_path / "first.json"
    call_command("export-catalogue", str(first))
    _empty_catalogue()
    assert not CatalogueItem.objects.exists()
    call_command("import-catalogue", str(first))
    second = tmp_path / "second.json"
    call_command("export-catalogue", str(second))
    before, after = json.loads(first.read_text()), json.loads(second.read_text())
    assert before["scope"] == "all" and len(before["implementations"]) > 10
    assert _strip(before) == _strip(after)
    # The restored catalogue is searchable again.
    from sifa.catalogue import search

    assert search.matching_ids("公证")


def test_import_refuses_a_non_empty_catalogue_and_bad_files(cat, tmp_path):
    data = opendata.export_catalogue(published_only=False)
    with pytest.raises(ServiceError) as refused:
        import_catalogue(data)
    assert refused.value.code == "catalogue.import.not_empty"
    _empty_catalogue()
    for bad in ({}, {"format": "x"}, {**data, "format_version": 9}, {**data, "items": [{"name": "缺编码"}]}):
        with pytest.raises(ServiceError) as invalid:
            import_catalogue(bad)
        assert invalid.value.code == "catalogue.import.invalid"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="JSON"):
        call_command("import-catalogue", str(broken))
    with pytest.raises(CommandError, match="无法读取"):
        call_command("import-catalogue", str(tmp_path / "missing.json"))


def test_open_data_csv_cells_never_start_a_formula():
    """OWASP CSV injection: text a spreadsheet would evaluate gets a leading apostrophe; numbers
    written as numbers stay numbers (a catalogue editor's ``=HYPERLINK(…)`` is shown, not run)."""
    assert opendata._cell('=HYPERLINK("http://x","点击")') == '\'=HYPERLINK("http://x","点击")'
    for text in ("+86 12348", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert opendata._cell(text) == "'" + text
    assert opendata._cell(-5) == "-5" and opendata._cell(20) == "20" and opendata._cell(True) == "1"
    assert opendata._cell("律师执业许可") == "律师执业许可" and opendata._cell(None) == ""
    assert opendata._cell(["=1"]) == '["=1"]'  # JSON text starts with a bracket: safe as it is
