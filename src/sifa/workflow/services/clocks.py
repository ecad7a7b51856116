"""Start, stop and hold the clocks of one case, on top of ``sifa.deadlines`` (the reads are in
``sifa.workflow.caseclocks``): the legal and promised limits from acceptance, and one sub-clock per 办理环节 (stage) started on the day the stage begins (acceptance, or the day of
hand-over to the next level) with that stage's own limit from the pinned catalogue version.

Where the pinned version counts its limits from the receipt of the application
(``ItemVersion.limit_start`` = receipt: 法律援助法 §43 审查决定, §49 异议审查), the legal and promised
clocks start when the case enters its process — dated from the receipt day, so the acceptance work
item already shows the statutory due date — and the first stage's sub-clock counts from receipt
too; later stages still count from their own start (§43: 指派 "自作出决定之日起三日内").

A stage that is entered again (the province returns the case to the city) gets a fresh sub-clock
(``stage`` label ``"<order>.<round>:<name>"``); the earlier round stays stopped, as the record.

A stage the catalogue marks ``not_counted`` (行政许可法 §45: e.g. the 考核 of 律师法 §8) suspends
the legal and promised clocks from the day it begins; they resume the day after it ends, which is
also the first counted day of the next stage's sub-clock (民法典 §201).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sifa.catalogue.models import Stage
from sifa.deadlines import services as clock_services
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.workflow.caseclocks import (
    CASE_PURPOSES,
    NOT_COUNTED_KIND,
    SUBJECT_TYPE,
    case_clocks,
    counts_from_receipt,
    received_on,
    running_clocks,
    stage_prefix,
    stages_of,
    time_limit,
)


def start_case_clocks(application: Any, on: dt.date, actor: Any) -> None:
    """The legal and the promised limit of the pinned version, counted from ``on`` (acceptance) —
    or from the receipt day where the version says so. Does nothing while they already run."""
    if (
        case_clocks(application)
        .filter(purpose__in=(ClockPurpose.LEGAL, ClockPurpose.PROMISED), stopped_on__isnull=True)
        .exists()
    ):
        return
    if counts_from_receipt(application):
        on = received_on(application)
    version = application.version
    for purpose, limit in (
        (ClockPurpose.LEGAL, time_limit(version.legal_limit_value, version.legal_limit_unit)),
        (ClockPurpose.PROMISED, time_limit(version.promised_limit_value, version.promised_limit_unit)),
    ):
        if limit is not None:
            clock_services.start_clock(
                subject_type=SUBJECT_TYPE,
                subject_id=str(application.pk),
                purpose=purpose,
                limit=limit,
                started_on=on,
                scope_path=application.scope_path,
                actor=actor,
            )


def start_stage_clock(application: Any, stage: Stage, on: dt.date, actor: Any) -> ClockState | None:
    limit = time_limit(stage.limit_value, stage.limit_unit)
    if limit is None:
        return None
    rounds = (
        case_clocks(application)
        .filter(purpose=ClockPurpose.STAGE, stage__startswith=stage_prefix(stage.order))
        .count()
    )
    first_stage = min(stages_of(application.version))
    if counts_from_receipt(application) and stage.order == first_stage and rounds == 0:
        on = received_on(application)
    return clock_services.start_clock(
        subject_type=SUBJECT_TYPE,
        subject_id=str(application.pk),
        purpose=ClockPurpose.STAGE,
        limit=limit,
        started_on=on,
        scope_path=application.scope_path,
        stage=f"{stage.order}.{rounds + 1}:{stage.name}"[:60],
        actor=actor,
    )


def stop(clock: ClockState, on: dt.date, actor: Any) -> None:
    """Stop a clock; one that is suspended (a withdrawal during a §45 period) resumes first."""
    on = max(on, clock.started_on)
    if clock.to_clock().paused:
        clock = clock_services.resume_clock(clock.pk, on=on, actor=actor)
    clock_services.stop_clock(clock.pk, on=on, actor=actor)


def sync_not_counted(
    application: Any, stages: dict[int, Stage], active: set[int], on: dt.date, actor: Any
) -> tuple[str, Stage] | None:
    """Suspend the case clocks when a not-counted stage begins, resume them the day after it ends.

    Returns ("suspended" | "resumed", the stage) when something changed, for the timeline. Only
    called while no §45 suspension command is in force (commands are refused while suspended), so a
    paused case clock found here was paused by a not-counted stage.
    """
    uncounted = [stages[order] for order in sorted(active) if order in stages and stages[order].not_counted]
    clocks = [c for c in running_clocks(application) if c.purpose in CASE_PURPOSES]
    if uncounted:
        stage = uncounted[0]
        reason = f"{stage.name}所需时间不计算在期限内（行政许可法第四十五条；{stage.legal_basis}）"[:500]
        started = False
        for clock in clocks:
            if not clock.to_clock().paused:
                clock_services.suspend_clock(
                    clock.pk, kind=NOT_COUNTED_KIND, on=max(on, clock.started_on), reason=reason, actor=actor
                )
                started = True
        return ("suspended", stage) if started else None
    resumed = False
    for clock in clocks:
        if clock.to_clock().paused:
            clock_services.resume_clock(clock.pk, on=on + dt.timedelta(days=1), actor=actor)
            resumed = True
    finished = next((s for o, s in sorted(stages.items()) if s.not_counted and o not in active), None)
    return ("resumed", finished) if resumed and finished is not None else None


def stop_all(application: Any, on: dt.date, actor: Any, *, purposes: tuple[str, ...] | None = None) -> None:
    for clock in running_clocks(application):
        if purposes is None or clock.purpose in purposes:
            stop(clock, on, actor)
