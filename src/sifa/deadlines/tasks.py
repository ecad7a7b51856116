"""Background work of the deadlines app (django-tasks).

``recompute_after_notice`` runs once a published holiday notice has committed: it recomputes every
open clock on the now-official year (the refresh tells the owners of moved deadlines) and records
on the notice how many clocks it examined and moved. If the enqueue is lost, the periodic
``sifa refresh-deadlines`` does the same work within 15 minutes and records it too.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

from sifa.deadlines import db_calendar
from sifa.deadlines.models import CalendarNotice, NoticeStatus
from sifa.deadlines.refresh import BATCH_SIZE, RefreshResult, refresh_warnings

logger = logging.getLogger("sifa.deadlines")


def recompute_open_clocks(today: dt.date | None = None, *, batch_size: int = BATCH_SIZE) -> RefreshResult:
    """Refresh every open clock, then stamp the published notices that were waiting for it."""
    # Another process may have cached a year as provisional a moment ago: read the calendar afresh.
    db_calendar.forget()
    result = refresh_warnings(today or timezone.localdate(), batch_size=batch_size)
    CalendarNotice.objects.filter(status=NoticeStatus.PUBLISHED, recomputed_at__isnull=True).update(
        recomputed_at=timezone.now(), clocks_examined=result.examined, clocks_moved=result.moved
    )
    return result


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
