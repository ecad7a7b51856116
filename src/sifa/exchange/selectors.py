"""Reads of the exchange gateway for staff, scoped in SQL. Nothing here writes.

* :func:`registry` — the partners with their keys and services (数据交换管理员, system and security
  administrators);
* :func:`messages` — the message log of the caller's jurisdiction (``scoped``: the subtree of
  their organisations), filtered by case number and status; metadata only, never a body.
* :func:`dead_letters`, :func:`item_in_scope`, :func:`case_messages` — the outbox of the caller's
  jurisdiction: its dead letters, one item by message id, and a case's outgoing messages with the
  case view's words (已发送 / 待对方确认 / 失败需人工处理).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from sifa.core.errors import Forbidden, NotFound, ServiceError
from sifa.exchange.models import (
    ExchangeMessage,
    MessageStatus,
    OutboxItem,
    OutboxStatus,
    Partner,
    PartnerService,
)
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor, scoped

CASE_MAX = 60


def _staff_only(actor: Actor) -> None:
    if not (actor.is_superuser or actor.is_staff_actor):
        raise Forbidden("数据交换记录仅供工作人员查询", "exchange.staff_only")


REGISTRY_ROLES = (Role.EXCHANGE_OPERATOR, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)
"""Who reads the partner registry (partners, keys, services): the 数据交换管理员, and the system
and security administrators who register partners and their keys (``sifa exchange add-key``)."""


def registry(actor: Actor) -> dict[str, Any]:
    _staff_only(actor)
    if not (actor.is_superuser or actor.has_role(*REGISTRY_ROLES)):
        raise Forbidden(
            "交换伙伴登记仅供数据交换管理员、系统管理员和安全管理员查询", "exchange.registry_forbidden"
        )
    partners = Partner.objects.prefetch_related("keys", "services").order_by("kind", "name")
    own = PartnerService.objects.filter(provider__isnull=True).order_by("code", "version")
    return {
        "partners": [
            {
                "name": p.name,
                "uscc": p.uscc,
                "kind": p.kind,
                "kind_label": p.get_kind_display(),
                "is_active": p.is_active,
                "is_demo": p.is_demo,
                "keys": [
                    {
                        "key_id": k.key_id,
                        "algorithm": k.algorithm,
                        "public_key_pem": k.public_key_pem,
                        "valid_from": k.valid_from,
                        "valid_until": k.valid_until,
                    }
                    for k in p.keys.all()
                ],
                "services": [_service(s) for s in p.services.all()],
            }
            for p in partners
        ],
        "services": [_service(s) for s in own],
    }


def _service(service: PartnerService) -> dict[str, Any]:
    return {
        "code": service.code,
        "version": service.version,
        "name": service.name,
        "purpose": service.purpose,
        "legal_basis": service.legal_basis,
        "allowed_callers": service.allowed_callers,
        "request_schema": service.request_schema,
        "response_schema": service.response_schema,
    }


def messages(actor: Actor, *, case: str = "", status: str = "") -> QuerySet[ExchangeMessage]:
    _staff_only(actor)
    if status and status not in MessageStatus.values:
        raise ServiceError("exchange.bad_status", "状态应为 received、answered 或 sent")
    if len(case) > CASE_MAX:
        raise ServiceError("exchange.bad_case", "案件编号过长")
    rows = scoped(ExchangeMessage.objects.all(), actor)
    if case:
        # ``case_number <> ''`` is implied by the case asked for; stated, so that SQLite's planner
        # may use the partial index on the case numbers that are set (ADR 0018).
        rows = rows.filter(case_number=case).exclude(case_number="")
    if status:
        rows = rows.filter(status=status)
    return rows.select_related("partner", "outbox", "link").order_by("-recorded_at", "-id")


def summary(row: ExchangeMessage) -> dict[str, Any]:
    return {
        "message_id": str(row.message_id),
        "correlation_id": str(row.correlation_id) if row.correlation_id else None,
        "direction": row.direction,
        "kind": row.kind,
        "status": row.status,
        "status_label": row.get_status_display(),
        "service": {"code": row.service_code, "version": row.service_version},
        "sender": row.sender,
        "receiver": row.receiver,
        "partner": row.partner.name if row.partner else None,
        "case_number": row.case_number,
        "purpose": row.purpose,
        "sent_at": row.sent_at,
        "recorded_at": row.recorded_at,
        "key_id": row.key_id,
        "body_digest": row.body_digest,
        "seq": row.seq,
        "copy_number": row.copy_number,
        "delivery": _delivery(row),
    }


def _delivery(row: ExchangeMessage) -> dict[str, Any] | None:
    """An outgoing message's place in the outbox (``None`` for the others)."""
    try:
        item = row.outbox
    except OutboxItem.DoesNotExist:
        return None
    return {
        "status": item.status,
        "status_label": item.get_status_display(),
        "case_label": CASE_LABELS[OutboxStatus(item.status)],
        "attempts": item.attempts,
        "confirmed_at": item.confirmed_at,
    }


