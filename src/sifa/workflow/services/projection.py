"""Project the engine's ready user tasks into ``WorkItem`` rows and keep stage sub-clocks in step.

Called by every command after the engine moved, inside the command's transaction. It only looks at
the case's current ready tasks and open work items (never at history), so its cost is O(1) in the
length of the case's history.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from sifa.core.db import FixedUpdate, itself, run_fixed, write
from sifa.core.errors import ServiceError
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.organisations.models import Organisation, OrganisationLevel
from sifa.workflow import caseclocks
from sifa.workflow.engine.registry import LANES, ProcessFile, TaskInfo
from sifa.workflow.engine.runtime import ReadyTask
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.services import clocks


def lane_organisation(application: Any, lane: str) -> Organisation:
    """The organisation that does a lane's tasks in this case (see ``engine.registry.LANES``).

    ``province`` is the provincial bureau on the accepting organisation's path (itself, when it is
    provincial). A lane that cannot be resolved is a configuration error of the entry: 409
    ``workflow.lane_unresolved``, never a task assigned to the wrong organisation.
    """
    if lane == "deciding":
        return application.entry.deciding_organisation
    if lane == "province":
        accepting = application.accepting_organisation
        ancestors = [int(part) for part in accepting.path.strip("/").split("/") if part.isdigit()]
        province = Organisation.objects.filter(pk__in=ancestors, level=OrganisationLevel.PROVINCE).first()
        if province is None:
            raise ServiceError(
                "workflow.lane_unresolved",
                f"无法确定{accepting.name}所属的省级司法行政部门，该事项的办理流程不能在此受理，请联系系统管理员核对实施清单",
                status=409,
            )
        return province
    return application.accepting_organisation


def assigned_organisation(application: Any, task: TaskInfo) -> Organisation:
    """Resolve the task's lane to an organisation of this case."""
    return lane_organisation(application, task.lane)


def check_lanes(application: Any, process: ProcessFile) -> None:
    """Every lane the process uses resolves for this case (called before the process starts)."""
    used = {task.lane for task in process.tasks.values()} | {
        task.issuer_lane for task in process.tasks.values() if task.issuer_lane
    }
    for lane in sorted(used & set(LANES)):
        lane_organisation(application, lane)


def sync(
    application: Any,
    process: ProcessFile,
    ready: list[ReadyTask],
    *,
    on: dt.date,
    actor: Any = None,
    outcome: str = "",
    opinion: str = "",
    events: list[tuple[str, Any]] | None = None,
) -> list[WorkItem]:
    """Close work items whose task is no longer ready, open one per new ready task, move sub-clocks,
    and hold the case clocks while a not-counted stage runs (行政许可法 §45).

    Returns the work items that are open afterwards; ``events`` (when given) receives the
    not-counted stage that began or ended, for the caller's timeline.
    """
    now = timezone.now()
    ready_ids = {task.task_id for task in ready}
    open_items = list(WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN))
    for item in open_items:
        if item.task_id not in ready_ids:
            item.status = WorkItemStatus.DONE
            item.completed_at = now
            item.completed_by = actor if getattr(actor, "pk", None) else None
            item.outcome = outcome[:20]
            item.opinion = opinion
            item.save(update_fields=["status", "completed_at", "completed_by", "outcome", "opinion"])
    known = {item.task_id for item in open_items}
    stages = caseclocks.stages_of(application.version)
    active_stages = {process.tasks[task.bpmn_id].stage for task in ready} - {None}
    for clock in caseclocks.running_clocks(application):
        if clock.purpose == ClockPurpose.STAGE and int(clock.stage.split(".", 1)[0]) not in active_stages:
            clocks.stop(clock, on, actor)
    stage_clocks: dict[int, ClockState | None] = {}
    for order in sorted(active_stages):
        clock = caseclocks.running_stage_clock(application, order)
        if clock is None and order in stages:
            clock = clocks.start_stage_clock(application, stages[order], on, actor)
        stage_clocks[order] = clock
    changed = clocks.sync_not_counted(application, stages, active_stages, on, actor)
    if changed is not None and events is not None:
        events.append(changed)
    legal = caseclocks.legal_clock(application)
    fallback = legal if legal is not None and legal.stopped_on is None else None
    for task in ready:
        if task.task_id in known:
            continue
        info = process.tasks[task.bpmn_id]
        organisation = assigned_organisation(application, info)
        stage = stages.get(info.stage) if info.stage else None
        clock = stage_clocks.get(info.stage) if info.stage else fallback
        WorkItem.objects.create(
            application=application,
            task_id=task.task_id,
            task_name=info.bpmn_id,
            title=info.name,
            kind=info.kind,
            stage_order=info.stage,
            stage_name=stage.name if stage else "",
            organisation=organisation,
            role=info.role,
            scope_path=organisation.path,
            clock=clock,
        )
    refresh_case(application)
    return list(WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN).order_by("id"))


def cancel_open(application: Any) -> int:
    return WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN).update(
        status=WorkItemStatus.CANCELLED, completed_at=timezone.now()
    )


def _copy_from_clock(items: list[WorkItem]) -> int:
    changed = []
    for item in items:
        clock = item.clock
        due, level = (clock.due_on, clock.warning_level) if clock is not None else (None, item.warning_level)
        if (item.due_on, item.warning_level) != (due, level):
            item.due_on, item.warning_level = due, level
            changed.append(item)
    if changed:
        # One statement for all (``bulk_update`` builds a CASE per column and row on every call);
        # its values prepared now, written now or under a case command's lock (``core.db.write``).
        db = itself(connection)  # one look-up, not one per attribute the preparation reads
        rows = [_DUE_UPDATE.params(item, db) for item in changed]
        write(lambda: _update_due(rows, db))
    return len(changed)


def _update_due(rows: list[list], db: Any = None) -> None:
    db = db or itself(connection)
    run_fixed(db, _DUE_UPDATE.sql(db), rows, many=True)


_DUE_UPDATE = FixedUpdate(WorkItem, "due_on", "warning_level")


def refresh_case(application: Any, items: list[WorkItem] | None = None) -> int:
    """Copy due dates and warning levels from the clocks onto the case's open work items.

    ``items`` are the case's open work items when the caller has them (read with their clock in
    this transaction, and none opened or closed since: a case command); a clock the command locked
    and changed (``caseclocks.hold_running_clocks``) is taken from there, not read again."""
    if items is None:
        items = list(
            WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN).select_related(
                "clock"
            )
        )
    else:
        held = {clock.pk: clock for clock in caseclocks.running_clocks(application)}
        for item in items:
            if item.clock_id in held:
                item.clock = held[item.clock_id]
    return _copy_from_clock(items)


def refresh_all(batch_size: int = 500) -> int:
    """The periodic half of ``sifa refresh-workitems``: after ``refresh-deadlines`` moved the clocks,
    bring every open work item's due date and warning level in line (batched by id)."""
    changed, last_id = 0, 0
    while True:
        batch = list(
            WorkItem.objects.filter(status=WorkItemStatus.OPEN, clock__isnull=False, id__gt=last_id)
            .select_related("clock")
            .order_by("id")[:batch_size]
        )
        if not batch:
            return changed
        last_id = batch[-1].id
        changed += _copy_from_clock(batch)
