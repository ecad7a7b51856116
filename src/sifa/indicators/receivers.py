"""Receivers that keep the roll-ups current, each in the transaction of the command that changed
the fact: the application's transitions (``application_changed``), and saves of ratings,
rectifications and complaints (Django's ``post_save``; those apps write them with ``save()``)."""

from __future__ import annotations

from typing import Any

from sifa.indicators.models import FactKind
from sifa.indicators.services import contributions, maintenance

RELEVANT_FIELDS = frozenset({"status", "submitted_at", "accepted_at", "decided_at", "closed_at"})
"""A transition that sets none of these (a handover, a document issued) cannot change a figure —
except through a correction notice or materials, which always come with a status change."""


def on_application_changed(
    sender: Any, application: Any, previous_status: str, changed: frozenset, **kwargs: Any
) -> None:
    if application.is_mock or application.submitted_at is None:
        return
    if not (changed & RELEVANT_FIELDS):
        return
    maintenance.record(FactKind.APPLICATION, application.pk, contributions.of_application(application))


def on_rating_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        maintenance.record(FactKind.RATING, instance.pk, contributions.of_rating(instance))


def on_rectification_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        maintenance.record(FactKind.RECTIFICATION, instance.pk, contributions.of_rectification(instance))


def on_complaint_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        maintenance.record(FactKind.COMPLAINT, instance.pk, contributions.of_complaint(instance))
