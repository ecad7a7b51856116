"""The demo random check (``sifa.demo.inspections.load_check``): none while no finished month has
a closed case at 杭州市司法局; once one has, ``demo-city-inspector`` draws it with a recorded seed,
records one finding, and the 绩效考核 figures of that month count it. Running it again changes
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sifa.applications.models import ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.demo.cases import LAWYER_FULL_TIME
from sifa.demo.inspections import FINDING, load_check
from sifa.indicators import selectors as indicators
from sifa.inspections import selectors
from sifa.inspections.models import RandomCheck, SampledCase
from sifa.testing import PersonFactory
from sifa.testing.cases import make_case
from sifa.testing.clock import at

pytestmark = pytest.mark.django_db


def test_no_check_while_no_finished_month_has_a_closed_case(world):
    assert load_check() is None
    assert not RandomCheck.objects.exists()


def test_the_demo_check_draws_last_month_and_records_one_finding_once(world):
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=10)
    period = f"{last_month:%Y-%m}"
    entry = ImplementationEntry.objects.select_related("version", "accepting_organisation").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=world["orgs"]["hz"]
    )
    applicant = PersonFactory().user
    for i in range(4):
        make_case(
            entry,
            applicant,
            status=ApplicationStatus.DELIVERED,
            closed_at=at(last_month + dt.timedelta(days=i)),
        )
    check = load_check()
    assert check is not None and check.period == period and check.seed == f"demo-{period}"
    assert (
        check.drawn_by == world["users"]["demo-city-inspector"] and check.organisation == world["orgs"]["hz"]
    )
    assert (check.candidate_count, check.cases.count()) == (4, 3)
    first = SampledCase.objects.filter(random_check=check).order_by("position").first()
    assert first.result == "issues" and first.severity == "minor" and first.findings == FINDING
    again = load_check()
    assert again.pk == check.pk and RandomCheck.objects.count() == 1
    assert SampledCase.objects.filter(checked_at__isnull=False).count() == 1

    summary = selectors.findings_summary(world["orgs"]["hz"].path, period)
    assert (summary["sampled"], summary["checked"], summary["with_findings"]) == (3, 1, 1)
    figures = indicators.public_figures(world["orgs"]["hz"].pk, period)
    assert (figures.checks_done, figures.checks_with_issues) == (1, 1)
