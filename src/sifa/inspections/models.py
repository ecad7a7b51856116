"""督查: mock applications (模拟办件) and random checks (随机抽查) by inspectors (督查人员).

* ``TestApplicant`` — a fictitious applicant the inspection holds: a citizen account registered
  through the ordinary registration service, known as a test identity only here. Staff see an
  ordinary applicant.
* ``MockApplication`` — the inspection's record of one 模拟办件: the ordinary ``Application`` it
  filed as the test applicant (``Application.is_mock``), the inspector, and the score of the
  handling against :data:`sifa.inspections.checklist.MOCK_CHECKLIST` once the case has ended.
* ``RandomCheck`` — one seeded draw of closed cases of an organisation's subtree in a month: the
  seed, the number of candidates and the sample, recorded and audited; closed when every sampled
  case has its finding.
* ``SampledCase`` — one drawn case, its inspector, its checklist scores and finding.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from sifa.core.db import PathField


class TestApplicant(models.Model):
    """A test identity (测试身份) of an inspecting organisation: the applicant of its mock applications."""

    data_class = "personal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    person = models.OneToOneField(
        "accounts.NaturalPerson", verbose_name="测试身份", on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="督查机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The inspecting organisation's path")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "测试身份"
        verbose_name_plural = "测试身份"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return str(self.public_id)


class MockApplication(models.Model):
    """模拟办件: an ordinary application filed by an inspector as a test applicant."""

    data_class = "case"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    application = models.OneToOneField(
        "applications.Application", verbose_name="办件", on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(
        TestApplicant, verbose_name="测试身份", on_delete=models.PROTECT, related_name="mocks"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="被督查机构",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The accepting organisation of the application",
    )
    inspecting_organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="督查机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField(
        "管辖路径", db_index=True, help_text="The inspecting organisation's path: only its inspectors read it"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="督查人员", on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField("评分", default=dict, blank=True, help_text="checklist key → points given")
    score_total = models.PositiveSmallIntegerField("总分", null=True, blank=True)
    findings = models.TextField("督查发现", blank=True)
    scored_at = models.DateTimeField("评分时间", null=True, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评分人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    idempotency_owner = models.CharField("幂等键所有人", max_length=80, blank=True, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=200, blank=True, editable=False)
    request_digest = models.CharField("请求摘要", max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("提交时间", default=timezone.now)

    class Meta:
        verbose_name = "模拟办件"
        verbose_name_plural = "模拟办件"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="mock_idempotency_once",
            )
        ]

    def __str__(self) -> str:
        return str(self.public_id)

    @property
    def ended(self) -> bool:
        """Delivered, not accepted or withdrawn: from then on the organisation may know."""
        return self.application.closed_at is not None


class CheckStatus(models.TextChoices):
    OPEN = "open", "检查中"
    CLOSED = "closed", "已完成"


class RandomCheck(models.Model):
    """随机抽查: a reproducible draw of an organisation's closed cases in one month."""

    data_class = "case"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "organisations.Organisation", verbose_name="被抽查机构", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The checked organisation's path")
    period = models.CharField("期间", max_length=7, help_text="YYYY-MM: the month the cases were closed in")
    size = models.PositiveSmallIntegerField("抽取数量")
    seed = models.CharField("随机种子", max_length=64)
    seed_given = models.BooleanField("种子由督查人员指定", default=False)
    candidate_count = models.PositiveIntegerField("候选办件数")
    status = models.CharField("状态", max_length=10, choices=CheckStatus.choices, default=CheckStatus.OPEN)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="抽取人", on_delete=models.PROTECT, related_name="+"
    )
    idempotency_owner = models.CharField("幂等键所有人", max_length=80, blank=True, editable=False)
    idempotency_key = models.CharField("幂等键", max_length=200, blank=True, editable=False)
    request_digest = models.CharField("请求摘要", max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField("抽取时间", default=timezone.now)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "随机抽查"
        verbose_name_plural = "随机抽查"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["period", "scope_path"], name="check_period_path")]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_owner", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="check_idempotency_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period}:{self.public_id}"


class Result(models.TextChoices):
    PASS = "pass", "合格"
    ISSUES = "issues", "存在问题"


class Severity(models.TextChoices):
    MINOR = "minor", "一般"
    MAJOR = "major", "较重"
    SERIOUS = "serious", "严重"


class SampledCase(models.Model):
    """One case a random check drew, with its inspector and finding."""

    data_class = "case"

    random_check = models.ForeignKey(RandomCheck, on_delete=models.CASCADE, related_name="cases")
    application = models.ForeignKey(
        "applications.Application", verbose_name="办件", on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField("抽取顺序")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="检查人", on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField("评分", default=dict, blank=True)
    score_total = models.PositiveSmallIntegerField("总分", null=True, blank=True)
    result = models.CharField("结论", max_length=10, choices=Result.choices, blank=True)
    severity = models.CharField("问题程度", max_length=10, choices=Severity.choices, blank=True)
    findings = models.TextField("检查发现", blank=True)
    checked_at = models.DateTimeField("检查时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽查办件"
        verbose_name_plural = "抽查办件"
        ordering = ["random_check", "position"]
        constraints = [
            models.UniqueConstraint(fields=["random_check", "application"], name="sampled_once_per_check"),
        ]

    def __str__(self) -> str:
        return f"{self.random_check_id}:{self.position}"
