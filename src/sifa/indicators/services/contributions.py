"""The contribution of each kind of fact, for one fact (commands) or all of them (rebuild)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator

from django.db.models import Q

from sifa.applications.models import Application
from sifa.complaints.models import Complaint
from sifa.evaluation.models import Rating, Rectification
from sifa.indicators import metrics
from sifa.indicators.models import FactKind
from sifa.indicators.services import facts
from sifa.inspections.models import SampledCase


def of_application(application) -> metrics.Contribution:
    found = facts.application_facts(application)
    return metrics.application_contribution(found) if found else {}


def of_rating(rating: Rating) -> metrics.Contribution:
    return metrics.rating_contribution(facts.rating_facts(rating))


def of_rectification(rectification: Rectification) -> metrics.Contribution:
    return metrics.rectification_contribution(facts.rectification_facts(rectification))


def of_complaint(complaint: Complaint) -> metrics.Contribution:
    return metrics.complaint_contribution(facts.complaint_facts(complaint))


def of_check(sampled: SampledCase) -> metrics.Contribution:
    return metrics.check_contribution(facts.check_facts(sampled))


def all_contributions() -> Iterator[tuple[str, object, metrics.Contribution]]:
    """Every fact's contribution, computed from the facts alone (the rebuild)."""
    for rows in facts.application_rows():
        for pk, found in facts.application_facts_many(rows).items():
            yield FactKind.APPLICATION, pk, metrics.application_contribution(found)
    mocks = facts.mock_numbers()
    for rating in Rating.objects.order_by("pk").iterator(chunk_size=2000):
        yield FactKind.RATING, rating.pk, metrics.rating_contribution(facts.rating_facts(rating, mocks))
    for rectification in (
        Rectification.objects.select_related("rating").order_by("pk").iterator(chunk_size=2000)
    ):
        yield (
            FactKind.RECTIFICATION,
            rectification.pk,
            metrics.rectification_contribution(facts.rectification_facts(rectification, mocks)),
        )
    for complaint in Complaint.objects.select_related("application").order_by("pk").iterator(chunk_size=2000):
        yield (
            FactKind.COMPLAINT,
            complaint.pk,
            metrics.complaint_contribution(facts.complaint_facts(complaint, mocks)),
        )
    sampled_cases = SampledCase.objects.select_related("application", "random_check").order_by("pk")
    for sampled in sampled_cases.iterator(chunk_size=2000):
        yield FactKind.CHECK, sampled.pk, metrics.check_contribution(facts.check_facts(sampled))


def contributions_at(
    organisation_ids: Collection[int], first: dt.date, stop: dt.date
) -> Iterator[metrics.Contribution]:
    """The contributions of every fact that may add to ``organisation_ids`` in the months
    ``first`` … ``stop`` (exclusive), read from the facts through their organisation indexes — how
    the organisations without roll-up rows (``metrics.FACT_SERVED_LEVELS``) are served. A superset:
    the caller keeps the (organisation, month) keys it asked for. The same functions as the rebuild
    compute them, so these figures are the ones a roll-up row would hold."""
    ids = list(organisation_ids)
    if not ids:
        return
    start = dt.datetime.combine(first, dt.time(), tzinfo=metrics.SHANGHAI)
    end = dt.datetime.combine(stop, dt.time(), tzinfo=metrics.SHANGHAI)
    in_period = {"gte": start, "lt": end}

    def during(*names: str) -> Q:
        condition = Q()
        for name in names:
            condition |= Q(**{f"{name}__{op}": value for op, value in in_period.items()})
        return condition

    # Every dated step of a case lies between its submission and its closing (or now).
    rows = list(
        Application.objects.filter(accepting_organisation_id__in=ids, is_mock=False, submitted_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start) | Q(decided_at__gte=start))
        .values(*facts.APPLICATION_FIELDS)
    )
    for found in facts.application_facts_many(rows).values():
        yield metrics.application_contribution(found)
    ratings = list(Rating.objects.filter(during("created_at"), organisation_id__in=ids))
    rectifications = list(
        Rectification.objects.filter(
            during("created_at", "closed_at", "escalated_at"), organisation_id__in=ids
        ).select_related("rating")
    )
    complaints = list(
        Complaint.objects.filter(
            during("created_at", "replied_at", "overdue_at"), organisation_id__in=ids
        ).select_related("application")
    )
    numbers = {r.number for r in ratings} | {r.rating.number for r in rectifications}
    numbers |= {c.application.number for c in complaints if c.application_id is not None}
    numbers.discard(None)
    mocks = (
        set(Application.objects.filter(is_mock=True, number__in=numbers).values_list("number", flat=True))
        if numbers
        else set()
    )
    for rating in ratings:
        yield metrics.rating_contribution(facts.rating_facts(rating, mocks))
    for rectification in rectifications:
        yield metrics.rectification_contribution(facts.rectification_facts(rectification, mocks))
    for complaint in complaints:
        yield metrics.complaint_contribution(facts.complaint_facts(complaint, mocks))
    periods = []
    month = first
    while month < stop:
        periods.append(metrics.month_label(month))
        month = metrics.add_months(month, 1)
    sampled_cases = SampledCase.objects.filter(
        application__accepting_organisation_id__in=ids, random_check__period__in=periods
    ).select_related("application", "random_check")
    for sampled in sampled_cases:
        yield metrics.check_contribution(facts.check_facts(sampled))
