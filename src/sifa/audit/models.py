"""The append-only, SM3 hash-chained audit trail and the personal-data access log.

Every service command writes exactly one :class:`AuditEvent` through ``sifa.audit.services``;
``hash = SM3(prev_hash || canonical JSON of the event)``. Appends are serialized (an advisory
lock on PostgreSQL, an IMMEDIATE transaction on SQLite) so concurrent writers never fork the
chain; database triggers refuse UPDATE and DELETE. ``sifa audit verify`` walks the chain.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from sifa.core.db import PathField


class AuditResult(models.TextChoices):
    SUCCESS = "success", "成功"
    DENIED = "denied", "拒绝"
    FAILED = "failed", "失败"


class AuditEvent(models.Model):
    """One command: who (user, organisation, role), what, when, from where, result.

    等保 2.0 安全审计: 日期和时间、用户、事件类型、主体标识、客体标识和结果.
    """

    data_class = "audit"

    seq = models.BigAutoField("序号", primary_key=True)
    occurred_at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_username = models.CharField("操作人用户名", max_length=150, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField("角色", max_length=30, blank=True)
    action = models.CharField("操作", max_length=80, db_index=True)
    object_type = models.CharField("对象类型", max_length=80, blank=True)
    object_id = models.CharField("对象标识", max_length=100, blank=True, db_index=True)
    result = models.CharField("结果", max_length=10, choices=AuditResult.choices)
    ip_address = models.GenericIPAddressField("来源地址", null=True, blank=True)
    scope_path = PathField("管辖路径", db_index=True, blank=True, default="")
    detail = models.JSONField("详情", default=dict, blank=True)
    prev_hash = models.CharField("前一哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}（{self.get_result_display()}）"


class AccessKind(models.TextChoices):
    READ = "read", "工作人员查看"
    DISCLOSURE = "disclosure", "向其他部门提供或核验"
    PARTNER_QUERY = "partner_query", "其他部门查询"


class Visibility(models.TextChoices):
    """Who sees a row (security.md §1.2, after Estonia's data tracker): the data subject, or only
    the organs involved, or the subject from a date on (a delayed row)."""

    PUBLIC = "public", "公开"
    RESTRICTED = "restricted", "仅相关机关可见"
    DELAYED = "delayed", "延迟公开"


class PersonalDataAccess(models.Model):
    """A use of someone's personal data: a staff read, a disclosure to a partner organ (公安、法院、
    检察院) or a partner's query about them — subject, who, organisation, purpose, time; for the
    exchange, the receiver, legal basis, case number and message id.

    The subject lists the rows visible to them newest first ("我的数据使用记录"). Append-only
    (database triggers) and SM3 hash-chained like the audit trail, but chained after commit in
    batches (``sifa.audit.services.access.chain_pending``) so a read of personal data costs one
    insert and never waits for a chain lock.
    """

    data_class = "personal"

    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="数据主体账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="data_accesses",
    )
    subject_ref = models.CharField(
        "数据主体标识", max_length=100, help_text="Public id of the person or company read."
    )
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="查看人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The official who read or caused the use; empty for an automatic exchange query.",
    )
    reader_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="查看机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reader_role = models.CharField("查看人角色", max_length=30, blank=True)
    purpose = models.CharField("用途", max_length=200)
    object_type = models.CharField("数据类型", max_length=80)
    accessed_at = models.DateTimeField("时间", db_index=True)
    scope_path = PathField("管辖路径", db_index=True)
    kind = models.CharField("使用方式", max_length=20, choices=AccessKind.choices, default=AccessKind.READ)
    receiver = models.CharField(
        "接收或查询机关", max_length=100, blank=True, help_text="The partner organ (exchange rows)."
    )
    legal_basis = models.CharField("法律依据", max_length=200, blank=True)
    case_number = models.CharField("案件或办件编号", max_length=100, blank=True)
    message_id = models.CharField(
        "交换消息编号", max_length=40, blank=True, help_text="The exchange message that carried the data."
    )
    visibility = models.CharField(
        "可见范围", max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    visible_from = models.DateTimeField(
        "公开时间", null=True, blank=True, help_text="A delayed row is shown to the subject from then on."
    )
    seq = models.BigIntegerField(
        "链序号",
        null=True,
        blank=True,
        unique=True,
        help_text="Position in the access log's hash chain; empty until chaining (at most a minute).",
    )
    prev_hash = models.CharField("前一哈希", max_length=64, blank=True, default="")
    hash = models.CharField("哈希", max_length=64, blank=True, default="")

    class Meta:
        verbose_name = "个人数据查看记录"
        verbose_name_plural = "个人数据查看记录"
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["subject", "-accessed_at"], name="access_subject_time")]

    def __str__(self) -> str:
        return f"{self.subject_ref} · {self.object_type} · {self.accessed_at:%Y-%m-%d %H:%M}"
