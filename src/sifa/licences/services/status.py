"""A licence's status: 停止执业, 恢复执业, 吊销, 注销 — with reason and date; atomic and audited.

The plain commands (:func:`suspend`, :func:`reinstate`, :func:`revoke`, :func:`cancel`) change the
status; :func:`change_status` is the staff entry point (API and workbench), which also checks the
effective date and tells the holder (``licence.status_changed``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.core.errors import ServiceError
from sifa.licences.models import Licence, LicenceStatus
from sifa.licences.services.common import (
    ACTIONS_FROM,
    audit,
    check_issuing_permission,
    clean_reason,
    locked,
    require_decider,
)
from sifa.notifications.services import notify

STATUS_CHANGED_EVENT = "licence.status_changed"


TARGET_STATUS = {
    "suspend": LicenceStatus.SUSPENDED,
    "reinstate": LicenceStatus.VALID,
    "revoke": LicenceStatus.REVOKED,
    "cancel": LicenceStatus.CANCELLED,
}
"""The status each status action sets; the statuses it starts from are ``ACTIONS_FROM``."""


def _set_status(
    licence: Licence,
    action: str,
    *,
    actor: Any,
    reason: str,
    on: dt.date | None = None,
    until: dt.date | None = None,
) -> Licence:
    status = TARGET_STATUS[action]
    reason = clean_reason(reason)
    check_issuing_permission(actor, licence.issuer)
    with transaction.atomic():
        row = locked(licence, ACTIONS_FROM[action], "licence.bad_transition", f"不能改为“{status.label}”")
        row.status = status
        row.status_reason = reason
        row.status_date = on or timezone.localdate()
        row.suspended_until = until if status == LicenceStatus.SUSPENDED else None
        row.save(update_fields=["status", "status_reason", "status_date", "suspended_until"])
        audit(f"licence.{status}", row, actor, reason=reason)
    return row


def suspend(
    licence: Licence, *, actor: Any, reason: str, until: dt.date | None = None, on: dt.date | None = None
) -> Licence:
    """停止执业 (律师法 §49 等): the licence reads as suspended until reinstated."""
    return _set_status(licence, "suspend", actor=actor, reason=reason, on=on, until=until)


def reinstate(licence: Licence, *, actor: Any, reason: str, on: dt.date | None = None) -> Licence:
    """The end of a 停止执业 period."""
    return _set_status(licence, "reinstate", actor=actor, reason=reason, on=on)


def revoke(licence: Licence, *, actor: Any, reason: str, on: dt.date | None = None) -> Licence:
    """吊销 (a penalty, 行政处罚法 §9). Final: visible on /verify at once."""
    return _set_status(licence, "revoke", actor=actor, reason=reason, on=on)


def cancel(licence: Licence, *, actor: Any, reason: str, on: dt.date | None = None) -> Licence:
    """注销 (行政许可法 §70: the holder gave it up, died, the firm closed …). Final."""
    return _set_status(licence, "cancel", actor=actor, reason=reason, on=on)


STATUS_ACTIONS: dict[str, Any] = {
    "revoke": revoke,
    "cancel": cancel,
    "suspend": suspend,
    "reinstate": reinstate,
}
"""The staff actions that change the status, by name (``services.common.ACTION_LABELS``)."""


def _effective_on(licence: Licence, on: dt.date | None) -> dt.date:
    """The status takes effect now, so its recorded date may be earlier (a decision made before it
    was entered) but never later than today, and never before the licence existed."""
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ServiceError(
            "licence.effective_date_future",
            "生效日期不能晚于今天（状态在确认后立即生效）",
            errors=[{"field": "effective_date", "code": "licence.effective_date_future",
                     "message": "生效日期不能晚于今天（状态在确认后立即生效）"}],
        )  # fmt: skip
    if on < licence.issue_date:
        message = f"生效日期不能早于证照颁发日期（{licence.issue_date:%Y-%m-%d}）"
        raise ServiceError(
            "licence.effective_date_early",
            message,
            errors=[{"field": "effective_date", "code": "licence.effective_date_early", "message": message}],
        )
    return on


def _suspended_until(on: dt.date, until: dt.date | None) -> dt.date | None:
    if until is not None and (until <= on or until < timezone.localdate()):
        message = "停止执业截止日期应晚于生效日期，且不能早于今天"
        raise ServiceError(
            "licence.bad_suspension_end",
            message,
            errors=[{"field": "until", "code": "licence.bad_suspension_end", "message": message}],
        )
    return until


def notify_status_changed(licence: Licence) -> bool:
    """Tell the holder their licence's status changed, in the command's transaction (the outbox
    row commits with the change or not at all); False for a licence whose holder has no account."""
    if licence.holder_id is None:
        return False
    notify(
        licence.holder,
        STATUS_CHANGED_EVENT,
        {
            "licence_name": licence.name,
            "licence_id": licence.identifier,
            "licence_number": licence.number,
            "status_label": licence.get_status_display(),
            "reason": licence.status_reason,
            "effective_date": f"{licence.status_date:%Y-%m-%d}",
            "until": f"{licence.suspended_until:%Y-%m-%d}" if licence.suspended_until else "",
        },
        related=("licence", str(licence.id)),
        link=f"/verify/{licence.identifier}",
    )
    return True


def change_status(
    licence: Licence,
    action: str,
    *,
    actor: Any,
    reason: str,
    effective_date: dt.date | None = None,
    until: dt.date | None = None,
) -> Licence:
    """吊销 / 注销 / 停止执业 / 恢复执业 by a decision maker, audited, the holder notified."""
    if action not in STATUS_ACTIONS:
        raise ServiceError("licence.unknown_action", "不支持该证照操作")
    require_decider(actor, licence, action)
    on = _effective_on(licence, effective_date)
    extra = {"until": _suspended_until(on, until)} if action == "suspend" else {}
    with transaction.atomic():
        changed = STATUS_ACTIONS[action](licence, actor=actor, reason=reason, on=on, **extra)
        notify_status_changed(changed)
    return changed
