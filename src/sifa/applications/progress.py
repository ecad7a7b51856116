"""The public progress answer (``GET /api/v1/track/{number}/?code=``) read with fixed SQL.

The same answer as ``serializers.tracking(selectors.track(number, code))`` — the page 办件查询
still builds it that way, and ``tests/perf/test_queries_reads.py`` checks that both agree for
every case — but read from raw rows: one statement for the case (its digest, item, organisations),
and, once the code matched, one for the open clocks and one for the public timeline. The progress
query is public and runs on every request of an applicant refreshing the page; building three ORM
queries and model rows cost several times the reads themselves (docs/performance.md, "2026-12-06:
W5 on fixed SQL").

An unknown number and a wrong code cost the same statement and give the same ``None``; the code is
checked with one keyed HMAC-SM3 and a constant-time comparison (docs/security.md, "Query codes").
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from sifa.applications import query_codes, selectors
from sifa.applications.models import PLAIN_STATUS, Application, ApplicationStatus, TimelineEntry
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion
from sifa.catalogue.models.codes import ItemType
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.organisations.models import Organisation

_DECIDED = (ApplicationStatus.APPROVED.value, ApplicationStatus.DENIED.value)
_STATUS_NAMES = dict(ApplicationStatus.choices)
_PURPOSES = (ClockPurpose.LEGAL.value, ClockPurpose.PROMISED.value, ClockPurpose.NOTICE_WINDOW.value)
_PURPOSE_NAMES = dict(ClockPurpose.choices)


@cache
def _statements() -> tuple[str, str, str]:
    """(case, clocks, timeline) SQL, table names from the models (built once per process)."""
    app, entry, version = (
        Application._meta.db_table,
        ImplementationEntry._meta.db_table,
        ItemVersion._meta.db_table,
    )
    item, org = CatalogueItem._meta.db_table, Organisation._meta.db_table
    case = (
        f"SELECT a.id, a.number, a.status, a.submitted_at, a.query_code_digest, ei.name, vi.item_type, "  # noqa: S608
        f"ao.name, co.name FROM {app} a "
        f"INNER JOIN {entry} e ON e.id = a.entry_id INNER JOIN {item} ei ON ei.id = e.item_id "
        f"INNER JOIN {version} v ON v.id = a.version_id INNER JOIN {item} vi ON vi.id = v.item_id "
        f"INNER JOIN {org} ao ON ao.id = a.accepting_organisation_id "
        f"LEFT OUTER JOIN {org} co ON co.id = a.current_organisation_id "
        f"WHERE a.number = %s LIMIT 1"
    )
    clocks = (
        f"SELECT id, purpose, due_on, working_days_left, paused, provisional FROM {ClockState._meta.db_table} "  # noqa: S608
        f"WHERE subject_id IN (%s, %s) AND stopped_on IS NULL"
    )
    timeline = (
        f"SELECT t.occurred_at, t.event, t.title, t.detail, o.name FROM {TimelineEntry._meta.db_table} t "  # noqa: S608
        f"LEFT OUTER JOIN {org} o ON o.id = t.organisation_id "
        f"WHERE t.application_id = %s AND t.public ORDER BY t.occurred_at, t.id"
    )
    return case, clocks, timeline


def _datetime(value: Any) -> dt.datetime | None:
    """A raw timestamp as the ORM gives it: aware (UTC) with ``USE_TZ``."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = parse_datetime(value)
    if settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return parse_date(value)


def _status_label(status: str, item_type: str) -> str:
    """``Application.status_label`` from the columns."""
    if status in _DECIDED and item_type != ItemType.LICENSING:
        return "准予办理" if status == ApplicationStatus.APPROVED else "不予办理"
    return PLAIN_STATUS.get(status, _STATUS_NAMES.get(status, status))


def _deadline(cursor, clocks_sql: str, app_id: uuid.UUID, number: str) -> dict[str, Any] | None:
    """``selectors.deadline`` from the clocks' derived columns (a paused clock's projection reads
    its events through ``selectors``, as there)."""
    cursor.execute(clocks_sql, [str(app_id), number])
    clocks = {row[1]: row for row in cursor.fetchall()}
    for purpose in _PURPOSES:
        row = clocks.get(purpose)
        if row is not None:
            pk, _purpose, due_on, working_days_left, paused, provisional = row
            due_on, paused, provisional = _date(due_on), bool(paused), bool(provisional)
            expected_on = due_on if not paused else selectors._projected_due_on(ClockState.objects.get(pk=pk))
            return {
                "kind": _PURPOSE_NAMES[purpose],
                "due_on": due_on,
                "expected_on": expected_on,
                "working_days_left": working_days_left,
                "paused": paused,
                "provisional": provisional,
                "expected_provisional": provisional or paused,
            }
    return None


def progress(number: str, code: str) -> dict[str, Any] | None:
    """The public progress answer, or ``None`` for an unknown number or a wrong code (the same)."""
    case_sql, clocks_sql, timeline_sql = _statements()
    with connection.cursor() as cursor:
        cursor.execute(case_sql, [str(number or "")[:50]])
        row = cursor.fetchone()
        digest = row[4] if row is not None else ""
        if not query_codes.query_code_matches(code or "", digest) or row is None:
            return None
        raw_id, number, status, submitted_at, _digest, item, item_type, accepting, current = row
        app_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(raw_id)
        deadline = _deadline(cursor, clocks_sql, app_id, number)
        cursor.execute(timeline_sql, [raw_id])
        timeline = [
            {
                "occurred_at": _datetime(occurred_at),
                "event": event,
                "title": title,
                "detail": detail,
                "organisation": organisation or "",
            }
            for occurred_at, event, title, detail, organisation in cursor.fetchall()
        ]
    return {
        "number": number,
        "item": item,
        "status": status,
        "status_label": _status_label(status, item_type),
        "stage": selectors.STAGES.get(status, ""),
        "organisation": current if current is not None else accepting,
        "submitted_at": _datetime(submitted_at),
        "deadline": deadline,
        "timeline": timeline,
    }
