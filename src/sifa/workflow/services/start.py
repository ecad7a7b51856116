"""Start a case's BPMN process: the acceptance work item, and the clocks counted from receipt.

Called by the ``ready_for_acceptance`` receiver after pre-review, by the first staff command on a
case still waiting (``run_command``) and by §32 deemed acceptance. Idempotent per application; one
transaction with its audit event ``workflow.start``; a start that succeeds after earlier failures
resolves the case's ``StartAlert``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from sifa.applications.models import Application, ApplicationStatus
from sifa.core.errors import Conflict
from sifa.workflow import caseclocks
from sifa.workflow.engine import runtime
from sifa.workflow.engine.registry import ProcessFile, process_for
from sifa.workflow.models import ProcessInstance
from sifa.workflow.services import clocks, projection
from sifa.workflow.services.alerts import resolve_start_failure
from sifa.workflow.services.case_audit import record_case

STARTABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.PENDING_ACCEPTANCE)


def process_file_of(application: Application) -> ProcessFile:
    """The process the application's *pinned* version names (a later version never changes it)."""
    try:
        bpmn_file = application.version.process.bpmn_file
    except ObjectDoesNotExist:
        bpmn_file = ""
    return process_for(bpmn_file)


def start_case(application: Application, *, actor: Any = None, on: dt.date | None = None) -> ProcessInstance:
    """Start the BPMN process and open the acceptance work item. Idempotent per application."""
    process = process_file_of(application)
    with transaction.atomic():
        existing = ProcessInstance.objects.select_for_update().filter(application=application).first()
        if existing is not None:
            return existing
        if application.status not in STARTABLE:
            raise Conflict("workflow.command_not_allowed", "该办件当前状态不能进入受理环节")
        projection.check_lanes(application, process)
        workflow = runtime.start(process)
        instance = ProcessInstance.objects.create(
            application=application,
            bpmn_file=process.file_name,
            process_id=process.process_id,
            definition_digest=process.digest,
            state=runtime.dump(workflow),
        )
        if caseclocks.counts_from_receipt(application):
            # 法律援助法 §43/§49: the limit runs from receipt, before anyone has accepted the case.
            clocks.start_case_clocks(application, on or timezone.localdate(), actor)
        projection.sync(application, process, runtime.ready_tasks(workflow), on=on or timezone.localdate())
        resolve_start_failure(application)
        record_case(
            "workflow.start",
            application,
            actor=actor,
            detail={"process": process.process_id, "file": process.file_name},
        )
    return instance


ENDED_BEFORE_ACCEPTANCE = frozenset(
    {ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION_REQUIRED, ApplicationStatus.PENDING_ACCEPTANCE}
)
"""The statuses from which ``applications.services.withdraw`` ends a case already started for its
acceptance (after acceptance the case command 撤回申请 ends it itself)."""


def end_before_acceptance(application: Application, previous_status: str) -> None:
    """A withdrawal before acceptance (``applications.services.withdraw``: the applicant's own, or
    the receiving window's for a walk-in) ends the case started for acceptance as the case command
    撤回申请 does after it: its open work items are cancelled (off every worklist), its clocks
    stopped, its process completed. Nothing when no case was started. In the withdrawal's
    transaction (``application_changed``)."""
    if previous_status not in ENDED_BEFORE_ACCEPTANCE:
        return
    instance = ProcessInstance.objects.filter(application=application, completed=False).first()
    if instance is None:
        return
    projection.cancel_open(application)
    clocks.stop_all(application, timezone.localdate(), None)
    instance.completed = True
    instance.save(update_fields=["completed", "updated_at"])
