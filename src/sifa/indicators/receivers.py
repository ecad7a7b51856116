"""Receivers that keep the roll-ups current, each in the transaction of the command that changed
the fact: the application's transitions (``application_changed``), and saves of ratings,
rectifications, complaints and random-check findings (Django's ``post_save``; those apps write them with ``save()``); and a change of
the working-day calendar (the deadlines app's ``calendar_changed``), which recounts the working days
from acceptance to decision of the cases it touches."""

from __future__ import annotations

from typing import Any

from sifa.indicators.models import FactKind
from sifa.indicators.services import contributions, maintenance

DATED_FIELDS = frozenset({"submitted_at", "accepted_at", "decided_at", "closed_at"})
COUNTED_STATUSES = frozenset({"correction_required", "not_accepted", "approved", "denied", "delivered"})
"""A transition that sets none of the dated fields and moves neither into nor out of one of these
statuses (a handover, a document issued, 审查中 ↔ 中止) cannot change a figure: a case's
contribution depends on its dates, on these statuses, on its first correction notice (issued with
the move to 待补正), on its materials once accepted (fixed by then) and on its clocks once decided
(stopped by then). Such transitions skip the maintenance altogether."""


def on_application_changed(
    sender: Any, application: Any, previous_status: str, changed: frozenset, **kwargs: Any
) -> None:
    if application.is_mock or application.submitted_at is None:
        return
    if not (changed & DATED_FIELDS) and not (
        "status" in changed
        and (application.status in COUNTED_STATUSES or previous_status in COUNTED_STATUSES)
    ):
        return
    # A draft has never contributed (nothing moves a case back to 草稿, and a draft has no
    # submitted_at), so its submission has no ledger row to read yet.
    # Nor any correction notice yet: one is issued only with a later move to 待补正.
    new = previous_status == "draft"
    maintenance.record(
        FactKind.APPLICATION,
        application.pk,
        contributions.of_application(application, just_submitted=new),
        new=new,
    )


def on_rating_saved(
    sender: Any, instance: Any, raw: bool = False, created: bool = False, **kwargs: Any
) -> None:
    if not raw:
        maintenance.record(FactKind.RATING, instance.pk, contributions.of_rating(instance), new=created)


def on_rectification_saved(
    sender: Any, instance: Any, raw: bool = False, created: bool = False, **kwargs: Any
) -> None:
    if not raw:
        maintenance.record(
            FactKind.RECTIFICATION, instance.pk, contributions.of_rectification(instance), new=created
        )


def on_sampled_case_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        maintenance.record(FactKind.CHECK, instance.pk, contributions.of_check(instance))


def on_complaint_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        maintenance.record(FactKind.COMPLAINT, instance.pk, contributions.of_complaint(instance))


def on_calendar_changed(sender: Any, days: frozenset, **kwargs: Any) -> None:
    maintenance.recount_working_days(days)
