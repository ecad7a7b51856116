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
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.demo.services import generator
from sifa.evaluation.models import Rating, Rectification
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import actor_for, scoped
from sifa.testing import PersonFactory, staff
from sifa.testing.cases import make_case

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
