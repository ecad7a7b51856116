"""What the security administrator does with an incident: 确认, 处置（记录措施）, 关闭（处置结果）.

Status moves 新建 → 已确认 → 处置中 → 已关闭 (处置 may be recorded several times; 关闭 from 已确认 or
处置中). Only a 安全管理员 (三员分立: not the system or audit administrator, not a superuser)
whose organisation's subtree holds the incident may act; platform-wide incidents (no
jurisdiction: an address, the audit chain) are every security administrator's. Each command is
one transaction with its audit event and a timeline entry.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sifa.audit import services as audit
from sifa.core.errors import NotFound, ServiceError
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor, actor_for
from sifa.security.models import ActionKind, Incident, IncidentAction, IncidentStatus

NOTE_MAX = 2000


class IncidentError(ServiceError):
    """A refused incident command (wrong status, missing text)."""


def is_security_admin(actor: Actor) -> bool:
    return actor.has_role(Role.SECURITY_ADMIN)


def may_handle(actor: Actor, incident: Incident) -> bool:
    paths = actor.paths_for([Role.SECURITY_ADMIN])
    return bool(paths) and (not incident.scope_path or any(incident.scope_path.startswith(p) for p in paths))


def _load(user, public_id) -> Incident:
    actor = actor_for(user)
    try:
        incident = Incident.objects.select_for_update().get(public_id=public_id)
    except (Incident.DoesNotExist, ValueError, TypeError):
        raise NotFound("未找到该安全事件单", code="security.incident_not_found") from None
    if not may_handle(actor, incident):
        raise NotFound("未找到该安全事件单", code="security.incident_not_found")
    return incident


def _text(value: str, *, field: str, label: str) -> str:
    text = (value or "").strip()
    if not text:
        raise IncidentError(
            f"security.{field}_required",
            f"请填写{label}",
            errors=[{"field": field, "code": f"security.{field}_required", "message": f"请填写{label}"}],
        )
    if len(text) > NOTE_MAX:
        message = f"{label}不能超过 {NOTE_MAX} 字"
        raise IncidentError(
            f"security.{field}_too_long",
            message,
            errors=[{"field": field, "code": f"security.{field}_too_long", "message": message}],
        )
    return text


def _refuse_status(incident: Incident, doing: str) -> IncidentError:
    return IncidentError(
        "security.incident_status",
        f"该安全事件单当前为“{incident.get_status_display()}”，不能{doing}",
        status=409,
    )


def _record(incident: Incident, user, kind: str, note: str, action: str) -> None:
    IncidentAction.objects.create(incident=incident, at=timezone.now(), kind=kind, actor=user, note=note)
    audit.record(
        action,
        actor=user,
        subject=incident,
        scope_path=incident.scope_path,
        role=Role.SECURITY_ADMIN,
        detail={"rule": incident.rule, "status": incident.status},
    )


def acknowledge(user, public_id) -> Incident:
    """确认: the security administrator takes the incident (becomes its owner)."""
    with transaction.atomic():
        incident = _load(user, public_id)
        if incident.status != IncidentStatus.NEW:
            raise _refuse_status(incident, "确认")
        incident.status = IncidentStatus.ACKNOWLEDGED
        incident.owner = user
        incident.save(update_fields=["status", "owner"])
        _record(incident, user, ActionKind.ACKNOWLEDGED, "", "security.incident_acknowledged")
    return incident


def handle(user, public_id, measures: str) -> Incident:
    """处置: record a measure taken (may be recorded more than once)."""
    with transaction.atomic():
        incident = _load(user, public_id)
        if incident.status not in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.HANDLING):
            raise _refuse_status(incident, "记录处置措施（请先确认）")
        text = _text(measures, field="measures", label="处置措施")
        incident.status = IncidentStatus.HANDLING
        incident.owner = incident.owner or user
        incident.save(update_fields=["status", "owner"])
        _record(incident, user, ActionKind.HANDLING, text, "security.incident_handled")
    return incident


def close(user, public_id, outcome: str) -> Incident:
    """关闭: the outcome (处置结果) is required; later events raise a new incident."""
    with transaction.atomic():
        incident = _load(user, public_id)
        if incident.status not in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.HANDLING):
            raise _refuse_status(incident, "关闭（请先确认）")
        text = _text(outcome, field="outcome", label="处置结果")
        incident.status = IncidentStatus.CLOSED
        incident.outcome = text
        incident.closed_at = timezone.now()
        incident.owner = incident.owner or user
        incident.save(update_fields=["status", "outcome", "closed_at", "owner"])
        _record(incident, user, ActionKind.CLOSED, text, "security.incident_closed")
    return incident
