"""Notifications: the message itself (also the in-app inbox row) and one delivery per channel.

The two tables are the transactional outbox (ARCHITECTURE.md decision 3): a command writes them in
its own transaction, so a rolled-back command leaves nothing to send, and a committed one always
leaves something the worker (or the periodic sweep) will find.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sifa.core.crypto import field_cipher
from sifa.core.db import PathField
from sifa.core.masking import mask_name


class Channel(models.TextChoices):
    IN_APP = "in_app", "站内消息"
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败（等待重试）"
    DEAD = "dead", "发送失败（已停止重试）"


DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
"""Statuses a worker may claim once ``next_attempt_at`` has passed."""

TROUBLE_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.DEAD)
"""Statuses listed in the failed-deliveries view and accepted by a manual resend."""


class Notification(models.Model):
    """One message to one user about one event. Its title and body are rendered once, at notify
    time, from the event's Chinese template, so a later template edit never rewrites history."""

    data_class = "personal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
        help_text="Empty for a message to a phone number without an account (a 12348 caller): see phone_enc",
    )
    phone_enc = models.BinaryField(
        "接收号码（密文）",
        null=True,
        editable=False,
        help_text="Only for a message without an account: the number, sealed (SM4-GCM) with the row's UUID",
    )
    phone_masked = models.CharField("接收号码（脱敏）", max_length=20, blank=True, editable=False)
    event = models.CharField(
        "事件代码",
        max_length=64,
        help_text="Registered event code, e.g. application.accepted (see events.py).",
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文")
    sms_text = models.CharField(
        "短信内容",
        max_length=200,
        blank=True,
        help_text="Plain text with the 【司法行政】 signature, at most 70 characters (one SMS segment).",
    )
    link = models.CharField(
        "链接", max_length=500, blank=True, help_text="Site-relative path, e.g. /me/applications/…"
    )
    related_type = models.CharField("关联对象类型", max_length=64, blank=True)
    related_id = models.CharField("关联对象标识", max_length=64, blank=True)
    scope_path = PathField(
        "管辖路径",
        db_index=True,
        blank=True,
        default="",
        help_text="Copied from the recipient at notify time.",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def phone_aad(self) -> str:
        return f"notifications.Notification:{self.public_id}:phone"

    def reveal_phone(self) -> str:
        """The number of a message without an account, in clear text (only the SMS channel asks)."""
        return field_cipher().open(self.phone_enc, self.phone_aad) if self.phone_enc else ""

    @property
    def recipient_label(self) -> str:
        """Who it goes to, for operators: the account's masked name, or the masked number."""
        if self.recipient_id is None:
            return self.phone_masked
        return mask_name(self.recipient.display_name)


class Delivery(models.Model):
    """Sending one notification over one channel: attempts, back-off, outcome.

    ``last_error`` is written for operators and never holds personal data (numbers and addresses
    are masked before saving, see ``sifa.notifications.redaction``).
    """

    data_class = "personal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    notification = models.ForeignKey(
        Notification, verbose_name="消息", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    status = models.CharField(
        "状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间", default=timezone.now)
    claimed_at = models.DateTimeField(
        "领取时间", null=True, blank=True, help_text="When a worker took it; a stale claim is retried."
    )
    last_error = models.CharField("最近错误", max_length=500, blank=True)
    provider_message_id = models.CharField("渠道消息标识", max_length=200, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "消息投递"
        verbose_name_plural = "消息投递"
        constraints = [
            models.UniqueConstraint(fields=["notification", "channel"], name="delivery_one_per_channel"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_status_display()}"
