"""The recipient's side of a message: marking it read."""

from __future__ import annotations

import uuid

from django.utils import timezone

from sifa.accounts.models import User
from sifa.core.errors import NotFound
from sifa.notifications.models import Notification


def mark_read(user: User, public_id: str) -> Notification:
    """Mark one of the user's own messages read (the first reading time is kept)."""
    try:
        notification = Notification.objects.get(public_id=uuid.UUID(str(public_id)), recipient_id=user.pk)
    except (Notification.DoesNotExist, ValueError):
        raise NotFound("未找到该消息", code="notifications.message_not_found") from None
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification
