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


class PersonalDataAccess(models.Model):
    """A staff read of someone's personal data: subject, reader, organisation, purpose, time.

    The subject lists these newest first ("我的数据被谁查看").
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
        settings.AUTH_USER_MODEL, verbose_name="查看人", on_delete=models.PROTECT, related_name="+"
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

    class Meta:
        verbose_name = "个人数据查看记录"
        verbose_name_plural = "个人数据查看记录"
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["subject", "-accessed_at"], name="access_subject_time")]

    def __str__(self) -> str:
        return f"{self.subject_ref} · {self.object_type} · {self.accessed_at:%Y-%m-%d %H:%M}"
