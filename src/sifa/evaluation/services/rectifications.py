"""Rectification (整改) of a 差评: 谁办理、谁负责 (国办发〔2019〕51号).

A 差评 opens one at the rating's organisation with two time limits on the working-day calendar,
counted from the day after the rating: the callback (回访) to a named rater within
``SIFA_EVALUATION_CALLBACK_DAYS`` (default 1) and the rectification with its outcome reported to
the rater within ``SIFA_EVALUATION_RECTIFY_DAYS`` (default 15). The organisation's supervisors are
told in their inbox. Then, each command one transaction with its audit event:

* ``callback`` — staff of the organisation (or above) record the call back to a named rater;
* ``report`` — the outcome (整改情况), told to the rater in their inbox when they have an account;
  a named rater must have been called back first;
* ``close`` — after the report;
* ``appeal`` — a supervisor of the organisation claims the rating is malicious (恶意差评), with
  the evidence; the time limit stops counting for escalation while the level above decides;
* ``set_aside`` — a supervisor of the level above decides: ``set_aside`` flags the rating set
  aside (never deleted; left out of the statistics), ``dismiss`` sends it back to rectification.

Overdue rectifications go to the level above: :mod:`sifa.evaluation.services.escalation`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sifa.core.errors import Conflict, Forbidden, NotFound
from sifa.deadlines.calendar import add_working_days, depends_on_provisional
from sifa.deadlines.db_calendar import DatabaseCalendar
from sifa.evaluation.models import Rating, Rectification, RectificationStatus
from sifa.evaluation.services.common import audit, check_text, invalid, text
from sifa.notifications.models import Channel as NotifyChannel
from sifa.notifications.services import notify
from sifa.organisations.models import Membership, Organisation, Role
from sifa.organisations.scope import Actor, actor_for, scoped

HANDLE_ROLES = (Role.SUPERVISOR, Role.CONSULTANT, Role.WINDOW_CLERK, Role.REVIEWER, Role.DECISION_MAKER)
"""Who works a rectification: staff of the organisation (or above) serving people."""
APPEAL_ROLES = (Role.SUPERVISOR,)
DECIDE_ROLES = (Role.SUPERVISOR,)
"""The level above's supervisors decide an appeal."""
TOLD_ROLES = (Role.SUPERVISOR,)

COMMANDS = ("callback", "report", "close", "appeal", "set_aside")
DECISIONS = ("set_aside", "dismiss")
NOTE_MAX = 500
OUTCOME_MAX = 2000


def callback_days() -> int:
    return int(settings.EVALUATION_CALLBACK_DAYS)


def rectify_days() -> int:
    return int(settings.EVALUATION_RECTIFY_DAYS)


def date_text(day: Any, provisional: bool = False) -> str:
    return f"{day.year}年{day.month}月{day.day}日" + ("（暂定）" if provisional else "")


def open_rectification(rating: Rating) -> Rectification:
    """Open the rectification of a 差评 (inside the rating's transaction)."""
    calendar = DatabaseCalendar()
    start = timezone.localdate(rating.created_at)
    limit, callback_limit = rectify_days(), callback_days()
    due = add_working_days(calendar, start, limit)
    callback_due = add_working_days(calendar, start, callback_limit) if rating.rater_named else None
    now = timezone.now()
    rectification = Rectification.objects.create(
        rating=rating,
        organisation=rating.organisation,
        scope_path=rating.scope_path,
        callback_due=callback_due,
        rectify_days=limit,
        callback_days=callback_limit,
        due_date=due,
        due_provisional=depends_on_provisional(calendar, start, due),
        created_at=now,
        updated_at=now,
    )
    audit(
        "rectification.open",
        None,
        organisation=rating.organisation,
        subject=rectification,
        scope_path=rectification.scope_path,
        detail={
            "rating": rating.pk,
            "due_date": due.isoformat(),
            "callback_due": callback_due.isoformat() if callback_due else None,
        },
    )
    context = {
        "number": rating.number,
        "level": rating.get_level_display(),
        "due": date_text(due, rectification.due_provisional),
    }
    for user in _members(rating.organisation, TOLD_ROLES):
        notify(
            user,
            "evaluation.bad_rating",
            context,
            channels=[NotifyChannel.IN_APP],
            related=("evaluation.rectification", str(rectification.pk)),
            link=workbench_link(rectification),
        )
    return rectification


def my_link(rectification: Rectification) -> str:
    """Where the rater sees the rectification of their rating in 我的空间."""
    rating = rectification.rating
    if rating.subject_kind == "application":
        return f"/me/applications/{rating.number}/"
    return "/me/"


