"""好差评: service ratings and the rectification (整改) of a 差评.

* ``Rating`` — one person's rating of one service: a delivered or refused application (办件), a
  consultation, a window visit or a hotline call (工单). The level is stored by meaning (非常满意 …
  非常不满意), never by a numeric code: GB/T 39046-2020 表9 numbers the levels 1 非常满意 … 5
  非常不满意, the provincial 好差评 interfaces the other way round (standards.md §3.4);
  :func:`gbt39046_code` and :func:`provincial_code` give each interface its code. A rating is
  never deleted: one set aside by the level above (malicious, 恶意差评) is flagged and left out of
  the statistics.
* ``Rectification`` — what a 差评 (不满意 / 非常不满意) opens at the responsible organisation: the
  callback (回访) to a named rater, the rectification and its outcome reported to the rater, the
  organisation's appeal and the level above's decision, escalation when overdue.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from sifa.core.db import PathField


class Level(models.TextChoices):
    """The five levels of 国办发〔2019〕51号, by meaning (the same keys as the consultation's
    ``Satisfaction``, whose ratings flow in here)."""

    VERY_SATISFIED = "very_satisfied", "非常满意"
    SATISFIED = "satisfied", "满意"
    NEUTRAL = "neutral", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"
    VERY_DISSATISFIED = "very_dissatisfied", "非常不满意"


LEVEL_INPUTS = [label for _key, label in Level.choices] + list(Level.values)
"""What the API accepts for a level: the label (非常满意 …) or the key (very_satisfied …)."""

BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
"""差评: the two levels that open a rectification."""
GOOD_LEVELS = (Level.VERY_SATISFIED, Level.SATISFIED, Level.NEUTRAL)
"""What the satisfaction rate counts as satisfied (非常满意 + 满意 + 基本满意)."""

_GBT39046 = {
    Level.VERY_SATISFIED: 1,
    Level.SATISFIED: 2,
    Level.NEUTRAL: 3,
    Level.DISSATISFIED: 4,
    Level.VERY_DISSATISFIED: 5,
}


def gbt39046_code(level: str) -> int:
    """满意度代码 of GB/T 39046-2020 表9 (附录 A.8): 1 非常满意 … 5 非常不满意."""
    return _GBT39046[Level(level)]


def provincial_code(level: str) -> int:
    """整体满意度 of the provincial 好差评 interfaces (浙江, 北京): 1 非常不满意 … 5 非常满意."""
    return 6 - _GBT39046[Level(level)]


def level_of(value: str) -> str | None:
    """A level from its key (``very_dissatisfied``) or its label (``非常不满意``); None if neither."""
    value = str(value or "").strip()
    if value in Level.values:
        return value
    return next((key for key, label in Level.choices if label == value), None)


class SubjectKind(models.TextChoices):
    APPLICATION = "application", "办件"
    CONSULTATION = "consultation", "法律咨询"
    VISIT = "visit", "窗口来访"
    CALL = "call", "热线来电"


class Channel(models.TextChoices):
    """评价渠道 in the order of GB/T 39046-2020 表9 and the provincial ``pf`` code (1 … 7)."""

    WEB = "web", "PC端（网站）"
    APP = "app", "移动服务端（App、小程序）"
    QR = "qr", "二维码"
    WINDOW_TABLET = "window_tablet", "政务大厅平板电脑（评价器）"
    WINDOW_TERMINAL = "window_terminal", "政务大厅其他终端"
    HOTLINE = "hotline", "电话（12348热线）"
    SMS = "sms", "短信"


class EntrySource(models.TextChoices):
    """离线补录: a rating collected while the system could not take it, entered afterwards."""

    DEVICE = "device", "评价器离线记录"
    PAPER = "paper", "纸质评价卡"


ENTRY_CHANNEL = {EntrySource.DEVICE: Channel.WINDOW_TABLET, EntrySource.PAPER: Channel.WINDOW_TERMINAL}
"""The national 评价渠道 of a back-entered rating: the counter's 评价器, or 政务大厅其他终端 for a
paper card filled in at the hall (GB/T 39046-2020 表9 has no paper channel)."""


def channel_code(channel: str) -> int:
    """评价渠道 code (``pf``): 1 PC端 … 7 短信, the national list's order."""
    return Channel.values.index(Channel(channel)) + 1