# --- the outbox -----------------------------------------------------------------------------------

CASE_LABELS = {
    OutboxStatus.CONFIRMED: "已发送",
    OutboxStatus.PENDING: "待对方确认",
    OutboxStatus.SENDING: "待对方确认",
    OutboxStatus.UNSIGNED: "待对方确认",
    OutboxStatus.DEAD: "失败需人工处理",
}
"""The three words the case view shows (the outbox's own statuses are finer)."""


def dead_letters(actor: Actor) -> QuerySet[OutboxItem]:
    """The dead letters of the actor's jurisdiction, scoped in SQL."""
    _staff_only(actor)
    return (
        scoped(OutboxItem.objects.filter(status=OutboxStatus.DEAD), actor)
        .select_related("partner", "organisation")
        .order_by("-dead_at", "-id")
    )


def item_in_scope(actor: Actor, message_id: str, *, for_update: bool = False) -> OutboxItem:
    """One outgoing message by its message id; outside the actor's jurisdiction it does not exist."""
    _staff_only(actor)
    try:
        key = uuid.UUID(str(message_id))
    except ValueError:
        raise NotFound("未找到该交换消息", code="exchange.not_found") from None
    rows = scoped(OutboxItem.objects.filter(message_id=key), actor)
    if for_update:
        rows = rows.select_for_update()
    item = rows.select_related("partner", "organisation").first()
    if item is None:
        raise NotFound("未找到该交换消息", code="exchange.not_found")
    return item


def case_messages(actor: Actor, case_number: str) -> list[dict[str, Any]]:
    """The outgoing messages of one case in the actor's jurisdiction, with the case view's words."""
    if not case_number or not (actor.is_superuser or actor.is_staff_actor):
        return []
    rows = scoped(OutboxItem.objects.filter(case_number=case_number), actor).select_related("partner")
    return [
        {
            "message_id": str(item.message_id),
            "service": item.service_code,
            "partner": item.partner.name,
            "status": item.status,
            "label": CASE_LABELS[OutboxStatus(item.status)],
            "queued_at": item.queued_at,
            "confirmed_at": item.confirmed_at,
        }
        for item in rows.order_by("queued_at", "pk")
    ]


def outbox_backlog() -> dict[str, object]:
    """The exchange outbox's backlog for ``/readyz``: waiting (待签名, 待对方确认, 发送中) and dead
    letters (失败需人工处理), and the oldest waiting item's age in seconds. One aggregate over the
    indexed ``status``; no rows, no partner data."""
    waiting = (OutboxStatus.UNSIGNED, OutboxStatus.PENDING, OutboxStatus.SENDING)
    figures = OutboxItem.objects.filter(status__in=(*waiting, OutboxStatus.DEAD)).aggregate(
        pending=Count("pk", filter=Q(status__in=waiting)),
        dead=Count("pk", filter=Q(status=OutboxStatus.DEAD)),
        oldest=Min("queued_at", filter=Q(status__in=waiting)),
    )
    oldest = figures["oldest"]
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"pending": figures["pending"], "dead": figures["dead"], "oldest_pending_age_seconds": max(0, age)}
