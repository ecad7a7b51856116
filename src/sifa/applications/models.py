"""办件: an application for one implementation entry, pinned to the catalogue version it was filed under.

The application is case data: every row carries ``scope_path`` (the path of the accepting
organisation) and reads go through scoped selectors. The public timeline (``TimelineEntry``)
is what the applicant and the no-login tracking page see; it never names staff.

Who writes what: ``sifa.applications.services`` owns drafting, materials, submission,
pre-review, the one-time correction notice and withdrawal before acceptance; after acceptance
``sifa.workflow`` drives the status through its commands and calls
``sifa.applications.services.transition(...)`` to change status and write the timeline.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from sifa.core.db import PathField


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交（待预审）"
    CORRECTION_REQUIRED = "correction_required", "待补正"
    PENDING_ACCEPTANCE = "pending_acceptance", "待受理"
    ACCEPTED = "accepted", "已受理"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    IN_REVIEW = "in_review", "审查中"
    SUSPENDED = "suspended", "中止（时限暂停）"
    APPROVED = "approved", "准予许可"
    DENIED = "denied", "不予许可"
    DELIVERED = "delivered", "已送达"
    WITHDRAWN = "withdrawn", "已撤回"


OPEN_STATUSES = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CORRECTION_REQUIRED,
    ApplicationStatus.PENDING_ACCEPTANCE,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.SUSPENDED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.DENIED,
)


class SubmissionChannel(models.TextChoices):
    """GB/T 39046 表5 申报来源 (simplified)."""

    ONLINE = "online", "网上申请"
    MOBILE = "mobile", "移动端申请"
    WINDOW = "window", "窗口受理（一窗受理）"
    AGENT = "agent", "委托代办"


class Application(models.Model):
    """One 办件. ``number`` is the public 办件编号; ``query_code`` lets anyone holding it track
    progress without logging in (only its SM3 digest is stored)."""

    data_class = "case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(
        "办件编号",
        max_length=50,
        unique=True,
        null=True,
        blank=True,
        help_text="GB/T 39046 表5 办件编号 an..50; assigned at submission",
    )
    query_code_digest = models.CharField("查询码摘要", max_length=64, blank=True, editable=False)
    entry = models.ForeignKey(
        "catalogue.ImplementationEntry",
        verbose_name="实施清单事项",
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.ForeignKey(
        "catalogue.ItemVersion",
        verbose_name="所依据的事项版本",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Pinned when the draft is created; never changes",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="The citizen or company the application is for",
    )
    applicant_person = models.ForeignKey(
        "accounts.NaturalPerson",
        verbose_name="申请人（自然人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    applicant_company = models.ForeignKey(
        "accounts.LegalPerson",
        verbose_name="申请人（法人）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The applicant, their agent, or the window clerk",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代理人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications_as_agent",
    )
    mandate = models.ForeignKey(
        "accounts.Mandate",
        verbose_name="委托",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(
        "申报来源", max_length=10, choices=SubmissionChannel.choices, default=SubmissionChannel.ONLINE
    )
    status = models.CharField(
        "状态",
        max_length=24,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    form_data = models.JSONField("申请表数据", default=dict, blank=True)
    situation_answers = models.JSONField("情形选择", default=dict, blank=True)
    accepting_organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="受理机构", on_delete=models.PROTECT, related_name="+"
    )
    current_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="当前办理机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_path = PathField(
        "管辖路径",
        db_index=True,
        help_text="Path of the accepting organisation; the case is visible to its subtree "
        "and to every organisation above it",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    received_at = models.DateTimeField(
        "收到申请材料时间",
        null=True,
        blank=True,
        help_text="行政许可法 §32: the 5-working-day notice window runs from here",
    )
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    deemed_accepted = models.BooleanField(
        "视为受理", default=False, help_text="行政许可法 §32: no notice within 5 working days"
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    row_version = models.PositiveIntegerField(
        "版本号", default=0, help_text="Optimistic concurrency for commands"
    )

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="app_applicant_created"),
            models.Index(fields=["status", "scope_path"], name="app_status_scope"),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿 {self.pk}"


class MaterialProvenance(models.TextChoices):
    UPLOAD = "upload", "申请人上传"
    WINDOW_SCAN = "window_scan", "窗口扫描"
    LICENCE = "licence", "电子证照库"
    PREVIOUS = "previous", "历史办件材料复用"
    PARTNER = "partner", "部门共享数据"
    PROMISE = "promise", "告知承诺"


class ApplicationMaterial(models.Model):
    """One material of an application: an uploaded file, or a once-only source that satisfies it."""

    data_class = "case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="materials"
    )
    material = models.ForeignKey(
        "catalogue.Material", verbose_name="所需材料", on_delete=models.PROTECT, related_name="+"
    )
    provenance = models.CharField("来源", max_length=12, choices=MaterialProvenance.choices)
    source_reference = models.CharField(
        "来源标识",
        max_length=200,
        blank=True,
        help_text="Licence identifier, earlier application number, or partner message id",
    )
    source_label = models.CharField(
        "来源说明",
        max_length=200,
        blank=True,
        help_text="Shown to the applicant: where the material came from",
    )
    storage_key = models.CharField("存储键", max_length=300, blank=True)
    display_name = models.CharField("文件名", max_length=200, blank=True)
    content_type = models.CharField("文件类型", max_length=100, blank=True)
    size = models.PositiveBigIntegerField("大小（字节）", default=0)
    sm3 = models.CharField("SM3摘要", max_length=64, blank=True)
    valid_until = models.DateField("有效期至", null=True, blank=True)
    partner_answer_id = models.CharField(
        "部门应答编号",
        max_length=100,
        blank=True,
        help_text="The partner's id of its answer (partner data only)",
    )
    partner_answered_at = models.DateTimeField(
        "部门应答时间", null=True, blank=True, help_text="When the partner answered (partner data only)"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)
    superseded = models.BooleanField("已被替换", default=False)

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = "办件材料"

    def __str__(self) -> str:
        return self.display_name or self.source_label or str(self.pk)


class IdempotencyRecord(models.Model):
    """The first answer to a request carrying an ``Idempotency-Key``; retries get it again."""

    data_class = "internal"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField("幂等键", max_length=200)
    scope = models.CharField("操作", max_length=80)
    request_digest = models.CharField("请求摘要", max_length=64)
    response_status = models.PositiveSmallIntegerField("响应状态")
    response_body = models.JSONField("响应内容")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "幂等记录"
        verbose_name_plural = "幂等记录"
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class CorrectionNotice(models.Model):
    """一次性告知书 (行政许可法 §32; 法律援助法 §43): every problem to fix, in one notice."""

    data_class = "case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="correction_notices"
    )
    items = models.JSONField(
        "补正内容", help_text="[{material_id|field, code, message}] — all problems at once"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="告知人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    issued_at = models.DateTimeField("告知时间")
    answered_at = models.DateTimeField("补正提交时间", null=True, blank=True)
    document_number = models.CharField("文书编号", max_length=80, blank=True)

    class Meta:
        verbose_name = "一次性告知书"
        verbose_name_plural = "一次性告知书"

    def __str__(self) -> str:
        return self.document_number or str(self.pk)


class PreReviewFinding(models.Model):
    """A problem found by the automatic pre-review or by staff, before acceptance."""

    data_class = "case"

    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="findings"
    )
    source = models.CharField("来源", max_length=10, choices=[("auto", "自动预审"), ("staff", "人工预审")])
    field = models.CharField("字段或材料", max_length=200, blank=True)
    code = models.CharField("问题代码", max_length=80)
    message = models.CharField("问题说明", max_length=500)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    resolved = models.BooleanField("已解决", default=False)

    class Meta:
        verbose_name = "预审意见"
        verbose_name_plural = "预审意见"

    def __str__(self) -> str:
        return self.message


class TimelineEntry(models.Model):
    """One public step on the application's timeline (shown without staff names)."""

    data_class = "case"

    application = models.ForeignKey(
        Application, verbose_name="办件", on_delete=models.CASCADE, related_name="timeline"
    )
    occurred_at = models.DateTimeField("时间", db_index=True)
    event = models.CharField("事件", max_length=60)
    title = models.CharField("标题", max_length=200)
    detail = models.TextField("说明", blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="办理机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    public = models.BooleanField("公开", default=True)

    class Meta:
        verbose_name = "办理进程"
        verbose_name_plural = "办理进程"
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.title


class NumberCounter(models.Model):
    """A DB-safe sequence per key (e.g. one per accepting region and day for 办件编号).

    ``sifa.applications.services.numbers`` bumps ``last`` with a single ``UPDATE … SET last = last + 1``,
    which takes the row lock, so two submissions on the same day never get the same number.
    """

    data_class = "internal"

    key = models.CharField("序列键", max_length=40, unique=True)
    last = models.PositiveIntegerField("当前值", default=0)

    class Meta:
        verbose_name = "编号序列"
        verbose_name_plural = "编号序列"

    def __str__(self) -> str:
        return f"{self.key}={self.last}"
