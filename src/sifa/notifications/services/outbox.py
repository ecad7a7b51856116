"""The outbox: write a notification with its deliveries, and put a failed delivery back in it.

:func:`notify` is what every other app calls. It writes into the caller's transaction and starts
delivery only after that transaction commits (``transaction.on_commit``), so a command that rolls
back sends nothing, and a committed one never loses its message: if the enqueue is lost, the
periodic ``sifa deliver-notifications`` sweep still finds the pending rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from sifa.accounts.models import User
from sifa.audit.services import record
from sifa.core.crypto import field_cipher
from sifa.core.db import FixedInsert, fixed_cursor
from sifa.core.errors import Conflict, Forbidden
from sifa.core.masking import mask_phone
from sifa.notifications import tasks
from sifa.notifications.channels import get_channel
from sifa.notifications.events import NotificationError, get_event, render
from sifa.notifications.models import TROUBLE_STATUSES, Channel, Delivery, DeliveryStatus, Notification
from sifa.notifications.selectors import MONITOR_ROLES, delivery_in_scope, monitoring_role_for
from sifa.organisations.scope import actor_for

Related = tuple[str, str] | models.Model | None


def _related_ref(related: Related) -> tuple[str, str]:
    if related is None:
        return "", ""
    if isinstance(related, tuple):
        return str(related[0]), str(related[1])
    public = getattr(related, "public_id", None) or getattr(related, "number", None)
    if not public:
        raise NotificationError(
            "notifications.related_without_public_id", "关联对象没有公开标识，不能写入通知", status=500
        )
    return related._meta.label_lower, str(public)


def notify(
    recipient: User,
    event: str,
    context: Mapping[str, Any] | None = None,
    *,
    channels: Iterable[str] | None = None,
    related: Related = None,
    link: str = "",
    savepoint: bool = True,
) -> Notification:
    """Write one notification and its deliveries in the caller's transaction.

    ``channels`` defaults to the event's channels; a channel the recipient cannot be reached on
    (no e-mail address, no phone number) is skipped. Unknown events, channels or missing context
    are refused here, so the caller's command fails loudly instead of a message vanishing later.

    ``savepoint=False``: no savepoint of its own inside the caller's transaction (two statements
    fewer), for a caller whose transaction rolls back as a whole when this fails.
    """
    template = get_event(event)
    wanted = list(dict.fromkeys(channels if channels is not None else template.channels))
    unknown = [name for name in wanted if name not in Channel.values]
    if unknown:
        raise NotificationError(
            "notifications.unknown_channel", f"未知的通知渠道：{'、'.join(unknown)}", status=500
        )
    rendered = render(event, context or {})
    related_type, related_id = _related_ref(related)
    now = timezone.now()
    with transaction.atomic(savepoint=savepoint):
        notification = Notification(
            recipient=recipient,
            event=event,
            title=rendered.title[:200],
            body=rendered.body,
            sms_text=rendered.sms if Channel.SMS in wanted else "",
            link=link,
            related_type=related_type,
            related_id=related_id,
            scope_path=recipient.scope_path,
            created_at=now,
        )
        _insert_notification(notification)
        deliveries: list[Delivery] = []
        for name in wanted:
            channel = get_channel(name)
            if not channel.reachable(recipient):
                continue
            delivery = Delivery(notification=notification, channel=name, next_attempt_at=now, created_at=now)
            if channel.sends_in_transaction:
                channel.send(delivery)
                delivery.status, delivery.attempts, delivery.sent_at = DeliveryStatus.SENT, 1, now
            deliveries.append(delivery)
        # One INSERT for all the channels (ids returned on PostgreSQL and SQLite ≥ 3.35).
        _insert_deliveries(deliveries)
        outbox = [d.pk for d in deliveries if d.status == DeliveryStatus.PENDING]
        if outbox:
            transaction.on_commit(partial(tasks.enqueue_delivery, outbox), robust=True)
    return notification


_NOTIFICATION = FixedInsert(Notification)
_DELIVERY = FixedInsert(Delivery)
_DELIVERIES_SQL: dict[tuple[str, int], str] = {}


def _insert_notification(notification: Notification) -> None:
    """``notification.save(force_insert=True)`` (no save override or signals) as one statement
    built once per database (``FixedInsert``): the same row, its key returned."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    with fixed_cursor(db) as cursor:
        cursor.execute(_NOTIFICATION.sql(db), _NOTIFICATION.params(notification, db))
        _NOTIFICATION.saved(notification, cursor, db)


