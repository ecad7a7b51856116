"""The harness's order of passes (issue 16): the demo-data pass never runs over generated cases.
Fast, no server: `.venv/bin/pytest bench/test_run.py`."""

from __future__ import annotations

import pytest

from bench import run
from bench.report import Row

MARKED = {"cases": 1000, "seed": 1, "seconds": 60.0, "made_at": "2026-12-05T10:00:00+00:00"}


def test_cases_of_this_size_and_seed_are_reused_and_measured_first() -> None:
    order = run.plan({**MARKED, "present": 1000}, 1000, 1)
    assert order.reuse and order.n_first and not order.purge_first


@pytest.mark.parametrize(
    "found",
    [
        {**MARKED, "present": 999},  # the count disagrees with the marker
        {**MARKED, "cases": 2000, "present": 2000},  # another size
        {**MARKED, "seed": 2, "present": 1000},  # another seed
        {"present": 1000},  # no marker (a generation that did not finish)
    ],
)
def test_other_generated_cases_are_purged_before_the_demo_data_pass(found: dict) -> None:
    order = run.plan(found, 1000, 1)
    assert order.purge_first and not order.n_first


def test_an_empty_database_is_measured_on_demo_data_then_generated() -> None:
    order = run.plan({"present": 0}, 1000, 1)
    assert not order.purge_first and not order.n_first


def test_without_cases_nothing_is_purged_or_reused() -> None:
    assert run.plan({**MARKED, "present": 1000}, 0, 1) == run.Plan()


@pytest.fixture
def harness(monkeypatch: pytest.MonkeyPatch):
    """``run.main`` with the server, the database and the report replaced by a log of what it did."""
    log: list[str] = []
    present = {"n": 0}
    marker: dict = {}

    def bench_data(*args: str) -> dict:
        log.append("bench_data " + " ".join(args))
        if args == ("--marker",):
            return {**marker, "present": present["n"]}
        if args == ("--generated",):
            return {}
        return {}

    def run_pass(selected, data, data_error, args, gen, runner):
        log.append(f"pass {'N' if present['n'] else 'demo'}: " + ",".join(w.key for w in selected))
        return [Row(w.key, w.title, "hello", ratio_median=1.0) for w in selected]

    def purge_cases(found: dict, why: str) -> float:
        log.append("purge")
        present["n"] = 0
        marker.clear()
        return 1.0

    def ensure_cases(cases: int, seed: int) -> str:
        log.append("generate")
        present["n"] = cases
        return "generated"

    monkeypatch.setattr(run, "seed", lambda data=True: ({"tokens": {}}, ""))
    monkeypatch.setattr(run, "bench_data", bench_data)
    monkeypatch.setattr(run, "run_pass", run_pass)
    monkeypatch.setattr(run, "purge_cases", purge_cases)
    monkeypatch.setattr(run, "ensure_cases", ensure_cases)
    monkeypatch.setattr(run, "write_report", lambda *a, **k: log.append("write report"))
    monkeypatch.setattr(run, "write_growth", lambda *a, **k: log.append("write growth"))

    def main(*argv: str, cases: int = 0, reused: bool = False) -> list[str]:
        if reused:
            present["n"] = cases
            marker.update(MARKED, cases=cases)
        run.main(["--only", "W0,W7", "--no-latency", "--cases", str(cases), *argv])
        return log

    return main


def test_reused_cases_are_measured_before_the_demo_data_pass_which_runs_without_them(harness) -> None:
    log = harness(cases=1000, reused=True)
    passes = [line for line in log if line.startswith(("pass", "purge", "generate"))]
    assert passes == ["pass N: W0", "purge", "pass demo: W0,W7"]
    assert log.index("write report") < log.index("write growth")


def test_fresh_cases_are_generated_after_the_demo_data_pass(harness) -> None:
    log = harness(cases=1000)
    passes = [line for line in log if line.startswith(("pass", "purge", "generate"))]
    assert passes == ["pass demo: W0,W7", "generate", "pass N: W0"]


def test_without_cases_one_pass_and_no_look_at_the_cases(harness) -> None:
    log = harness("--no-write")
    assert log == ["pass demo: W0,W7"]
