"""The contribution of each kind of fact, for one fact (commands) or all of them (rebuild)."""

from __future__ import annotations

from collections.abc import Iterator

from sifa.complaints.models import Complaint
from sifa.evaluation.models import Rating, Rectification
from sifa.indicators import metrics
from sifa.indicators.models import FactKind
from sifa.indicators.services import facts
from sifa.inspections.models import SampledCase


def of_application(application, *, just_submitted: bool = False) -> metrics.Contribution:
    """``just_submitted``: a draft submitted in this transaction (``facts.application_facts``)."""
    found = facts.application_facts(application, just_submitted=just_submitted)
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
