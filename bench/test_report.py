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


def test_the_schedule_is_constant_rate_and_never_empty() -> None:
    import pytest

    from bench.loadgen import schedule

    assert schedule(10, 1) == [i / 10 for i in range(10)]
    assert schedule(4, 0.1) == [0.0]  # at least one request
    with pytest.raises(ValueError):
        schedule(0, 1)


def test_nearest_rank_percentiles() -> None:
    import math

    from bench.loadgen import nearest_rank

    values = [float(v) for v in range(1, 11)]  # 1 … 10
    assert nearest_rank(values, 50) == 5.0 and nearest_rank(values, 95) == 10.0
    assert nearest_rank(values, 99) == 10.0 and nearest_rank(values, 0) == 1.0
    assert nearest_rank([], 95) == math.inf


def test_open_loop_counts_the_wait_behind_a_slow_answer() -> None:
    """One sender, answers slower than the arrivals: each request's latency includes the time it
    waited for its turn (measured from its due time, not from when it could be sent)."""
    import time

    from bench.loadgen import open_loop

    def slow(i: int) -> str:
        time.sleep(0.03)
        return str(i)

    run = open_loop(100, 0.1, slow, workers=1)  # 10 requests due 10 ms apart, 30 ms each
    assert len(run.seconds) == 10 and run.errors == 0 and run.rate == 100
    # the last one is due at 90 ms and answered at ≈ 300 ms: ≈ 210 ms, not 30 ms
    assert max(run.seconds) > 0.18
    assert run.percentile(50) > 60


def test_open_loop_keeps_failures_out_of_the_latencies() -> None:
    from bench.loadgen import open_loop

    def half(i: int) -> str:
        if i % 2:
            raise OSError("refused")
        return "/ok"

    run = open_loop(200, 0.1, half)
    assert run.errors == 10 and len(run.seconds) == 10 and run.paths == ["/ok"] * 10
    assert run.last_error == "refused"


def test_latency_columns_show_the_percentiles_and_the_target(tmp_path: Path) -> None:
    from dataclasses import replace

    doc = tmp_path / "performance.md"
    fast = replace(ROW, p50_ms=4.0, p95_ms=12.5, p99_ms=30.0, latency_rate=120.0, latency_count=1200)
    slow = replace(ROW, key="W4", p50_ms=80.0, p95_ms=140.0, p99_ms=200.0, latency_rate=6.0, latency_count=60)
    untargeted = replace(ROW, key="W0", p50_ms=1.0, p95_ms=2.0, p99_ms=3.0, latency_rate=900.0)
    unmeasured = replace(ROW, key="W3")
    write_report(doc, [fast, slow, untargeted, unmeasured], "wrk", 5, 3, {})
    text = doc.read_text(encoding="utf-8")
    assert "p50 / p95 / p99 ms, open loop at ½ saturation | p95 target ms" in text
    assert "| 4.0 / 12.5 / 30.0 at 120/s (n=1200) | ≤ 50 ✓ |" in text
    assert "| 80.0 / 140.0 / 200.0 at 6.0/s (n=60) | ≤ 100 **✗** |" in text
    assert "at 900/s (n=0) | – |" in text
    assert "| – | – | ok" in text  # W3: no open-loop run, no target
    assert "✓ (≤ 50 ms)" in fast.latency_summary() and "✗ (≤ 100 ms)" in slow.latency_summary()


def test_growth_is_the_ratio_at_n_over_the_demo_ratio_flagged_beyond_ten_percent(tmp_path: Path) -> None:
    from dataclasses import replace

    from bench.report import growth_rows, write_growth

    demo = [ROW, replace(ROW, key="W4", ratio_median=0.2), replace(ROW, key="W6b", skipped="no openssl")]
    scaled = [replace(ROW, ratio_median=0.54), replace(ROW, key="W4", ratio_median=0.17), demo[2]]
    growths = growth_rows(demo, scaled)
    assert [g.key for g in growths] == ["W5", "W4", "W6b"]
    assert round(growths[0].growth, 2) == 1.08 and not growths[0].flagged
    assert round(growths[1].growth, 2) == 0.85 and growths[1].flagged
    assert growths[2].growth is None and not growths[2].flagged
    doc = tmp_path / "performance.md"
    write_report(doc, [ROW], "wrk", 5, 3, {})
    for _ in range(2):
        write_growth(doc, growths, 20000, 1, "generated by this run in 1.0 min", {})
    text = doc.read_text(encoding="utf-8")
    start, end = markers("sqlite", "scale")
    assert text.count(start) == 1 and text.count(end) == 1 and "**0.500**" in text
    assert "| **1.08** |" in text and "⚠ outside ±10%" in text and "skipped: no openssl" in text
    assert "20,000 generated cases: SQLite" in text


def test_a_latency_run_aims_at_a_hundred_answers_within_three_times_its_length() -> None:
    from bench.run import latency_rate, latency_seconds

    assert latency_seconds(100, 10) == 10  # 1000 answers already
    assert latency_seconds(5, 10) == 20  # 100 answers
    assert latency_seconds(1, 10) == 30  # capped
    assert latency_rate(300) == 150 and latency_rate(5000) == 400
