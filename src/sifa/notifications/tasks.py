"""Background tasks (django-tasks): deliver the notifications a committed command wrote.

The task body is :mod:`sifa.notifications.services.dispatch`; the commands enqueue it after their
commit (:func:`enqueue_delivery`). Both sides import this module as a whole (``from
sifa.notifications import tasks``), so either may be imported first.
"""

from __future__ import annotations

import datetime as dt
import logging

from django_tasks import task

from sifa.notifications.services import dispatch

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
