"""Background work of applications (django-tasks).

The pre-review is enqueued with ``transaction.on_commit`` by the submit and correction commands:
a worker must never pick up an application whose submission could still roll back. A crash
between commit and enqueue is caught by the ``sifa pre-review-pending`` sweep (the task itself is
idempotent, so running it twice is harmless).
"""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger("sifa.applications")


@task()
def pre_review(application_id: str) -> int:
    """Run the automatic pre-review; returns the number of findings."""
    from sifa.applications.services.prereview import run_pre_review

    return len(run_pre_review(application_id))


def enqueue_pre_review(application_id: str) -> None:
    """Enqueue :func:`pre_review`. Never raises: the submission is already committed."""
    try:
        pre_review.enqueue(application_id)
    except Exception:
        logger.exception("could not enqueue the pre-review of %s", application_id)