class Rating(models.Model):
    """One rating of one service by one person."""

    data_class = "personal"

    subject_kind = models.CharField("评价对象类型", max_length=20, choices=SubjectKind.choices)
    number = models.CharField("办件编号或工单编号", max_length=50)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="责任机构",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation that handled the service (谁办理、谁负责)",
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The responsible organisation's path")
    item_code = models.CharField("事项基本编码", max_length=20, blank=True)
    stage = models.CharField("服务环节", max_length=60, blank=True)
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Shown to supervisors only",
    )
    level = models.CharField("满意度", max_length=20, choices=Level.choices)
    channel = models.CharField("评价渠道", max_length=20, choices=Channel.choices)
    comment = models.CharField("文字评价", max_length=500, blank=True)
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评价人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ratings",
    )
    rater_named = models.BooleanField(
        "实名评价", default=False, help_text="The rater can be called back (an account or a phone number)"
    )
    set_aside = models.BooleanField(
        "已撤销", default=False, help_text="Set aside by the level above as malicious; kept, not counted"
    )
    created_at = models.DateTimeField(
        "评价时间", default=timezone.now, help_text="When the person rated (a back-entered card: its date)"
    )
    entry_source = models.CharField(
        "补录来源",
        max_length=12,
        choices=EntrySource.choices,
        blank=True,
        help_text="Blank: rated live; else entered afterwards from an offline device record or a paper card",
    )
    card_number = models.CharField(
        "评价卡编号", max_length=40, blank=True, help_text="The card's or device record's number (back entry)"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="补录人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    entered_at = models.DateTimeField("补录时间", null=True, blank=True)

    class Meta:
        verbose_name = "服务评价"
        verbose_name_plural = "服务评价"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scope_path", "created_at"], name="rating_scope_created")]
        constraints = [
            models.UniqueConstraint(fields=["subject_kind", "number", "rater"], name="rating_once_per_rater"),
            models.UniqueConstraint(
                fields=["subject_kind", "number"],
                condition=models.Q(rater__isnull=True),
                name="rating_once_anonymous",
            ),
            models.UniqueConstraint(
                fields=["organisation", "entry_source", "card_number"],
                condition=~models.Q(card_number=""),
                name="rating_card_entered_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.get_level_display()}"

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class RectificationStatus(models.TextChoices):
    OPEN = "open", "待整改"
    REPORTED = "reported", "已反馈"
    APPEALED = "appealed", "申诉中"
    CLOSED = "closed", "已办结"
    SET_ASIDE = "set_aside", "差评已撤销"


def current_rectify_days() -> int:
    """``SIFA_EVALUATION_RECTIFY_DAYS`` now (the limit a rectification opened now is given)."""
    return int(settings.EVALUATION_RECTIFY_DAYS)


def current_callback_days() -> int:
    """``SIFA_EVALUATION_CALLBACK_DAYS`` now (the callback limit a rectification opened now is given)."""
    return int(settings.EVALUATION_CALLBACK_DAYS)


class Rectification(models.Model):
    """整改 of one 差评, at the rating's organisation."""

    data_class = "case"

    rating = models.OneToOneField(Rating, on_delete=models.PROTECT, related_name="rectification")
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="整改机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True)
    status = models.CharField(
        "状态", max_length=20, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    callback_due = models.DateField("回访期限", null=True, blank=True, help_text="Named raters only")
    rectify_days = models.PositiveSmallIntegerField(
        "整改时限（工作日）",
        default=current_rectify_days,
        help_text="SIFA_EVALUATION_RECTIFY_DAYS when it was opened; a change of the working calendar "
        "counts the due date again with this limit, never with a later setting",
    )
    callback_days = models.PositiveSmallIntegerField(
        "回访时限（工作日）",
        default=current_callback_days,
        help_text="SIFA_EVALUATION_CALLBACK_DAYS when it was opened (used for named raters)",
    )
    due_date = models.DateField("整改期限")
    due_provisional = models.BooleanField("期限暂定", default=False)
    due_moved_at = models.DateTimeField(
        "期限调整时间", null=True, blank=True, help_text="The last move by a change of the working calendar"
    )
    due_before = models.DateField("调整前整改期限", null=True, blank=True)
    callback_at = models.DateTimeField("回访时间", null=True, blank=True)
    callback_note = models.CharField("回访记录", max_length=500, blank=True)
    outcome = models.TextField("整改情况", blank=True)
    reported_at = models.DateTimeField("反馈时间", null=True, blank=True)
    appeal_evidence = models.TextField("申诉理由和证据", blank=True)
    appealed_at = models.DateTimeField("申诉时间", null=True, blank=True)
    decision_note = models.CharField("复核意见", max_length=500, blank=True)
    decided_by = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="复核机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    escalated_at = models.DateTimeField("逾期升级时间", null=True, blank=True)
    escalated_to = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="升级至",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    escalation_withdrawn_at = models.DateTimeField(
        "撤销逾期升级时间",
        null=True,
        blank=True,
        help_text="An escalation withdrawn because a change of the working calendar put the due date "
        "back in the future (期限因工作日历调整而顺延); the escalation itself stays in the audit trail",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"], name="rectification_status_due")]

    def __str__(self) -> str:
        return f"整改 {self.rating.number}"

    @property
    def is_overdue(self) -> bool:
        return self.status in (RectificationStatus.OPEN, RectificationStatus.APPEALED) and (
            self.due_date < timezone.localdate()
        )


LINK_CHANNELS = (Channel.WINDOW_TABLET, Channel.SMS)
"""The channels a rating link is issued for: the counter's 评价器 and an SMS after the service."""


class RatingLink(models.Model):
    """评价邀请: a signed, single-use, expiring link to rate one window visit or hotline call.

    Issued by the staff member who served the person (the window clerk after a visit, the 12348
    operator after a call); only the keyed digest of the token is kept, so the link cannot be
    rebuilt from the database, and a guessed or altered token matches nothing. Issuing a new link
    for the same service withdraws the earlier ones; the service is rated once whatever the link.
    """

    data_class = "case"

    subject_kind = models.CharField("评价对象类型", max_length=20, choices=SubjectKind.choices)
    number = models.CharField("来访编号或工单编号", max_length=50, db_index=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="责任机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True)
    item_code = models.CharField("事项基本编码", max_length=20, blank=True)
    stage = models.CharField("服务环节", max_length=60, blank=True)
    staff_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField("评价渠道", max_length=20, choices=Channel.choices)
    token_digest = models.CharField("链接摘要", max_length=64, unique=True)
    expires_at = models.DateTimeField("有效期至")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    withdrawn_at = models.DateTimeField("作废时间", null=True, blank=True)
    rating = models.OneToOneField(
        Rating, verbose_name="评价", null=True, blank=True, on_delete=models.PROTECT, related_name="link"
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "评价邀请"
        verbose_name_plural = "评价邀请"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"评价邀请 {self.number}"
