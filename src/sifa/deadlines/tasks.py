"""Background work of the deadlines app (django-tasks).

``recompute_after_notice`` runs once a published holiday notice has committed: it recomputes every
open clock on the now-official year (the refresh tells the owners of moved deadlines) and records
on the notice how many clocks it examined and moved (``services.recompute_open_clocks``). If the
enqueue is lost, the periodic ``sifa refresh-deadlines`` does the same work within 15 minutes and
records it too.
"""

from __future__ import annotations

import logging

from django_tasks import task

from sifa.deadlines.services import recompute_open_clocks

logger = logging.getLogger("sifa.deadlines")


@task()
def recompute_after_notice(notice_id: int) -> dict[str, int]:
    """Recompute every open clock after the notice ``notice_id`` was published."""
    result = recompute_open_clocks()
    counts = {"examined": result.examined, "changed": result.changed, "moved": result.moved}
    logger.info("calendar notice %s published: %s", notice_id, counts)
    return counts


def enqueue_recompute(notice_id: int) -> None:
    """Enqueue :func:`recompute_after_notice`. Never raises: the publication is already committed."""
    try:
        recompute_after_notice.enqueue(notice_id)
    except Exception:
        logger.exception("could not enqueue the recomputation after calendar notice %s", notice_id)
