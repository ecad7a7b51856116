"""`sifa generate-cases`: deterministic bench cases over the real tree and catalogue, removable.

Run on SQLite and PostgreSQL (the writer uses COPY there, executemany here)."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command

from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    CorrectionNotice,
    MaterialProvenance,
    TimelineEntry,
)
from sifa.audit.models import AuditEvent
from sifa.catalogue.models import ImplementationEntry, ItemVersion
from sifa.catalogue.models.codes import LimitStart
from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.deadlines import db_calendar
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.deadlines.services import seed_calendar
from sifa.deadlines.services.clocks import recompute
from sifa.demo.services import generator, generator_plan
from sifa.evaluation.models import Rating, Rectification
from sifa.indicators.models import MonthlyFigures
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import actor_for, scoped
from sifa.testing import PersonFactory, staff
from sifa.testing.cases import make_case
from sifa.workflow.caseclocks import time_limit

ARGS = ["--cases", "300", "--seed", "5", "--months", "6", "--end", "2026-06", "--no-progress"]


@pytest.fixture
def world(cat):  # noqa: F811
    seed_calendar(2025, 2026)
    db_calendar.forget()
    yield cat
    db_calendar.forget()


def run(*args: str) -> None:
    call_command("generate-cases", *args)


def digest() -> str:
    """Everything that identifies the generated data: numbers, statuses, organisations, times,
    timelines, materials, ratings."""
    h = hashlib.sha256()
    for row in (
        generator.generated_cases()
        .order_by("number")
        .values_list(
            "id",
            "number",
            "status",
            "channel",
            "entry__implementation_code",
            "scope_path",
            "submitted_at",
            "accepted_at",
            "decided_at",
            "closed_at",
        )
    ):
        h.update(repr(row).encode())
    for row in (
        TimelineEntry.objects.filter(application__in=generator.generated_cases())
        .order_by("application__number", "occurred_at", "event")
        .values_list("application__number", "occurred_at", "event")
    ):
        h.update(repr(row).encode())
    for row in (
        ApplicationMaterial.objects.filter(application__in=generator.generated_cases())
        .order_by("id")
        .values_list("id", "provenance")
    ):
        h.update(repr(row).encode())
    for row in Rating.objects.order_by("number").values_list("number", "level", "created_at"):
        h.update(repr(row).encode())
    for row in ClockState.objects.order_by("subject_id", "purpose").values_list(
        "subject_id", "purpose", "started_on", "stopped_on", "due_on", "warning_level"
    ):
        h.update(repr(row).encode())
    return h.hexdigest()


def test_the_same_seed_gives_the_same_cases(world, capsys):
    run(*ARGS)
    out = capsys.readouterr().out
    assert "已生成办件 300 件（2026-01-01 至 2026-06-30）" in out
    first = digest()
    assert generator.generated_cases().count() == 300
    run("--purge")
    assert generator.generated_cases().count() == 0
    run(*ARGS, "--batch", "70")  # smaller batches (on PostgreSQL: planned in a second process)
    assert digest() == first
    run("--purge")
    run(*ARGS[:3], "6", *ARGS[4:])  # another seed, other cases
    assert digest() != first


def test_cases_sit_in_the_tree_with_a_plausible_mix(world):
    run(*ARGS)
    cases = list(generator.generated_cases().select_related("accepting_organisation", "entry"))
    assert len(cases) == 300
    paths = dict(Organisation.objects.values_list("pk", "path"))
    for case in cases:
        assert case.scope_path == case.accepting_organisation.path
        assert case.entry.accepting_organisation_id == case.accepting_organisation_id
        assert not case.is_mock
        assert generator.GENERATED_NUMBER.match(case.number)
        stamps = [case.submitted_at, case.accepted_at, case.decided_at, case.closed_at]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present)
        assert case.submitted_at.year == 2026 and case.submitted_at.month <= 6
    statuses = {status: sum(c.status == status for c in cases) for status in ApplicationStatus.values}
    assert statuses[ApplicationStatus.DELIVERED] > 200
    assert statuses[ApplicationStatus.NOT_ACCEPTED] + statuses[ApplicationStatus.WITHDRAWN] > 0
    assert sum(statuses[s] for s in (ApplicationStatus.ACCEPTED, ApplicationStatus.IN_REVIEW)) > 0
    assert {c.channel for c in cases} >= {"online", "window"}
    provenances = set(ApplicationMaterial.objects.values_list("provenance", flat=True))
    assert MaterialProvenance.UPLOAD in provenances and MaterialProvenance.LICENCE in provenances
    assert CorrectionNotice.objects.exists()
    ratings = list(Rating.objects.all())
    assert ratings and all(r.scope_path == paths[r.organisation_id] for r in ratings)
    for rectification in Rectification.objects.select_related("rating"):
        assert rectification.rating.is_bad
        assert rectification.scope_path == rectification.rating.scope_path
    # one audit event for the whole run
    assert AuditEvent.objects.filter(action="demo.cases.generate").count() == 1


def test_scoped_reads_see_only_the_subtree(world):
    run(*ARGS)
    xh = world["orgs"]["xh"]
    county = staff("gen-xh", xh, Role.REVIEWER)
    seen = set(scoped(Application.objects.all(), actor_for(county)).values_list("scope_path", flat=True))
    assert seen and all(path.startswith(xh.path) for path in seen)


def test_purge_removes_only_generated_cases(world):
    real = make_case(ImplementationEntry.objects.order_by("pk").first(), PersonFactory().user)
    run(*ARGS)
    run("--purge")
    assert not generator.generated_cases().exists()
    assert not Rating.objects.filter(number__contains="G").exists()
    assert not Rectification.objects.exists()
    assert not CorrectionNotice.objects.filter(document_number__contains="G").exists()
    assert Application.objects.filter(pk=real.pk).exists()
    assert AuditEvent.objects.filter(action="demo.cases.purge").count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cases", "0"], "办件数量应为"),
        (["--cases", "abc"], "应为整数"),
        (["--cases", "10", "--months", "0"], "月份数应为"),
        (["--cases", "10", "--end", "2026/06"], "结束月份应为 YYYY-MM"),
        (["--cases", "10", "--seed", "-1"], "随机种子应为非负整数"),
        (["--cases", "10", "--batch", "0"], "每批数量应为"),
        ([], "请用 --cases 指定"),
        (["--purge", "--cases", "5"], "--purge 不能与 --cases 同时使用"),
    ],
)
def test_bad_arguments_are_refused_in_chinese(world, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args, "--no-progress")


def test_a_second_run_needs_a_purge_first(world):
    run(*ARGS)
    with pytest.raises(CommandError, match="请先运行 sifa generate-cases --purge"):
        run(*ARGS)


def _local(moment):
    return moment.astimezone(generator_plan.TZ).date()


def test_cases_carry_the_clocks_the_workflow_starts(world):
    """The legal and promised clocks of the pinned version, from acceptance (or receipt), stopped
    at the decision, with the derived columns the deadlines service computes (as of the last day
    of the period)."""
    run(*ARGS)
    cases = {str(case.pk): case for case in generator.generated_cases()}
    versions = {v.pk: v for v in ItemVersion.objects.filter(pk__in={c.version_id for c in cases.values()})}
    clocks: dict[str, dict[str, ClockState]] = {}
    for clock in ClockState.objects.filter(subject_type="application"):
        clocks.setdefault(clock.subject_id, {})[clock.purpose] = clock
    assert set(clocks) <= set(cases)
    calendar, as_of = (
        DatabaseCalendar(),
        generator_plan.period(6, "2026-06")[1] - generator.dt.timedelta(days=1),
    )
    decided = stopped_late = 0
    for key, case in cases.items():
        version = versions[case.version_id]
        from_receipt = version.limit_start == LimitStart.RECEIPT
        expected = {
            purpose
            for purpose, limit in (
                (ClockPurpose.LEGAL, time_limit(version.legal_limit_value, version.legal_limit_unit)),
                (
                    ClockPurpose.PROMISED,
                    time_limit(version.promised_limit_value, version.promised_limit_unit),
                ),
            )
            if limit is not None
        }
        if case.accepted_at is None and not from_receipt:
            assert key not in clocks
            continue
        assert set(clocks.get(key, {})) == expected
        decided += case.decided_at is not None and bool(expected)
        for clock in clocks.get(key, {}).values():
            assert clock.scope_path == case.scope_path
            assert clock.started_on == _local(case.received_at if from_receipt else case.accepted_at)
            if case.decided_at is not None:
                assert clock.stopped_on == _local(case.decided_at)
                stopped_late += clock.due_on is not None and clock.stopped_on > clock.due_on
            elif not from_receipt:
                assert clock.stopped_on is None
            fresh = ClockState(
                started_on=clock.started_on,
                limit_value=clock.limit_value,
                limit_unit=clock.limit_unit,
                stopped_on=clock.stopped_on,
            )
            recompute(fresh, calendar, as_of)
            assert (clock.due_on, clock.working_days_left, clock.warning_level, clock.provisional) == (
                fresh.due_on,
                fresh.working_days_left,
                fresh.warning_level,
                fresh.provisional,
            )
    assert decided > 100 and stopped_late > 0  # some decisions come after the due date


def test_rebuild_fills_the_on_time_and_working_day_figures(world):
    run(*ARGS)
    call_command("rebuild-indicators", verbosity=0)
    root = Organisation.objects.get(parent__isnull=True)
    months = sorted(set(MonthlyFigures.objects.filter(organisation=root).values_list("month", flat=True)))
    totals = {
        name: 0
        for name in (
            "decided",
            "legal_on_time",
            "legal_overdue",
            "promised_on_time",
            "promised_overdue",
            "decision_days",
            "decision_days_counted",
        )
    }
    for month in months:
        row = MonthlyFigures.objects.get(organisation=root, month=month)
        for name in totals:
            totals[name] += getattr(row, name)
    decided = set(
        str(pk) for pk in generator.generated_cases().exclude(decided_at=None).values_list("pk", flat=True)
    )
    with_legal = ClockState.objects.filter(
        subject_id__in=decided, purpose=ClockPurpose.LEGAL, due_on__isnull=False
    ).count()
    assert totals["decided"] == len(decided)
    assert totals["legal_on_time"] + totals["legal_overdue"] == with_legal > 0
    assert totals["legal_on_time"] > 0 and totals["promised_on_time"] > 0 and totals["promised_overdue"] > 0
    assert totals["decision_days_counted"] > 0 and totals["decision_days"] > 0


def test_purge_removes_the_generated_clocks_only(world):
    real = make_case(ImplementationEntry.objects.order_by("pk").first(), PersonFactory().user)
    kept = ClockState.objects.create(
        subject_type="application",
        subject_id=str(real.pk),
        purpose=ClockPurpose.LEGAL,
        scope_path=real.scope_path,
        started_on=generator.dt.date(2026, 3, 2),
        limit_value=20,
        limit_unit="working_days",
    )
    run(*ARGS)
    assert ClockState.objects.count() > 1
    run("--purge")
    assert list(ClockState.objects.all()) == [kept]


def test_leaves_read_from_their_facts_give_what_the_rebuild_gives(world):
    """A leaf keeps no roll-up rows: its figures come from one grouped query per fact table
    (``sifa.indicators.leaves``). Over the generated cases (every status, clocks, materials,
    corrections, ratings and rectifications) they equal what the rebuild records for each leaf and
    month, read one month at a time or all months at once, and in the parents' drill-downs."""
    from collections import Counter

    from sifa.indicators import metrics, selectors
    from sifa.indicators.leaves import leaf_figures
    from sifa.indicators.models import Contribution
    from sifa.organisations.scope import Actor

    run(*ARGS)
    call_command("rebuild-indicators", verbosity=0)
    expected: dict = {}
    for figures in Contribution.objects.values_list("figures", flat=True):
        for key, counts in metrics.decode(figures).items():
            expected.setdefault(key, Counter()).update(counts)
    parents = set(Organisation.objects.exclude(parent=None).values_list("parent_id", flat=True))
    leaves = {org for org, _month in expected if org not in parents}
    months = sorted({month for _org, month in expected})
    assert len(leaves) >= 3 and len(months) >= 6
    wanted = {key: +counts for key, counts in expected.items() if key[0] in leaves and +counts}
    names = {name for counts in wanted.values() for name in counts}
    assert {"received", "accepted", "decided", "legal_on_time", "decision_days", "materials"} <= names
    assert leaf_figures(leaves, months) == wanted
    for month in months:
        assert leaf_figures(leaves, [month]) == {k: v for k, v in wanted.items() if k[1] == month}
    superuser = Actor(user_id=0, is_superuser=True)
    month = max(months, key=lambda m: sum(c["received"] for k, c in wanted.items() if k[1] == m))
    for parent in Organisation.objects.filter(
        pk__in={o.parent_id for o in Organisation.objects.filter(pk__in=leaves)}
    ):
        own, kids = selectors.drill_down(superuser, parent, month)
        for kid, figures in kids:
            if kid.pk in leaves:
                assert figures.counts == dict(wanted.get((kid.pk, month), Counter())), kid
        row = (
            MonthlyFigures.objects.filter(organisation=parent, month=month)
            .values(*metrics.METRIC_NAMES)
            .first()
        )
        assert own.counts == {k: v for k, v in (row or {}).items() if v}


