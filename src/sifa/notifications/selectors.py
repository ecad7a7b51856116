"""Read queries of the notifications app, always limited to what the caller may see."""

from __future__ import annotations

import uuid

from django.db.models import Case, Count, IntegerField, Min, Q, QuerySet, Value, When
from django.utils import timezone

from sifa.accounts.models import User
from sifa.core.errors import Forbidden, NotFound
from sifa.notifications.models import TROUBLE_STATUSES, Delivery, DeliveryStatus, Notification
from sifa.organisations.scope import Actor, Role, scoped

MONITOR_ROLES = (Role.SUPERVISOR, Role.SYSTEM_ADMIN)
"""Who watches deliveries: supervisors (监督) and system administrators (系统管理员, 三员分立)."""


def my_messages(user: User, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own in-app messages: unread first, newest first within each group.

    Strictly the recipient's rows, not the wider scope rule: staff read their own inbox here.
    """
    messages = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return messages.order_by(unread_first, "-created_at", "-pk")


def _require_monitor(actor: Actor) -> None:
    if not (actor.is_superuser or actor.has_role(*MONITOR_ROLES)):
        raise Forbidden("只有监督人员或系统管理员可以查看发送失败的消息", code="notifications.monitor_only")


def failed_deliveries(
    actor: Actor, *, status: str | None = None, channel: str | None = None
) -> QuerySet[Delivery]:
    """Failed and dead deliveries whose recipient lies in the actor's supervisory jurisdiction."""
    _require_monitor(actor)
    deliveries = scoped(Delivery.objects.filter(status__in=TROUBLE_STATUSES), actor, roles=MONITOR_ROLES)
    if status:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    return deliveries.select_related("notification__recipient").order_by("-next_attempt_at", "-pk")


def delivery_in_scope(actor: Actor, public_id: str, *, for_update: bool = False) -> Delivery:
    """One delivery the actor may manage, or 404 (also when it exists outside their jurisdiction)."""
    _require_monitor(actor)
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFound("未找到该投递记录", code="notifications.delivery_not_found") from None
    deliveries = scoped(Delivery.objects.all(), actor, roles=MONITOR_ROLES)
    if for_update:
        deliveries = deliveries.select_for_update(of=("self",))
    delivery = deliveries.select_related("notification__recipient").filter(public_id=key).first()
    if delivery is None:
        raise NotFound("未找到该投递记录", code="notifications.delivery_not_found")
    return delivery


def monitoring_role_for(actor: Actor, scope_path: str) -> tuple[int, str] | None:
    """(organisation id, role) of the membership that lets ``actor`` manage rows at ``scope_path``."""
    wanted = {str(role) for role in MONITOR_ROLES}
    for organisation_id, path, role in actor.memberships:
        if role in wanted and scope_path.startswith(path):
            return organisation_id, role
    return None


def outbox_backlog() -> dict[str, object]:
    """The delivery outbox's backlog for ``/readyz``: counts and the oldest waiting delivery's age,
    no rows (one aggregate over the ``delivery_due`` index's leading ``status``; not scoped: no
    personal data leaves it)."""
    waiting = (DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.SENDING)
    figures = Delivery.objects.filter(status__in=(*waiting, DeliveryStatus.DEAD)).aggregate(
        pending=Count("pk", filter=Q(status__in=waiting)),
        dead=Count("pk", filter=Q(status=DeliveryStatus.DEAD)),
        oldest=Min("created_at", filter=Q(status__in=waiting)),
    )
    return _backlog(figures)


def _backlog(figures: dict[str, object]) -> dict[str, object]:
    oldest = figures["oldest"]
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"pending": figures["pending"], "dead": figures["dead"], "oldest_pending_age_seconds": max(0, age)}