def workbench_link(rectification: Rectification) -> str:
    """The workbench page of a rectification, where staff told of it work it."""
    return f"/workbench/rectifications/{rectification.pk}/"


def _members(organisation: Organisation, roles: tuple[str, ...]) -> list[Any]:
    rows = (
        Membership.objects.filter(organisation=organisation, role__in=roles, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    return list({m.user_id: m.user for m in rows}.values())


def _not_found() -> NotFound:
    return NotFound("未找到该差评整改", code="evaluation.rectification_not_found")


def _lock(actor: Actor, rectification_id: Any) -> Rectification:
    try:
        pk = int(rectification_id)
    except (TypeError, ValueError):
        raise _not_found() from None
    if not (actor.is_staff_actor or actor.is_superuser):
        raise _not_found()
    visible = scoped(Rectification.objects.all(), actor).filter(pk=pk)
    locked = (
        Rectification.objects.select_for_update(of=("self",))
        .filter(pk__in=visible.values("pk"))
        .select_related("rating", "rating__rater", "organisation")
        .first()
    )
    if locked is None:
        raise _not_found()
    return locked


def _may(actor: Actor, roles: tuple[str, ...], path: str, *, strictly_above: bool = False) -> bool:
    if actor.is_superuser:
        return True
    return any(path.startswith(p) and not (strictly_above and p == path) for p in actor.paths_for(roles))


def _acting(actor: Actor, roles: tuple[str, ...], path: str) -> Organisation | None:
    grants = [m for m in actor.memberships if m[2] in {str(r) for r in roles} and path.startswith(m[1])]
    if not grants:
        return None
    return Organisation.objects.get(pk=max(grants, key=lambda m: len(m[1]))[0])


def _save(rectification: Rectification, *fields: str) -> None:
    rectification.updated_at = timezone.now()
    rectification.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def command(
    user: Any, rectification_id: Any, name: str, *, text_value: str = "", decision: str = ""
) -> Rectification:
    """Run one command (:data:`COMMANDS`) on a rectification in the caller's scope (404 outside)."""
    actor = actor_for(user)
    rectification = _lock(actor, rectification_id)
    handler = {
        "callback": _callback,
        "report": _report,
        "close": _close,
        "appeal": _appeal,
        "set_aside": _set_aside,
    }.get(name)
    if handler is None:
        raise NotFound("没有该整改操作", code="evaluation.unknown_command")
    handler(user, actor, rectification, text(text_value), text(decision))
    return rectification


def _need(
    actor: Actor, roles: tuple[str, ...], rectification: Rectification, message: str, **kw: Any
) -> None:
    if not _may(actor, roles, rectification.scope_path, **kw):
        raise Forbidden(message, "evaluation.not_allowed")


def _check(field: str, label: str, value: str, low: int, high: int, code: str) -> None:
    errors: list[dict[str, str]] = []
    check_text(field, label, value, errors, low=low, high=high, code=code)
    if errors:
        raise invalid(errors)


def _audit(
    action: str, user: Any, actor: Actor, rectification: Rectification, roles: tuple[str, ...], detail: dict
) -> None:
    audit(
        f"rectification.{action}",
        user,
        organisation=_acting(actor, roles, rectification.scope_path) or rectification.organisation,
        subject=rectification,
        scope_path=rectification.scope_path,
        detail=detail,
    )


def _callback(user: Any, actor: Actor, rectification: Rectification, note: str, _decision: str) -> None:
    _need(actor, HANDLE_ROLES, rectification, "只有责任机构的工作人员可以登记回访")
    if not rectification.rating.rater_named:
        raise Conflict("evaluation.anonymous_rater", "匿名评价无法回访")
    if rectification.status != RectificationStatus.OPEN:
        raise Conflict("evaluation.not_open", "该整改已反馈或已办结，不能再登记回访")
    if rectification.callback_at is not None:
        raise Conflict("evaluation.already_called_back", "已登记回访")
    _check("text", "回访记录", note, 2, NOTE_MAX, "note_length")
    rectification.callback_at, rectification.callback_note = timezone.now(), note
    _save(rectification, "callback_at", "callback_note")
    late = rectification.callback_due is not None and timezone.localdate() > rectification.callback_due
    _audit("callback", user, actor, rectification, HANDLE_ROLES, {"late": late})


def _report(user: Any, actor: Actor, rectification: Rectification, outcome: str, _decision: str) -> None:
    _need(actor, HANDLE_ROLES, rectification, "只有责任机构的工作人员可以反馈整改情况")
    if rectification.status != RectificationStatus.OPEN:
        raise Conflict("evaluation.not_open", "只有待整改的差评可以反馈整改情况")
    if rectification.rating.rater_named and rectification.callback_at is None:
        raise Conflict("evaluation.callback_first", "实名差评须先回访评价人，再反馈整改情况")
    _check("text", "整改情况", outcome, 2, OUTCOME_MAX, "outcome_length")
    rectification.outcome, rectification.reported_at = outcome, timezone.now()
    rectification.status = RectificationStatus.REPORTED
    _save(rectification, "outcome", "reported_at", "status")
    _audit(
        "report",
        user,
        actor,
        rectification,
        HANDLE_ROLES,
        {"late": timezone.localdate() > rectification.due_date},
    )
    rater = rectification.rating.rater
    if rater is not None:
        notify(
            rater,
            "evaluation.reported",
            {
                "number": rectification.rating.number,
                "organisation": rectification.organisation.name,
                "outcome": outcome,
            },
            related=("evaluation.rectification", str(rectification.pk)),
            link=my_link(rectification),
        )


def _close(user: Any, actor: Actor, rectification: Rectification, _note: str, _decision: str) -> None:
    _need(actor, HANDLE_ROLES, rectification, "只有责任机构的工作人员可以办结整改")
    if rectification.status != RectificationStatus.REPORTED:
        raise Conflict("evaluation.not_reported", "反馈整改情况后才能办结")
    rectification.status, rectification.closed_at = RectificationStatus.CLOSED, timezone.now()
    _save(rectification, "status", "closed_at")
    _audit("close", user, actor, rectification, HANDLE_ROLES, {})


def _appeal(user: Any, actor: Actor, rectification: Rectification, evidence: str, _decision: str) -> None:
    _need(actor, APPEAL_ROLES, rectification, "只有责任机构的监督人员可以申诉")
    if rectification.status != RectificationStatus.OPEN:
        raise Conflict("evaluation.not_open", "只有待整改的差评可以申诉")
    if rectification.appealed_at is not None:
        raise Conflict("evaluation.already_appealed", "该差评已申诉过一次")
    if rectification.organisation.parent_id is None:  # no one above could ever decide it
        raise Conflict("evaluation.no_level_above", "本机构没有上级机构复核申诉，请直接整改并反馈整改情况")
    _check("text", "申诉理由和证据", evidence, 10, OUTCOME_MAX, "evidence_length")
    rectification.appeal_evidence, rectification.appealed_at = evidence, timezone.now()
    rectification.status = RectificationStatus.APPEALED
    _save(rectification, "appeal_evidence", "appealed_at", "status")
    _audit("appeal", user, actor, rectification, APPEAL_ROLES, {})


def _set_aside(user: Any, actor: Actor, rectification: Rectification, reason: str, decision: str) -> None:
    if not _may(actor, DECIDE_ROLES, rectification.organisation.path, strictly_above=True):
        raise Forbidden("申诉由上级机构的监督人员复核", "evaluation.not_allowed")
    if rectification.status != RectificationStatus.APPEALED:
        raise Conflict("evaluation.not_appealed", "只有申诉中的差评可以复核")
    decision = decision or "set_aside"
    if decision not in DECISIONS:
        raise invalid(
            [
                {
                    "field": "decision",
                    "code": "evaluation.bad_decision",
                    "message": "复核结论应为 set_aside（撤销差评）或 dismiss（驳回申诉）",
                }
            ]
        )
    _check("text", "复核意见", reason, 2, NOTE_MAX, "reason_length")
    rectification.decision_note = reason
    rectification.decided_by = (
        _acting(actor, DECIDE_ROLES, rectification.organisation.path) or rectification.organisation
    )
    if decision == "set_aside":
        rectification.status, rectification.closed_at = RectificationStatus.SET_ASIDE, timezone.now()
        rating = rectification.rating
        rating.set_aside = True
        rating.save(update_fields=["set_aside"])
    else:
        rectification.status = RectificationStatus.OPEN
    _save(rectification, "decision_note", "decided_by", "status", "closed_at")
    audit(
        f"rectification.{'set_aside' if decision == 'set_aside' else 'dismiss'}",
        user,
        organisation=rectification.decided_by,
        subject=rectification,
        scope_path=rectification.decided_by.path,
        detail={"rating": rectification.rating_id},
    )
