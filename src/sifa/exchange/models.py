"""The exchange gateway's records (docs/exchange.md).

* ``Partner`` — a partner organisation (公安、法院、检察院) with its USCC.
* ``PartnerService`` — a service one side offers: code + version, the JSON Schemas of request and
  response, who may call it (deny by default), purpose and legal basis. ``provider`` empty means
  Sifa offers it and partners call it.
* ``PartnerKey`` — a partner's SM2 public key; several per partner (rotation): the key named in a
  message must have been valid at the message's time.
* ``ExchangeMessage`` — the message log: every request, response and receipt, in or out, with its
  signed header and signature as evidence, SM3 hash-chained in batches (each row's
  ``MessageLink`` — ``seq``, ``prev_hash``, ``hash`` — is inserted when a batch chains it; ADR
  0023). ID numbers never appear in clear: the body is kept sealed (SM4-GCM) and as a masked copy.
* ``MessageLink`` — the chain of the message log, insert-only.
* ``Rejection`` — every refused inbound message with its stable reason code.

Endpoints are not stored here: they come from ``SIFA_EXCHANGE_ENDPOINTS`` only.
"""

from __future__ import annotations

import uuid

from django.db import models

from sifa.core.db import PathField


class PartnerKind(models.TextChoices):
    POLICE = "police", "公安"
    COURT = "court", "法院"
    PROCURATORATE = "procuratorate", "检察院"


