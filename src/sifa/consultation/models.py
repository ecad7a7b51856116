"""12348 法律咨询: the knowledge base (常见问题) and the consultation ticket (咨询工单).

* ``Faq`` — a question and answer curated by consultants of an organisation (or nationally),
  linked to the articles it relies on (``FaqCitation``) and to catalogue items (``FaqItem``). Public
  once published; searched with the same jieba tokenizer as the law library.
* ``Ticket`` — one consultation, whatever the channel it came in on (web, 12348 hotline, service
  hall, WeChat mini-program, Weibo): the question, the organisation that must answer (routed by
  region and category, transferable), the answer time limit in working days, escalation when
  overdue, the answer with the articles it cites (``Citation``), the rating, and the legal-aid or
  mediation application it became. The asker's name, phone number, question and answer are
  personal data: sealed (SM4-GCM) with the row's UUID, shown masked in lists.
* ``TicketEvent`` — the ticket's history (created, routed, transferred, answered, SMS sent,
  escalated, rated, converted), without personal data.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sifa.core.crypto import field_cipher
from sifa.core.db import PathField
from sifa.organisations.history import HistoryEvent


def sealed_aad(model: str, public_id: uuid.UUID, field: str) -> str:
    return f"consultation.{model}:{public_id}:{field}"


class Category(models.TextChoices):
    """咨询类别. The routing rule (``services.routing``) says who answers each."""

    MARRIAGE_FAMILY = "marriage_family", "婚姻家庭和继承"
    LABOUR = "labour", "劳动和社会保障"
    CONTRACT = "contract", "合同和债务"
    PROPERTY = "property", "房产、物业和土地"
    TORT = "tort", "交通事故和人身损害"
    CRIMINAL = "criminal", "刑事"
    ADMINISTRATIVE = "administrative", "行政"
    MEDIATION = "mediation", "人民调解和矛盾纠纷"
    LEGAL_AID = "legal_aid", "法律援助"
    PRACTICE = "practice", "律师、公证、司法鉴定等法律服务"
    OTHER = "other", "其他"


class Channel(models.TextChoices):
    WEB = "web", "网站"
    HOTLINE = "hotline", "12348热线"
    HALL = "hall", "服务大厅"
    WECHAT = "wechat", "微信小程序"
    WEIBO = "weibo", "微博"


class TicketStatus(models.TextChoices):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复"
    CLOSED = "closed", "已评价"


class Satisfaction(models.TextChoices):
    """The five levels of 好差评 (国办发〔2019〕51号), stored by meaning, never by a code whose order
    differs between interfaces (standards.md §3)."""

    VERY_SATISFIED = "very_satisfied", "非常满意"
    SATISFIED = "satisfied", "满意"
    NEUTRAL = "neutral", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"
    VERY_DISSATISFIED = "very_dissatisfied", "非常不满意"


class FaqStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤下"


class Faq(models.Model):
    """常见问题: one question and its answer, curated by consultants."""

    data_class = "public"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    question = models.CharField("问题", max_length=200)
    answer = models.TextField(
        "解答", help_text="Plain text; article citations become links to the law library"
    )
    category = models.CharField("类别", max_length=30, choices=Category.choices)
    keywords = models.CharField(
        "关键词",
        max_length=200,
        blank=True,
        help_text="Words people use for it, separated by spaces (律师证 …)",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="维护机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation whose consultants keep it; empty for the national knowledge base",
    )
    status = models.CharField("状态", max_length=20, choices=FaqStatus.choices, default=FaqStatus.DRAFT)
    search_text = models.TextField("检索词", blank=True, editable=False)
    source_key = models.CharField(
        "内置条目标识",
        max_length=60,
        blank=True,
        editable=False,
        help_text="Stable key of a starter entry (data/faq.json, `sifa load-faq`); empty for the consultants' own",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="编写人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)

    class Meta:
        verbose_name = "常见问题"
        verbose_name_plural = "常见问题"
        ordering = ["category", "question"]
        indexes = [models.Index(fields=["status", "category"], name="faq_status_category")]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=~models.Q(source_key=""), name="faq_source_key_once"
            )
        ]

    def __str__(self) -> str:
        return self.question


class FaqCitation(models.Model):
    """An article a knowledge-base answer relies on, kept by its permanent address (the library's
    articles are re-created by a re-import; ``/laws/<statute>/<article>/`` stays)."""

    data_class = "public"

    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="citations")
    statute_slug = models.CharField("法规地址标识", max_length=200)
    article_key = models.CharField("条文地址标识", max_length=20)
    label = models.CharField("引用", max_length=200, help_text="As written, e.g. 律师法第六条")
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "常见问题引用的条文"
        verbose_name_plural = "常见问题引用的条文"
        ordering = ["faq", "position"]

    def __str__(self) -> str:
        return self.label


class FaqItem(models.Model):
    """A catalogue item the answer points to (基本编码, stable across versions)."""

    data_class = "public"

    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="items")
    item_code = models.CharField("事项基本编码", max_length=20)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "常见问题关联的事项"
        verbose_name_plural = "常见问题关联的事项"
        ordering = ["faq", "position"]
        constraints = [models.UniqueConstraint(fields=["faq", "item_code"], name="faq_item_once")]

    def __str__(self) -> str:
        return self.item_code


def current_answer_days() -> int:
    """``SIFA_CONSULTATION_ANSWER_DAYS`` now: the limit a ticket received now is given (and, once,
    the limit migration gave the tickets that existed before the limit was stored)."""
    return int(settings.CONSULTATION_ANSWER_DAYS)


class Ticket(models.Model):
    """咨询工单: one consultation from any channel, answered by the organisation it is routed to."""

    data_class = "personal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(
        "工单编号",
        max_length=30,
        unique=True,
        help_text="ZX + region code of the answering organisation + yyyymmdd + 6-digit daily sequence",
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    category = models.CharField("类别", max_length=30, choices=Category.choices)
    region = models.ForeignKey(
        "organisations.Region",
        verbose_name="咨询人所在地",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The place the question concerns; with the category it decides who answers",
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="承办机构",
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The answering organisation's path")
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="咨询人账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultations",
        help_text="Empty for an anonymous asker (hotline caller, anonymous web or API), who follows it by tracking code",
    )
    name_enc = models.BinaryField("称呼（密文）", null=True, editable=False)
    name_masked = models.CharField("称呼（脱敏）", max_length=60, blank=True, editable=False)
    phone_enc = models.BinaryField("联系电话（密文）", null=True, editable=False)
    phone_masked = models.CharField("联系电话（脱敏）", max_length=20, blank=True, editable=False)
    wants_sms = models.BooleanField("短信告知答复", default=False)
    tracking_code_digest = models.CharField("查询码摘要", max_length=64, blank=True, editable=False)
    title = models.CharField(
        "标题", max_length=60, help_text="Shown in queues; no ID or phone numbers (checked)"
    )
    question_enc = models.BinaryField("咨询内容（密文）", editable=False)
    status = models.CharField("状态", max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    answer_days = models.PositiveSmallIntegerField(
        "答复时限（工作日）",
        default=current_answer_days,
        help_text="SIFA_CONSULTATION_ANSWER_DAYS when it was received; a change of the working "
        "calendar counts the due date again with this limit, never with a later setting",
    )
    due_date = models.DateField("答复期限", help_text="Working days from the day after it was received")
    due_provisional = models.BooleanField(
        "期限暂定",
        default=False,
        help_text="The due date counts days of a year whose holidays are not yet published",
    )
    escalated_at = models.DateTimeField("升级督办时间", null=True, blank=True)
    escalated_to = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="升级至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answer_enc = models.BinaryField("答复（密文）", null=True, editable=False)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="答复人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    satisfaction = models.CharField("满意度", max_length=20, choices=Satisfaction.choices, blank=True)
    rating_comment = models.CharField("评价意见", max_length=500, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    rating_channel = models.CharField("评价渠道", max_length=10, choices=Channel.choices, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="转为办件",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The legal-aid or mediation draft the consultation became",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The hotline operator or hall clerk who recorded it",
    )
    call_started_at = models.DateTimeField("通话开始", null=True, blank=True)
    call_ended_at = models.DateTimeField("通话结束", null=True, blank=True)
    recording_ref = models.CharField("录音编号", max_length=100, blank=True)
    idempotency_owner = models.CharField("幂等键所有人", max_length=80, blank=True, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=200, blank=True, editable=False)
    request_digest = models.CharField("请求摘要", max_length=64, blank=True, editable=False)
    tracking_code_enc = models.BinaryField(
        "查询码（密文）",
        null=True,
        editable=False,
        help_text="Kept sealed only to answer a retried request again",
    )
    created_at = models.DateTimeField("提出时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "咨询工单"
        verbose_name_plural = "咨询工单"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="ticket_status_due"),
            models.Index(fields=["asker", "-created_at"], name="ticket_asker"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="ticket_idempotency_once",
            )
        ]

    def __str__(self) -> str:
        return self.number

    def _open(self, blob: bytes | memoryview | None, field: str) -> str:
        return field_cipher().open(blob, sealed_aad("Ticket", self.public_id, field)) if blob else ""

    def reveal_question(self) -> str:
        return self._open(self.question_enc, "question")

    def reveal_answer(self) -> str:
        return self._open(self.answer_enc, "answer")

    def reveal_name(self) -> str:
        return self._open(self.name_enc, "name")

    def reveal_phone(self) -> str:
        return self._open(self.phone_enc, "phone")

    def reveal_tracking_code(self) -> str:
        return self._open(self.tracking_code_enc, "tracking_code")

    @property
    def is_overdue(self) -> bool:
        return self.status == TicketStatus.OPEN and self.due_date < timezone.localdate()


class Citation(models.Model):
    """An article the answer cites, by its permanent address."""

    data_class = "case"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="citations")
    statute_slug = models.CharField("法规地址标识", max_length=200)
    article_key = models.CharField("条文地址标识", max_length=20)
    label = models.CharField("引用", max_length=200, help_text="As written, e.g. 律师法第六条")
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "答复引用的条文"
        verbose_name_plural = "答复引用的条文"
        ordering = ["ticket", "position"]

    def __str__(self) -> str:
        return self.label


class EventKind(models.TextChoices):
    CREATED = "created", "受理咨询"
    ROUTED = "routed", "分派承办机构"
    TRANSFERRED = "transferred", "转办"
    ANSWERED = "answered", "答复"
    SMS_SENT = "sms", "短信告知答复"
    ESCALATED = "escalated", "逾期升级督办"
    DUE_MOVED = "due_moved", "答复期限调整"
    ESCALATION_WITHDRAWN = "unescalated", "撤销逾期升级"
    RATED = "rated", "评价"
    CONVERTED = "converted", "转为办件申请"


class TicketEvent(HistoryEvent):
    """One step of a ticket's history (``at``, ``actor``, ``note`` from ``HistoryEvent``). ``note``
    is written for the asker and staff: no personal data."""

    data_class = "case"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("事项", max_length=20, choices=EventKind.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation it went to (routed, transferred, escalated) or that acted",
    )

    class Meta:
        verbose_name = "咨询工单记录"
        verbose_name_plural = "咨询工单记录"
        ordering = ["ticket", "at", "id"]
