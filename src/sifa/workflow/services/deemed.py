"""行政许可法 §32 deemed acceptance: no notice within 5 working days of receipt → accepted on receipt.

``apply_deemed_acceptance`` (run by ``sifa apply-deemed-acceptance``) looks at applications still
waiting for acceptance (submitted or pending acceptance) that received their materials, were never
sent a correction notice, and whose 5-working-day window has lapsed. Each becomes accepted with
``deemed_accepted`` set, ``accepted_at`` = the receipt time, the clocks counted from the receipt
date, and the public timeline entry “视为受理（行政许可法第三十二条）”.

Safe with several workers: every case is its own transaction, and ``transition`` refuses a stale
``row_version``, so a case a clerk (or another worker) acted on meanwhile is skipped, not doubled.
A case whose process cannot be started (e.g. its version names no shipped process file) is left
untouched and recorded as a ``StartAlert`` (log, audit, workbench); the run goes on with the rest.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services import transition
from sifa.catalogue.models import ItemType
from sifa.core.errors import Conflict
from sifa.deadlines.calendar import CalendarDataMissing, WorkingCalendar
from sifa.deadlines.clocks import NoticeOutcome, NoticeWindow
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.deadlines.services import record_calendar_alert
from sifa.workflow.engine import runtime
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import clocks, projection
from sifa.workflow.services.alerts import record_start_failure
from sifa.workflow.services.case_audit import record_case
from sifa.workflow.services.start import process_file_of, start_case

logger = logging.getLogger("sifa.workflow")
WAITING = (ApplicationStatus.SUBMITTED, ApplicationStatus.PENDING_ACCEPTANCE)
DEEMED_ACCEPTANCE_TITLE = "视为受理（行政许可法第三十二条）"


def candidates(today: dt.date):
    # Five working days are at least five calendar days: a cheap indexed pre-filter, the calendar
    # decides exactly below. §32 is a rule of the 行政许可法: only licensing items are deemed
    # accepted (a legal-aid clock already runs from receipt, 法律援助法 §43; mediation needs the
    # parties' consent, 人民调解法 §17).
    return (
        Application.objects.filter(
            status__in=WAITING,
            received_at__isnull=False,
            correction_notices__isnull=True,
            version__item__item_type=ItemType.LICENSING,
        )
        .filter(received_at__date__lte=today - dt.timedelta(days=5))
        .order_by("received_at", "pk")
    )


def apply_deemed_acceptance(
    today: dt.date | None = None, *, calendar: WorkingCalendar | None = None
) -> list[str]:
    """Deem every lapsed case accepted; returns their numbers."""
    today = today or timezone.localdate()
    calendar = calendar or DatabaseCalendar()
    done: list[str] = []
    for application in candidates(today).select_related("version"):
        received_on = timezone.localdate(application.received_at)
        try:
            status = NoticeWindow(received_on).status(calendar, today)
        except CalendarDataMissing as missing:
            record_calendar_alert(missing.year)
            continue
        if status.outcome != NoticeOutcome.DEEMED_ACCEPTED:
            continue
        try:
            deem_accepted(application, received_on)
        except Conflict:
            logger.info("办件 %s 已被他人处理，跳过视为受理", application.number)
            continue
        except Exception as failure:  # one case that cannot start must not stop the others
            record_start_failure(application, failure, source="deemed_acceptance")
            continue
        done.append(application.number)
    return done


def deem_accepted(application: Application, received_on: dt.date) -> None:
    with transaction.atomic():
        instance = start_case(application, on=received_on)
        instance = type(instance).objects.select_for_update().get(pk=instance.pk)
        application.refresh_from_db()
        transition(
            application,
            status=ApplicationStatus.ACCEPTED,
            event="deemed_accepted",
            title=DEEMED_ACCEPTANCE_TITLE,
            detail=f"自收到申请材料之日（{received_on.isoformat()}）起五个工作日内未告知补正，自收到申请材料之日起即为受理",
            organisation=application.accepting_organisation,
            fields={
                "accepted_at": application.received_at,
                "deemed_accepted": True,
                "current_organisation": application.accepting_organisation,
            },
        )
        process = process_file_of(application)
        item = WorkItem.objects.filter(
            application=application, status=WorkItemStatus.OPEN, kind="accept"
        ).first()
        if item is not None:
            # An ordinary case: acceptance is complete, the clocks run from the receipt date.
            # A 即办件 keeps its accept-and-decide task open: the decision still needs a clerk.
            clocks.start_case_clocks(application, received_on, None)
            workflow = runtime.load(process, instance.state)
            runtime.complete(workflow, item.task_id, {"decision": "accept"})
            projection.sync(
                application, process, runtime.ready_tasks(workflow), on=received_on, outcome="deemed_accepted"
            )
            instance.state = runtime.dump(workflow)
            instance.version += 1
            instance.save(update_fields=["state", "version", "updated_at"])
        record_case("workflow.deemed_accepted", application, detail={"received_on": received_on.isoformat()})
