"""Security events, the incidents rules raise from them, and each incident's timeline.

Events are derived by the detector (:mod:`sifa.security.services.detector`) from records Sifa
already keeps — the audit trail, the exchange's refusals, the audit chain's verification — so the
hot paths (login, upload, the exchange inbox) write nothing more. An event carries no personal
data in clear: accounts are named by their public id, never by name, phone or ID number.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from sifa.core.db import PathField


class Severity(models.IntegerChoices):
    LOW = 1, "低"
    MEDIUM = 2, "中"
    HIGH = 3, "高"
    CRITICAL = 4, "严重"


class EventKind(models.TextChoices):
    LOGIN_FAILED = "login_failed", "登录失败"
    LOCKOUT = "lockout", "登录锁定"
    BACKOFF = "backoff", "登录退避"
    PRIVILEGE_CHANGE = "privilege_change", "岗位变更"
    ADMIN_ROLE = "admin_role", "三员岗位变更"
    BAD_SIGNATURE = "bad_signature", "交换签名无效"
    EXCHANGE_REFUSED = "exchange_refused", "交换消息拒收"
    CHAIN_BROKEN = "chain_broken", "审计链断裂"
    NOT_FOUND = "not_found", "访问不存在或无权对象"
    UPLOAD_REJECTED = "upload_rejected", "上传被拒"
    DATA_EXPORT = "data_export", "导出个人数据"


class SecurityEvent(models.Model):
    """One security-relevant fact, derived once from its source (``source`` is unique)."""

    data_class = "internal"

    kind = models.CharField("类型", max_length=30, choices=EventKind.choices, db_index=True)
    severity = models.PositiveSmallIntegerField("严重程度", choices=Severity.choices)
    occurred_at = models.DateTimeField("发生时间", db_index=True)
    scope_path = PathField("管辖路径", db_index=True, blank=True, default="")
    account = models.CharField(
        "账户", max_length=100, blank=True, help_text="Public id of the account concerned, or empty."
    )
    address = models.CharField("来源地址", max_length=45, blank=True)
    subject = models.CharField("对象", max_length=200, blank=True, help_text="object_type:object_id")
    details = models.JSONField("详情", default=dict, blank=True)
    source = models.CharField(
        "来源记录",
        max_length=120,
        unique=True,
        help_text="audit:<seq>, rejection:<id>, chain:<code>:<seq> or chain-full:<code>:<seq>.",
    )
    incident = models.ForeignKey(
        "Incident",
        verbose_name="安全事件单",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )

    class Meta:
        verbose_name = "安全事件"
        verbose_name_plural = "安全事件"
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class IncidentStatus(models.TextChoices):
    NEW = "new", "新建"
    ACKNOWLEDGED = "acknowledged", "已确认"
    HANDLING = "handling", "处置中"
    CLOSED = "closed", "已关闭"


OPEN_STATUSES = (IncidentStatus.NEW, IncidentStatus.ACKNOWLEDGED, IncidentStatus.HANDLING)


class Incident(models.Model):
    """What a rule raised: one open incident per rule and key; later events attach to it."""

    data_class = "internal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    rule = models.CharField("规则", max_length=40)
    key = models.CharField(
        "规则键", max_length=160, help_text="What the rule counted by (account, address …)."
    )
    title = models.CharField("标题", max_length=200)
    severity = models.PositiveSmallIntegerField("严重程度", choices=Severity.choices)
    status = models.CharField(
        "状态", max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.NEW
    )
    scope_path = PathField("管辖路径", db_index=True, blank=True, default="")
    opened_at = models.DateTimeField("发现时间", db_index=True)
    last_event_at = models.DateTimeField("最近事件时间")
    event_count = models.PositiveIntegerField("事件数", default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="负责人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    outcome = models.TextField("处置结果", blank=True)

    class Meta:
        verbose_name = "安全事件单"
        verbose_name_plural = "安全事件单"
        ordering = ["-opened_at", "-id"]
        constraints = [
            # One open incident per rule and key, whatever two detectors racing each other do.
            models.UniqueConstraint(
                fields=["rule", "key"],
                condition=~models.Q(status="closed"),
                name="security_incident_one_open_per_rule_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_status_display()}）"

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.CLOSED


class ActionKind(models.TextChoices):
    OPENED = "opened", "发现"
    EVENTS = "events", "新增事件"
    ACKNOWLEDGED = "acknowledged", "确认"
    HANDLING = "handling", "处置措施"
    CLOSED = "closed", "关闭"


class IncidentAction(models.Model):
    """One entry of an incident's timeline: the detector's and the security administrator's."""

    data_class = "internal"

    incident = models.ForeignKey(
        Incident, verbose_name="安全事件单", on_delete=models.CASCADE, related_name="actions"
    )
    at = models.DateTimeField("时间")
    kind = models.CharField("类型", max_length=20, choices=ActionKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "处置记录"
        verbose_name_plural = "处置记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class DetectorCursor(models.Model):
    """How far the detector has read a source (the audit trail's seq, the refusals' id)."""

    data_class = "internal"

    name = models.CharField("来源", max_length=40, primary_key=True)
    position = models.BigIntegerField("已读到", default=0)
    hash = models.CharField(
        "哈希",
        max_length=64,
        blank=True,
        help_text="The audit chain cursor: the hash of the row at position.",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "检测进度"
        verbose_name_plural = "检测进度"

    def __str__(self) -> str:
        return f"{self.name}: {self.position}"


class WeeklyReport(models.Model):
    """安全周报: one week (Monday–Sunday, Asia/Shanghai) of security monitoring for the jurisdiction
    of an organisation that has security administrators; written once by ``sifa security
    weekly-report``. ``figures`` holds the counts (see :mod:`sifa.security.services.reports`),
    never a name or a number typed by a user: accounts by public id, addresses as recorded."""

    data_class = "internal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True)
    week_start = models.DateField("周一")
    week_end = models.DateField("周日")
    created_at = models.DateTimeField("生成时间")
    figures = models.JSONField("统计", default=dict)

    class Meta:
        verbose_name = "安全周报"
        verbose_name_plural = "安全周报"
        ordering = ["-week_start", "scope_path"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "week_start"], name="security_weekly_report_once")
        ]

    def __str__(self) -> str:
        return f"安全周报 {self.week_start:%Y-%m-%d}—{self.week_end:%Y-%m-%d}"