class Partner(models.Model):
    """A partner organisation on the exchange."""

    data_class = "internal"

    name = models.CharField("名称", max_length=100)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    kind = models.CharField("类别", max_length=20, choices=PartnerKind.choices)
    is_active = models.BooleanField("启用", default=True)
    is_demo = models.BooleanField(
        "演示数据", default=False, help_text="A demo partner: made-up codes and keys, never a real organ"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "交换伙伴"
        verbose_name_plural = "交换伙伴"
        ordering = ("kind", "name")

    def __str__(self) -> str:
        return self.name


class PartnerService(models.Model):
    """A service on the exchange (提供方 ``provider``; empty: offered by Sifa)."""

    data_class = "internal"

    provider = models.ForeignKey(
        Partner,
        verbose_name="提供方",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
        help_text="The partner offering the service; empty when Sifa offers it to partners",
    )
    code = models.CharField("服务代码", max_length=60)
    version = models.CharField("版本", max_length=10)
    name = models.CharField("名称", max_length=100)
    purpose = models.CharField("用途", max_length=200)
    legal_basis = models.CharField("法律依据", max_length=200)
    request_schema = models.JSONField("请求 JSON Schema", default=dict)
    response_schema = models.JSONField("响应 JSON Schema", default=dict)
    allowed_callers = models.JSONField(
        "允许的调用方",
        default=list,
        help_text="USCCs of the organisations that may call the service; empty: nobody (deny by default)",
    )

    class Meta:
        verbose_name = "交换服务"
        verbose_name_plural = "交换服务"
        ordering = ("code", "version")
        constraints = [
            models.UniqueConstraint(fields=("provider", "code", "version"), name="exchange_service_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class PartnerKey(models.Model):
    """One SM2 (or Ed25519) public key of a partner, with its validity."""

    data_class = "internal"

    partner = models.ForeignKey(Partner, verbose_name="伙伴", on_delete=models.PROTECT, related_name="keys")
    key_id = models.CharField("密钥标识", max_length=80, unique=True)
    algorithm = models.CharField("算法", max_length=20)
    public_key_pem = models.TextField("公钥（PEM）")
    valid_from = models.DateTimeField("生效时间")
    valid_until = models.DateTimeField("失效时间", null=True, blank=True)

    class Meta:
        verbose_name = "伙伴公钥"
        verbose_name_plural = "伙伴公钥"
        ordering = ("partner", "-valid_from")

    def __str__(self) -> str:
        return self.key_id


class Direction(models.TextChoices):
    INBOUND = "in", "接收"
    OUTBOUND = "out", "发送"


class MessageKind(models.TextChoices):
    REQUEST = "request", "请求"
    RESPONSE = "response", "响应"
    RECEIPT = "receipt", "回执"


class MessageStatus(models.TextChoices):
    RECEIVED = "received", "已接收"
    ANSWERED = "answered", "已答复"
    SENT = "sent", "已发送"


class ExchangeMessage(models.Model):
    """The message log: one row per signed message, in or out, kept as evidence.

    ``header`` is the exact signed bytes (canonical JSON) and ``signature`` the DER signature over
    them; the header carries the SM3 digest of the canonical body. ``copy_number`` > 0 marks a
    copy of an outgoing message that the relay signed again for a retry (ADR 0009): every copy
    that left is a row of its own. The row is never updated but for its ``status``: a batch
    chains it by inserting its :class:`MessageLink` (``seq``, ``prev_hash``, ``hash``; ADR 0023),
    which the properties of the same names read (None and ``""`` while the row waits).
    """

    data_class = "case"

    message_id = models.UUIDField("消息标识")
    correlation_id = models.UUIDField("关联消息标识", null=True, blank=True)
    direction = models.CharField("方向", max_length=3, choices=Direction.choices)
    kind = models.CharField("类型", max_length=10, choices=MessageKind.choices)
    status = models.CharField("状态", max_length=10, choices=MessageStatus.choices)
    service_code = models.CharField("服务代码", max_length=60)
    service_version = models.CharField("服务版本", max_length=10)
    sender = models.CharField("发送方", max_length=18, help_text="USCC of the sending organisation")
    receiver = models.CharField("接收方", max_length=18, help_text="USCC of the receiving organisation")
    partner = models.ForeignKey(
        Partner, verbose_name="伙伴", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case_number = models.CharField("案件/办件编号", max_length=60, blank=True)
    purpose = models.CharField("用途", max_length=200)
    sent_at = models.DateTimeField("消息时间", help_text="The timestamp in the signed header")
    recorded_at = models.DateTimeField("记录时间", db_index=True)
    key_id = models.CharField("签名密钥标识", max_length=80)
    header = models.TextField("签名头（规范 JSON）")
    signature = models.BinaryField("签名（DER）")
    body_digest = models.CharField("正文 SM3 摘要", max_length=64)
    body_masked = models.JSONField("正文（脱敏）", default=dict)
    body_sealed = models.BinaryField("正文（加密）")
    scope_path = PathField(
        "管辖路径", db_index=True, blank=True, help_text="Path of Sifa's organisation in the message"
    )
    copy_number = models.PositiveSmallIntegerField(
        "重签副本序号",
        default=0,
        help_text="0: the message as first signed; n: the n-th copy the relay signed again for a retry "
        "(same message id and content, a fresh timestamp; ADR 0009)",
    )

    class Meta:
        verbose_name = "交换消息"
        verbose_name_plural = "交换消息"
        ordering = ("-recorded_at", "-id")
        constraints = [
            # The replay window: one message id per sender, ever (the log is kept). Only the first
            # signed copy counts: the copies Sifa's relay signs again for a retry are logged too,
            # each under its own number (every copy sent is evidence; ADR 0009). Unique on
            # (sender, message_id, copy_number) is also unique on (sender, message_id) among the
            # first copies (copy_number = 0): one index for both (ADR 0018).
            models.UniqueConstraint(
                fields=("sender", "message_id", "copy_number"), name="exchange_message_copy_once"
            ),
        ]
        indexes = [
            # Only the rows a read looks for (ADR 0018): an answer by the message it answers
            # (``inbox._answer_of``; a request has none), the staff list by case number (W9's
            # messages and most requests carry none). Each index a row skips is a page fewer in
            # the WAL of its commit.
            models.Index(
                fields=["correlation_id"],
                condition=models.Q(correlation_id__isnull=False),
                name="exchange_msg_correlation",
            ),
            models.Index(
                fields=["case_number"], condition=~models.Q(case_number=""), name="exchange_msg_case"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.service_code} {self.message_id}"

    def chain_link(self) -> MessageLink | None:
        """The row's link in the chain, None while it waits (a query unless ``select_related``)."""
        try:
            return self.link
        except MessageLink.DoesNotExist:
            return None

    @property
    def seq(self) -> int | None:
        link = self.chain_link()
        return None if link is None else link.seq

    @property
    def prev_hash(self) -> str:
        link = self.chain_link()
        return "" if link is None else link.prev_hash

    @property
    def hash(self) -> str:
        link = self.chain_link()
        return "" if link is None else link.hash


class MessageLink(models.Model):
    """One message-log row's place in the SM3 hash chain (ADR 0023), inserted by the batch that
    chains it and never changed: ``hash`` is SM3 over ``prev_hash`` and the message's evidence
    (:func:`sifa.exchange.chain.row_evidence`). Chaining inserts these rows only; the log's own
    row is not touched. A batch chains the waiting rows in ``id`` order, under SQLite's write lock
    or PostgreSQL's table lock that no insert holds (``services.log.chain_pending``)."""

    data_class = "internal"

    seq = models.BigIntegerField("链序号", primary_key=True)
    # No foreign key constraint: its check would lock the log's row (``FOR KEY SHARE``, a write
    # to the row's page on PostgreSQL) for each link, and wait for the inbox's lock on the row it
    # answers. A link naming no row breaks the chain where ``verify-log`` walks it.
    message = models.OneToOneField(
        ExchangeMessage,
        verbose_name="消息",
        on_delete=models.DO_NOTHING,
        related_name="link",
        db_constraint=False,
    )
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64)

    class Meta:
        verbose_name = "消息链节"
        verbose_name_plural = "消息链节"
        ordering = ("seq",)

    def __str__(self) -> str:
        return f"{self.seq} {self.hash[:8]}"


class Rejection(models.Model):
    """A refused inbound message: why (stable code), when, and what it claimed to be."""

    data_class = "internal"

    received_at = models.DateTimeField("接收时间", db_index=True)
    code = models.CharField("原因代码", max_length=60)
    reason = models.CharField("原因", max_length=200)
    message_id = models.CharField("声称的消息标识", max_length=80, blank=True)
    sender = models.CharField("声称的发送方", max_length=40, blank=True)
    key_id = models.CharField("声称的密钥标识", max_length=80, blank=True)
    remote_addr = models.CharField("来源地址", max_length=45, blank=True)
    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        verbose_name = "拒收记录"
        verbose_name_plural = "拒收记录"
        ordering = ("-received_at", "-id")

    def __str__(self) -> str:
        return f"{self.code} {self.message_id}"


class OutboxStatus(models.TextChoices):
    UNSIGNED = "unsigned", "待签名"
    PENDING = "pending", "待对方确认"
    SENDING = "sending", "发送中"
    CONFIRMED = "confirmed", "已确认"
    DEAD = "dead", "失败需人工处理"


class OutboxItem(models.Model):
    """One outgoing message on its way to a partner (docs/exchange.md, "The outbox relay").

    Written in the caller's transaction together with the message's log row, so nothing leaves
    before the caller commits. The relay sends it, retries with back-off for 24 h under the **same
    message id**, records the partner's signed acknowledgement (``answer``) and otherwise turns it
    into a dead letter for manual handling. While Sifa cannot sign (``unsigned``), the header and
    the body wait here (the body sealed) and the relay signs them when a key is back.
    """

    data_class = "case"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    message_id = models.UUIDField("消息标识", unique=True, help_text="The same for every attempt")
    log_entry = models.OneToOneField(
        ExchangeMessage,
        verbose_name="消息日志记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="outbox",
        help_text="The logged message; empty while it waits to be signed",
    )
    answer = models.OneToOneField(
        ExchangeMessage,
        verbose_name="对方确认",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The partner's signed acknowledgement, logged",
    )
    partner = models.ForeignKey(Partner, verbose_name="伙伴", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="发送机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="Path of the sending organisation")
    case_number = models.CharField("案件/办件编号", max_length=60, blank=True, db_index=True)
    service_code = models.CharField("服务代码", max_length=60)
    service_version = models.CharField("服务版本", max_length=10)
    purpose = models.CharField("用途", max_length=200)
    header_fields = models.JSONField(
        "待签名的消息头", default=dict, help_text="The header to seal while the message waits for a key"
    )
    body_sealed = models.BinaryField("正文（加密）", help_text="SM4-GCM; sealed while waiting for a key")
    status = models.CharField("状态", max_length=10, choices=OutboxStatus.choices, db_index=True)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间", db_index=True)
    claimed_at = models.DateTimeField("领取时间", null=True, blank=True)
    queued_at = models.DateTimeField("排队时间")
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    dead_at = models.DateTimeField("转人工时间", null=True, blank=True)
    alerts_sent = models.PositiveSmallIntegerField(
        "已发提醒", default=0, help_text="How many of the 15 min / 1 h / 6 h alerts were raised"
    )
    last_error = models.CharField("最近错误", max_length=300, blank=True)

    class Meta:
        verbose_name = "交换发件箱"
        verbose_name_plural = "交换发件箱"
        ordering = ("-queued_at", "-id")
        indexes = [models.Index(fields=("status", "next_attempt_at"), name="exchange_outbox_due")]

    def __str__(self) -> str:
        return f"{self.service_code} {self.message_id} {self.get_status_display()}"
