"""Status changes and the public timeline: the one function every command uses to move a case.

``transition`` is called inside the command's transaction by ``sifa.applications.services`` (before
acceptance) and by ``sifa.workflow`` (after). It refuses a stale ``row_version`` so two clerks
acting on the same case at once cannot both win (optimistic concurrency).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus, TimelineEntry
from sifa.applications.signals import application_changed
from sifa.core.errors import Conflict

TERMINAL_STATUSES = frozenset(
    {
        ApplicationStatus.NOT_ACCEPTED,
        ApplicationStatus.DELIVERED,
        ApplicationStatus.WITHDRAWN,
    }
)


def transition(
    application: Application,
    *,
    status: str | None,
    event: str,
    title: str,
    detail: str = "",
    organisation: Any = None,
    public: bool = True,
    occurred_at: dt.datetime | None = None,
    fields: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Set ``status`` (None keeps it), update ``fields``, bump ``row_version``, add a timeline entry.

    Sends ``sifa.applications.signals.application_changed`` in the same transaction (the
    performance roll-ups are maintained by its receiver).

    Raises ``Conflict`` ("application.stale") when the row changed since ``application`` was read,
    and ("application.closed") when the case is already closed.
    """
    if application.status in TERMINAL_STATUSES and status is not None:
        raise Conflict("application.closed", "该办件已办结或已撤回，不能再办理")
    updates: dict[str, Any] = dict(fields or {})
    if status is not None:
        updates["status"] = status
    updates["updated_at"] = timezone.now()
    previous_status = application.status
    # No savepoint: a stale row is refused before anything is written (below, outside the block),
    # and any other error rolls back the caller's transaction as a whole.
    with transaction.atomic(savepoint=False):
        changed = Application.objects.filter(pk=application.pk, row_version=application.row_version).update(
            row_version=F("row_version") + 1, **updates
        )
        if changed == 1:
            # The row is now exactly the one read plus these updates (the UPDATE matched its
            # row_version): set them on the instance instead of reading it again, which keeps its
            # loaded relations (one query less per entry, and none re-read later).
            for name, value in updates.items():
                setattr(application, name, value)
            application.row_version += 1
            entry = TimelineEntry.objects.create(
                application=application,
                occurred_at=occurred_at or timezone.now(),
                event=event,
                title=title,
                detail=detail,
                organisation=organisation,
                public=public,
            )
            application_changed.send(
                sender=Application,
                application=application,
                previous_status=previous_status,
                changed=frozenset(k for k in updates if k != "updated_at"),
            )
    if changed != 1:
        raise Conflict("application.stale", "该办件已被他人处理，请刷新后重试")
    return entry
