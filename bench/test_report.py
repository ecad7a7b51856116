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


def test_a_block_of_its_own_leaves_the_main_table_alone(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    write_report(doc, [ROW], "wrk", 5, 3, {})
    w7 = Row("W7b", "p95 at 100 %", "p95 at 10 %", ratio_median=2.0, rps_numerator=40.0,
             rps_denominator=20.0, block="W7", unit="ms")  # fmt: skip
    write_report(doc, [w7], "wrk", 5, 3, {})
    write_report(doc, [w7], "wrk", 5, 3, {})
    text = doc.read_text(encoding="utf-8")
    assert "**0.500**" in text and "peak 90 MB" in text  # the main block is still there
    start, end = markers("sqlite", "W7")
    assert text.count(start) == 1 and text.count(end) == 1
    assert "40.0 ms / 20.0 ms" in text and "W7, article search over the law library: SQLite" in text


def test_a_query_set_is_taken_in_turn_and_percentiles_are_nearest_rank() -> None:
    from bench.loadgen import Latencies, Request

    request = Request("GET", "/a", {}, paths=("/a", "/b", "/c"))
    assert [request.path_at(n) for n in range(4)] == ["/a", "/b", "/c", "/a"]
    assert Request("GET", "/x", {}).path_at(7) == "/x"
    run = Latencies([i / 1000 for i in range(1, 101)], ["/a"] * 100, errors=0, late=0)
    assert run.percentile(95) == 95.0 and run.percentile(50) == 50.0
