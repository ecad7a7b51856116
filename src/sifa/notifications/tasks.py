"""Background tasks (django-tasks): deliver the notifications a committed command wrote."""

from __future__ import annotations

import datetime as dt
import logging

from django_tasks import task

from sifa.notifications import dispatch

logger = logging.getLogger("sifa.notifications")


@task()
def deliver(delivery_ids: list[int]) -> int:
    """Send these deliveries if still due; returns how many were sent."""
    return dispatch.deliver_ids(delivery_ids).sent


def enqueue_delivery(delivery_ids: list[int], *, run_after: dt.datetime | None = None) -> None:
    """Enqueue :func:`deliver`. Never raises: the business change is already committed and the
    periodic ``sifa deliver-notifications`` sweep finds any delivery whose task was lost."""
    try:
        (deliver.using(run_after=run_after) if run_after else deliver).enqueue(delivery_ids)
    except Exception:
        logger.exception(
            "could not enqueue notification deliveries %s; the sweep will send them", delivery_ids
        )