def _insert_deliveries(deliveries: list[Delivery]) -> None:
    """``Delivery.objects.bulk_create(deliveries)``: one multi-row INSERT built once per database
    and number of rows, each value prepared as that insert prepares it, the keys returned in the
    rows' order (as ``bulk_create`` takes them, where the database returns them; else
    ``bulk_create`` itself)."""
    if not deliveries:
        return
    db = connections[DEFAULT_DB_ALIAS]
    if not db.features.can_return_rows_from_bulk_insert:
        Delivery.objects.bulk_create(deliveries)
        return
    key = (db.vendor, len(deliveries))
    sql = _DELIVERIES_SQL.get(key)
    if sql is None:
        quote = db.ops.quote_name
        meta = Delivery._meta
        columns = ", ".join(quote(field.column) for field in _DELIVERY.fields)
        row = "(" + ", ".join(["%s"] * len(_DELIVERY.fields)) + ")"
        sql = _DELIVERIES_SQL[key] = (
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(deliveries))} "  # noqa: S608
            f"RETURNING {quote(meta.pk.column)}"
        )
    params: list[Any] = []
    for delivery in deliveries:
        params += _DELIVERY.params(delivery, db)
    with fixed_cursor(db) as cursor:
        cursor.execute(sql, params)
        keys = cursor.fetchall()
    for delivery, (pk,) in zip(deliveries, keys, strict=True):
        delivery.pk = pk
        delivery._state.adding = False
        delivery._state.db = db.alias


def notify_phone(
    phone: str,
    event: str,
    context: Mapping[str, Any] | None = None,
    *,
    scope_path: str,
    related: Related = None,
    link: str = "",
) -> Notification:
    """Write an SMS to a number that has no account (a 12348 caller), in the caller's transaction.

    The number is sealed on the message (SM4-GCM, the row's UUID as associated data) and shown
    masked to operators; ``scope_path`` is the jurisdiction of the record it is about, so the
    failed-deliveries view shows it to the right supervisors. Delivery, retries and resend are
    those of every other SMS.
    """
    phone = str(phone or "").strip()
    if not phone:
        raise NotificationError("notifications.no_phone", "没有接收短信的手机号码", status=500)
    template = get_event(event)
    if Channel.SMS not in template.channels:
        raise NotificationError(
            "notifications.no_sms_text", f"事件{event}没有短信内容，不能发给没有账户的号码", status=500
        )
    rendered = render(event, context or {})
    related_type, related_id = _related_ref(related)
    now = timezone.now()
    with transaction.atomic():
        notification = Notification(
            recipient=None,
            event=event,
            title=rendered.title[:200],
            body=rendered.body,
            sms_text=rendered.sms,
            link=link,
            related_type=related_type,
            related_id=related_id,
            scope_path=scope_path,
            created_at=now,
            phone_masked=mask_phone(phone),
        )
        notification.phone_enc = field_cipher().seal(phone, notification.phone_aad)
        notification.save(force_insert=True)
        delivery = Delivery.objects.create(
            notification=notification, channel=Channel.SMS, next_attempt_at=now, created_at=now
        )
        transaction.on_commit(partial(tasks.enqueue_delivery, [delivery.pk]), robust=True)
    return notification


def resend(delivery: Delivery | str, actor: User) -> Delivery:
    """Put a failed or dead delivery back in the queue with a fresh attempt budget (audited).

    Only supervisors and system administrators whose jurisdiction covers the recipient may do it;
    for anyone else a delivery outside their jurisdiction does not exist (404).
    """
    scope_actor = actor_for(actor)
    if not (scope_actor.is_superuser or scope_actor.has_role(*MONITOR_ROLES)):
        raise Forbidden("只有监督人员或系统管理员可以重新发送消息", code="notifications.resend_forbidden")
    public_id = delivery.public_id if isinstance(delivery, Delivery) else delivery
    with transaction.atomic():
        target = delivery_in_scope(scope_actor, str(public_id), for_update=True)
        if target.status not in TROUBLE_STATUSES:
            raise Conflict(
                "notifications.not_failed",
                f"该消息当前状态为“{target.get_status_display()}”，只有发送失败的消息可以重新发送",
            )
        previous = {"status": target.status, "attempts": target.attempts, "last_error": target.last_error}
        now = timezone.now()
        Delivery.objects.filter(pk=target.pk, status__in=TROUBLE_STATUSES).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, claimed_at=None
        )
        target.refresh_from_db()
        membership = monitoring_role_for(scope_actor, target.notification.scope_path)
        record(
            "notifications.delivery.resend",
            actor=actor,
            organisation=membership[0] if membership else None,
            role=membership[1] if membership else "",
            subject=target,
            scope_path=target.notification.scope_path,
            detail={"channel": target.channel, "event": target.notification.event, "previous": previous},
        )
        transaction.on_commit(partial(tasks.enqueue_delivery, [target.pk]), robust=True)
    return target
