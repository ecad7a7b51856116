"""Background work of the workflow (django-tasks).

``issue_case_document`` renders, numbers and seals a notice or decision letter (and issues the
e-licence on approval) about half a second after the command that owes it has committed; it is
enqueued with ``transaction.on_commit`` so a worker never issues a letter for a decision that could
still roll back. A crash between commit and enqueue, or a failed issuance, is picked up by the
``sifa issue-pending-documents`` sweep; issuing is idempotent, so running it twice is harmless.
"""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger("sifa.workflow")


@task()
def issue_case_document(case_document_id: int) -> str:
    """Issue one owed case document; returns its status (``issued`` or ``failed``)."""
    # Imported here: the services enqueue this task, so they import this module first.
    from sifa.workflow.services import issue_owed

    row = issue_owed(case_document_id)
    return row.status if row is not None else "missing"


def enqueue_issue(case_document_id: int) -> None:
    """Enqueue :func:`issue_case_document`. Never raises: the command is already committed."""
    try:
        issue_case_document.enqueue(case_document_id)
    except Exception:
        logger.exception("could not enqueue the issuance of case document %s", case_document_id)
