"""The report keeps one results block per database: `.venv/bin/pytest bench/test_report.py`."""

from __future__ import annotations

from pathlib import Path

from bench.loadgen import Sample
from bench.report import LEGACY_END, LEGACY_START, Row, markers, write_report
from bench.sides import MinSide, Side

ROW = Row("W5", "progress", "db1", ratio_median=0.5, ratio_min=0.4, ratio_max=0.6, notes=("peak 90 MB",))
PG = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none"}


def test_each_database_keeps_its_own_block(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\nmethod text\n\n{LEGACY_START}\nold\n{LEGACY_END}\n", encoding="utf-8")
    write_report(doc, [ROW], "wrk", 5, 3, {})
    write_report(doc, [ROW], "wrk", 5, 3, PG)
    write_report(doc, [ROW], "wrk", 5, 3, {})
    text = doc.read_text(encoding="utf-8")
    assert "method text" in text and LEGACY_START not in text and "\nold\n" not in text
    for kind in ("sqlite", "postgresql"):
        start, end = markers(kind)
        assert text.count(start) == 1 and text.count(end) == 1
    assert "peak 90 MB" in text and "**0.500**" in text


class _Fixed(Side):
    def __init__(self, title: str, rate: float) -> None:
        super().__init__(title)
        self.rate = rate

    def measure(self, seconds: float) -> Sample:
        return Sample(self.rate, 0)


def test_min_side_takes_the_smaller_part_and_names_both() -> None:
    side = MinSide("floor", parts=[_Fixed("fsync", 200.0), _Fixed("pgbench", 150.0)])
    assert side.measure(1).requests_per_second == 150.0
    assert "fsync 200/s" in side.notes()[0] and "pgbench 150/s" in side.notes()[0]