def test_hot_leaf_months_are_read_from_their_rows_and_give_what_their_facts_give(world, settings):
    """ADR 0010 over the generated cases: with a low threshold (K = 2) the rebuild gives a leaf a
    row for each month holding more than K facts and none for the others; the dashboard reads the
    hot ones from their rows and the cold ones from their facts, and both equal the facts."""
    from sifa.indicators import selectors
    from sifa.indicators.leaves import leaf_figures
    from sifa.indicators.services.maintenance import is_hot
    from sifa.organisations.scope import Actor

    settings.INDICATORS_HOT_LEAF_FACTS = 2
    run(*ARGS)
    call_command("rebuild-indicators", verbosity=0)
    parents = set(Organisation.objects.exclude(parent=None).values_list("parent_id", flat=True))
    leaves = set(Organisation.objects.exclude(pk__in=parents).values_list("pk", flat=True))
    months = sorted(set(MonthlyFigures.objects.values_list("month", flat=True)))
    facts = leaf_figures(leaves, months)
    hot = {
        (row.organisation_id, row.month): row
        for row in MonthlyFigures.objects.filter(organisation_id__in=leaves)
    }
    assert hot and len(hot) < len(facts)  # some leaf-months hot, some cold
    assert {key for key, counts in facts.items() if is_hot(counts)} == set(hot)
    superuser = Actor(user_id=0, is_superuser=True)
    by_pk = Organisation.objects.in_bulk(leaves | parents)
    for (leaf, month), counts in facts.items():
        if (leaf, month) in hot:
            row = hot[(leaf, month)]
            assert {n: v for n in selectors.METRIC_NAMES if (v := getattr(row, n))} == dict(counts)
        own, _kids = selectors.drill_down(superuser, by_pk[leaf], month)
        assert own.counts == dict(counts), (leaf, month)
        if by_pk[leaf].is_active:
            _own, kids = selectors.drill_down(superuser, by_pk[by_pk[leaf].parent_id], month)
            assert dict(kids)[by_pk[leaf]].counts == dict(counts), (leaf, month)


@pytest.mark.parametrize("k", [2, 1000])
def test_the_set_based_rebuild_writes_the_python_rebuilds_tables(world, settings, k):
    """On PostgreSQL a full rebuild is set-based SQL (``indicators.services.rebuild_sql``): over the
    generated cases (every status, clocks, materials, corrections, outcomes, ratings and
    rectifications; with a low threshold K the hot leaf-months' rows too) it writes the ledger,
    the roll-up rows and the audit detail the Python path writes, in the same order."""
    from sifa.indicators.tests.rebuilds import assert_the_rebuilds_agree

    settings.INDICATORS_HOT_LEAF_FACTS = k
    run(*ARGS)
    found = assert_the_rebuilds_agree()
    assert len(found["ledger"]) > 300 and len(found["rows"]) > 30
    leaves = set(Organisation.objects.filter(children__isnull=True).values_list("pk", flat=True))
    assert any(row[0] in leaves for row in found["rows"]) == (k == 2)
