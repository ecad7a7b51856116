"""The importer on a temporary folder: counts, re-runs, changed files, skip reasons, the audit event."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from sifa.audit.models import AuditEvent
from sifa.laws.models import Article, Effectiveness, Statute
from sifa.laws.services import import_directory
from sifa.laws.tests.test_parser import TEXT

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "行政法").mkdir()
    (tmp_path / "行政法" / "示例法(2017-09-01).md").write_text(TEXT)
    (tmp_path / "行政法" / "示例法(2010-01-01).md").write_text(TEXT)
    (tmp_path / "行政法规").mkdir()
    (tmp_path / "行政法规" / "示例法(2017-09-01).md").write_text(TEXT)  # the same file in two folders
    (tmp_path / "刑法").mkdir()
    (tmp_path / "刑法" / "修正案.md").write_text("# 修正案\n\n<!-- INFO END -->\n\n一、修改。\n")
    (tmp_path / "刑法" / "_index.md").write_text("---\n")
    (tmp_path / "刑法" / "乱码(2000-01-01).md").write_bytes("# 标题".encode("gbk"))
    return tmp_path


def fts_rows() -> int:
    if connection.vendor != "sqlite":
        return Article.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM laws_article_fts")
        return cursor.fetchone()[0]


def test_import_rerun_and_change(folder: Path) -> None:
    first = import_directory(folder)
    assert sorted(first.created) == ["行政法/示例法(2010-01-01).md", "行政法/示例法(2017-09-01).md"]
    assert first.articles == 8 == Article.objects.count() == fts_rows()
    reasons = dict(first.skipped)
    assert "内容相同" in reasons["行政法规/示例法(2017-09-01).md"]
    assert "第X条" in reasons["刑法/修正案.md"]
    assert "目录索引" in reasons["刑法/_index.md"]
    assert "UTF-8" in reasons["刑法/乱码(2000-01-01).md"]
    old = Statute.objects.get(slug="示例法-2010-01-01")
    assert old.effectiveness == Effectiveness.AMENDED  # a later version is in the library
    assert Statute.objects.get(slug="示例法-2017-09-01").effectiveness == ""
    event = AuditEvent.objects.filter(action="laws.import").latest("seq")
    assert event.object_type == "laws.Statute" and event.detail["created"] == 2

    again = import_directory(folder)
    assert again.statutes == 0 and len(again.unchanged) == 2 and again.articles == 0
    assert Article.objects.count() == 8 == fts_rows()

    statute = Statute.objects.get(slug="示例法-2017-09-01")
    (folder / "行政法" / "示例法(2017-09-01).md").write_text(TEXT + "\n第一百二十四条 新增。\n")
    changed = import_directory(folder)
    assert changed.updated == ["行政法/示例法(2017-09-01).md"]
    assert Statute.objects.get(pk=statute.pk).article_count == 5  # same row, same address
    # The copy in 行政法规 is no longer the same text: it is imported under an address of its own.
    assert changed.created == ["行政法规/示例法(2017-09-01).md"]
    assert Statute.objects.filter(slug="行政法规-示例法-2017-09-01").exists()
    assert Article.objects.count() == 4 + 5 + 4 == fts_rows()


def test_the_command_prints_counts_and_reasons(folder: Path, capsys) -> None:
    call_command("import-laws", str(folder))
    out, err = capsys.readouterr()
    assert "新增 2 部" in out and "导入条文 8 条" in out
    assert "跳过 刑法/修正案.md" in err


def test_the_command_refuses_a_missing_folder(tmp_path: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不存在"):
        call_command("import-laws", str(tmp_path / "nope"))


def test_the_sample_loads_and_reloads() -> None:
    call_command("load-laws", verbosity=0)
    slugs = set(Statute.objects.values_list("slug", flat=True))
    assert {
        "律师法-2017-09-01",
        "公证法-2017-09-01",
        "外国律师事务所驻华代表机构管理条例-2001-12-22",
    } <= slugs
    count = Article.objects.count()
    call_command("load-laws", verbosity=0)
    assert Article.objects.count() == count


def test_an_article_with_zhi_yi_has_its_own_address(folder: Path, client) -> None:
    import_directory(folder)
    page = client.get("/laws/示例法-2017-09-01/123-1/")
    assert page.status_code == 200 and "第一百二十三条之一" in page.content.decode()
    assert client.get("/laws/示例法-2017-09-01/123-2/").status_code == 404
    statute = client.get("/laws/示例法-2017-09-01/").content.decode()
    assert 'id="a123-1"' in statute and "第一节 细则" in statute
