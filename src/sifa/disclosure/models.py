"""政务公开: the notices an organisation publishes, and their 保密审查 (confidentiality review).

* ``Notice`` — one notice (通知公告, 政策解读, 工作动态) of one organisation: drafted by its staff,
  submitted for review, reviewed by a *different* person (a supervisor or decision maker of the
  organisation or a level above), who records the 保密审查 and publishes it or returns it to the
  author; a published notice can be withdrawn (撤回): kept, audited, no longer public. Never deleted.
* ``NoticeReview`` — one 保密审查 of one submission: the reviewer, the time, the checklist answer
  (不涉及国家秘密、工作秘密、商业秘密和个人隐私), the opinion and the decision (publish or return).

Drafts are internal work of the organisation, so a notice is scoped like case data
(``data_class = "case"``): staff read the notices of their subtree through ``scoped``; the public
pages read published notices only (``selectors.public_notices``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sifa.core.db import PathField

CHECKLIST = "不涉及国家秘密、工作秘密、商业秘密和个人隐私"
"""The one question of the 保密审查 checklist; the reviewer must confirm it to publish."""


class Category(models.TextChoices):
    NOTICE = "notice", "通知公告"
    POLICY = "policy", "政策解读"
    NEWS = "news", "工作动态"


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待保密审查"
    RETURNED = "returned", "已退回修改"
    PUBLISHED = "published", "已发布"
    WITHDRAWN = "withdrawn", "已撤回"


EDITABLE = (NoticeStatus.DRAFT, NoticeStatus.RETURNED)


class Notice(models.Model):
    """One notice of one organisation."""

    data_class = "case"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="发布机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The publishing organisation's path")
    category = models.CharField("栏目", max_length=20, choices=Category.choices)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文", help_text="Plain text or the safe Markdown subset (docs/disclosure.md)")
    status = models.CharField("状态", max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="起草人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("起草时间", default=timezone.now)
    updated_at = models.DateTimeField("修改时间", default=timezone.now)
    submitted_at = models.DateTimeField("送审时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审查发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤回人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdraw_reason = models.CharField("撤回理由", max_length=500, blank=True)

    class Meta:
        verbose_name = "政务公开信息"
        verbose_name_plural = "政务公开信息"
        ordering = ["-published_at", "-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "published_at"], name="notice_status_published")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == NoticeStatus.PUBLISHED


class Decision(models.TextChoices):
    PUBLISH = "publish", "审查通过并发布"
    RETURN = "return", "退回修改"


class NoticeReview(models.Model):
    """One 保密审查 of one submission of a notice."""

    data_class = "case"

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审查人", on_delete=models.PROTECT, related_name="+"
    )
    reviewer_role = models.CharField("审查人岗位", max_length=30)
    checklist_confirmed = models.BooleanField(
        "保密审查结论", default=False, help_text=f"True: the reviewer confirmed “{CHECKLIST}”"
    )
    checklist_text = models.CharField("审查事项", max_length=100, default=CHECKLIST)
    opinion = models.CharField("审查意见", max_length=500)
    decision = models.CharField("审查结果", max_length=20, choices=Decision.choices)
    reviewed_at = models.DateTimeField("审查时间", default=timezone.now)

    class Meta:
        verbose_name = "保密审查记录"
        verbose_name_plural = "保密审查记录"
        ordering = ["reviewed_at", "id"]

    def __str__(self) -> str:
        return f"{self.notice} {self.get_decision_display()}"
