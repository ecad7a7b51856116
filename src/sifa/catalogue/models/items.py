"""基本目录事项 and its versions with their content: fees, materials, situations, form and process.

A published version is immutable (同一事项、同一标准): applications pin the version they were filed
under, so its content must read the same forever. Services refuse changes first; the ``save()`` and
``delete()`` guards here catch any other code path that tries (``QuerySet.update()`` bypasses them, so
services never use it on version content).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from sifa.catalogue.errors import version_immutable
from sifa.catalogue.models.codes import (
    AcrossScope,
    CaseType,
    ItemLevel,
    ItemType,
    LicenceEffect,
    LimitStart,
    MaterialMedium,
    MaterialNecessity,
    MaterialSource,
    OnlineDepthLevel,
    ResultType,
    ReviewType,
    TimeUnit,
    VersionStatus,
)

LOCKED_STATUSES = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED, VersionStatus.WITHDRAWN)
# Which status changes a locked version may still go through; nothing else about it may change.
LOCKED_TRANSITIONS = {
    (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED),
    (VersionStatus.PUBLISHED, VersionStatus.WITHDRAWN),
}
MUTABLE_AFTER_PUBLISH = ("status", "valid_until", "updated_at")
SUMMARY_LENGTH = 60  # a search result's one-line description, in characters


class CatalogueItem(models.Model):
    """基本目录事项 (GB/T 39046-2020 表4 事项名称/基本编码/事项类型/设定依据/行使层级/服务对象/服务主题)."""

    data_class = "public"

    basic_code = models.CharField(
        "基本编码",
        max_length=50,
        unique=True,
        help_text="GB/T 39554.1 基本编码, stored as varchar(50) (standards.md §1.3); Sifa: 00+类型2+主项5+子项3",
    )
    name = models.CharField("事项名称", max_length=200, help_text="GB/T 39046 表4 事项名称 an..200")
    item_type = models.CharField(
        "事项类型", max_length=2, choices=ItemType.choices, help_text="GB/T 39046 表A.1"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级事项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(
        "事项层次", choices=ItemLevel.choices, default=ItemLevel.MAIN, help_text="主项 → 子项 → 业务办理项"
    )
    legal_basis = models.JSONField(
        "设定依据",
        default=list,
        help_text='GB/T 39046 表4 设定依据: [{"law": "中华人民共和国律师法", "article": "第六条"}, …]',
    )
    exercise_levels = models.JSONField("行使层级", default=list, help_text="GB/T 39046 表A.2 codes, several")
    service_objects = models.JSONField("服务对象", default=list, help_text="GB/T 39046 表A.4 codes")
    topics = models.JSONField("服务主题", default=list, help_text="个人 (P..) / 法人 (C..) topic codes")
    owner = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="目录管理机构",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation whose catalogue admins (and those above) maintain the item",
    )
    source = models.TextField("内容来源", blank=True, help_text="Where the content was taken from")
    search_text = models.TextField(
        "检索词",
        blank=True,
        editable=False,
        help_text="jieba-segmented words, space-joined (sifa.catalogue.search); maintained by services",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "基本目录事项"
        verbose_name_plural = "基本目录事项"
        ordering = ["basic_code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.basic_code}）"

    @property
    def summary(self) -> str:
        """一句话说明 of the live version (every search result shows it); reads prefetched versions."""
        live = [v for v in self.versions.all() if v.status == VersionStatus.PUBLISHED]
        return live[-1].summary if live else ""


class ItemVersion(models.Model):
    """One version of an item's content: the national 实施清单 elements that are the same at every level."""

    data_class = "public"

    item = models.ForeignKey(
        CatalogueItem, verbose_name="事项", on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField("版本号", help_text="实施清单 TASK_VERSION")
    status = models.CharField(
        "状态", max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    valid_from = models.DateTimeField("生效时间", null=True, blank=True, help_text="PLAN_EFFECTIVE_DATE")
    valid_until = models.DateTimeField("失效时间", null=True, blank=True, help_text="PLAN_CANCEL_DATE")
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发布人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_digest = models.CharField(
        "内容摘要", max_length=64, blank=True, help_text="SM3 of the loaded fixture"
    )

    scope = models.TextField("适用范围", blank=True, help_text="行政许可标准化指引 附录2 第1项")
    review_type = models.CharField(
        "事项审查类型", max_length=30, choices=ReviewType.choices, blank=True, help_text="附录2 第2项"
    )
    quantity_limit = models.TextField("数量限制", blank=True, help_text="GB/T 39046 表4; LIMIT_EXPLAIN")
    application_conditions = models.TextField("申请条件", blank=True, help_text="附录2 第7项")
    prohibitions = models.TextField("禁止性要求", blank=True, help_text="附录2 第8项")
    accept_conditions = models.TextField("受理条件", blank=True, help_text="GB/T 39046 表4; ACCEPT_CONDITION")
    intake = models.TextField("申请接收", blank=True, help_text="附录2 第10项")
    handling_flow = models.TextField("办理流程", blank=True, help_text="GB/T 39046 表4; HANDLE_FLOW")
    legal_limit_value = models.PositiveIntegerField(
        "法定办结时限", null=True, blank=True, help_text="ANTICIPATE_DAY"
    )
    legal_limit_unit = models.CharField("法定时限单位", max_length=12, choices=TimeUnit.choices, blank=True)
    legal_limit_note = models.TextField("法定时限说明", blank=True, help_text="ANTICIPATE_EXPLAIN")
    limit_start = models.CharField(
        "时限起算",
        max_length=12,
        choices=LimitStart.choices,
        default=LimitStart.ACCEPTANCE,
        help_text=(
            "Whether the legal and promised limits and the first stage count from 受理 (行政许可法 §42) "
            "or from the receipt of the application (法律援助法 §43, §49)"
        ),
    )
    promised_limit_value = models.PositiveIntegerField(
        "承诺办结时限", null=True, blank=True, help_text="PROMISE_DAY"
    )
    promised_limit_unit = models.CharField(
        "承诺时限单位", max_length=12, choices=TimeUnit.choices, blank=True
    )
    promised_limit_note = models.TextField("承诺时限说明", blank=True, help_text="PROMISE_EXPLAIN")
    case_type = models.CharField(
        "办件类型", max_length=1, choices=CaseType.choices, blank=True, help_text="表A.6"
    )
    handling_forms = models.JSONField("办理形式", default=list, help_text="GB/T 39046 表A.5 codes")
    online_depth_level = models.CharField(
        "网上办理深度（星级）", max_length=3, choices=OnlineDepthLevel.choices, blank=True
    )
    online_depth_codes = models.JSONField(
        "网上办理深度", default=list, help_text="ONLINE_HANDLE_DEPTH codes 1–8"
    )
    visits_required = models.PositiveSmallIntegerField(
        "到办事现场次数", null=True, blank=True, help_text="LIMIT_SCENE_NUM"
    )
    visits_reason = models.TextField("必须现场办理原因", blank=True, help_text="LIMIT_SCENE_EXPLAIN")
    across_scope = models.CharField(
        "通办范围", max_length=20, choices=AcrossScope.choices, blank=True, help_text="GB/T 39046 表4 第33项"
    )
    is_charged = models.BooleanField("是否收费", default=False, help_text="IS_FEE")
    result_name = models.CharField("审批结果名称", max_length=200, blank=True, help_text="RESULT_NAME")
    result_type = models.CharField("审批结果类型", max_length=12, choices=ResultType.choices, blank=True)
    result_sample = models.CharField(
        "审批结果样本", max_length=500, blank=True, help_text="File reference or URL"
    )
    result_delivery = models.TextField("结果送达", blank=True, help_text="附录2 第16项")
    licence_effect = models.CharField(
        "证照办理方式",
        max_length=12,
        choices=LicenceEffect.choices,
        default=LicenceEffect.ISSUE,
        help_text="issue: the licence type of result_name is issued; reissue/cancel act on the applicant's"
        " current licence of subject_licence_type (换发 律师法 §10; 注销 行政许可法 §70)",
    )
    subject_licence_type = models.CharField(
        "办理对象证照类型",
        max_length=50,
        blank=True,
        help_text="证照类型代码 or key of the licence a reissue/cancel acts on; the material satisfiable by"
        " that type is taken from the applicant's wallet",
    )
    extension_applies = models.BooleanField(
        "可依行政许可法第四十二条延长",
        default=False,
        help_text="行政许可法 §42: the deciding organisation's head may extend the limit by 10 days, unless a"
        " law or regulation sets the limit otherwise (e.g. 律师法 §6, 条例 §9)",
    )
    extension_basis = models.TextField(
        "延长期限依据", blank=True, help_text="Why §42 extension applies or not, with the article"
    )
    special_procedures = models.TextField("特别程序", blank=True, help_text="SPECIAL_PROCEDURE; 表A.7")
    rights = models.TextField("依法享有的权利", blank=True, help_text="RIGHT_ENJOY_BY_LAW")
    duties = models.TextField("依法履行的义务", blank=True, help_text="DUTY_PERFORM_BY_LAW")
    administrative_review = models.JSONField(
        "行政复议", default=dict, blank=True, help_text="ADMINISTRATIVE_REVIEW_DEPT/ADDR/PHONE/URL"
    )
    administrative_litigation = models.JSONField(
        "行政诉讼", default=dict, blank=True, help_text="ADMINISTRATIVE_LITIGATION_DEPT/ADDR/PHONE/URL"
    )
    consultation_phone = models.CharField("咨询电话", max_length=50, blank=True, help_text="CONSULT_PHONE")
    complaint_phone = models.CharField("监督投诉电话", max_length=50, blank=True, help_text="COMPLAIN_PHONE")
    office_hours = models.CharField("办理时间", max_length=200, blank=True, help_text="TRANSACT_TIME")

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True, db_index=True)

    class Meta:
        verbose_name = "事项版本"
        verbose_name_plural = "事项版本"
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalogue_version_number_unique"),
            # One live version and at most one draft per item, enforced by the database so that two
            # concurrent publish requests cannot leave two versions live.
            models.UniqueConstraint(
                fields=["item"], condition=Q(status=VersionStatus.PUBLISHED), name="catalogue_one_published"
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status=VersionStatus.DRAFT), name="catalogue_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} 第{self.number}版（{self.get_status_display()}）"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            names = self.content_attnames()
            stored = type(self).objects.filter(pk=self.pk).values("status", *names).first()
            if stored and stored["status"] in LOCKED_STATUSES:
                changed = [n for n in names if stored[n] != getattr(self, n)]
                moved = stored["status"] != self.status
                if changed or (moved and (stored["status"], self.status) not in LOCKED_TRANSITIONS):
                    raise version_immutable()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if type(self).objects.filter(pk=self.pk, status__in=LOCKED_STATUSES).exists():
            raise version_immutable()
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        """实施清单 PLAN_CANCEL_DATE comes after PLAN_EFFECTIVE_DATE."""
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": "失效时间应晚于生效时间"})

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES

    @classmethod
    def content_attnames(cls) -> list[str]:
        return [f.attname for f in cls._meta.concrete_fields if f.name not in ("id", *MUTABLE_AFTER_PUBLISH)]

    @property
    def summary(self) -> str:
        """一句话说明: who it is for and what they get, in one line of at most SUMMARY_LENGTH characters."""
        return version_summary(self.scope, self.result_name)


def version_summary(scope: str, result_name: str) -> str:
    """A version's 一句话说明 from its 适用范围 and 审批结果名称 (also for rows read with ``values()``)."""
    parts = []
    if scope:
        parts.append(f"适用于{scope.rstrip('。；;')}")
    if result_name:
        parts.append(f"办结后取得{result_name}")
    text = "；".join(parts)
    return text if len(text) <= SUMMARY_LENGTH else text[: SUMMARY_LENGTH - 1] + "…"


def _version_locked(version_id: int | None) -> bool:
    return bool(version_id) and ItemVersion.objects.filter(pk=version_id, status__in=LOCKED_STATUSES).exists()


class VersionChild(models.Model):
    """A row that belongs to a version: refused once that version is published."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)

    def owning_version_id(self) -> int | None:
        return self.version_id

    def _guard(self) -> None:
        if _version_locked(self.owning_version_id()):
            raise version_immutable()
        if self.pk is not None:
            # Moving an existing row out of a locked version is a change to that version too.
            stored = type(self).objects.filter(pk=self.pk).first()
            if stored is not None and _version_locked(stored.owning_version_id()):
                raise version_immutable()


class Fee(VersionChild):
    """收费项目 (national ``ml_matter_charge``)."""

    data_class = "public"

    version = models.ForeignKey(
        ItemVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="fees"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    name = models.CharField("收费项目名称", max_length=200)
    standard = models.TextField("收费标准", blank=True)
    basis = models.TextField("收费依据", blank=True)
    waivable = models.BooleanField("是否允许减免", default=False)
    waiver_basis = models.TextField("减免依据", blank=True)

    class Meta:
        verbose_name = "收费项目"
        verbose_name_plural = "收费项目"
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name


class Material(VersionChild):
    """申请材料 (national ``ml_matter_file``; GB/T 39046 表4 材料名称 … 是否必备材料)."""

    data_class = "public"

    version = models.ForeignKey(
        ItemVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="materials"
    )
    order = models.PositiveSmallIntegerField("排序", default=0, help_text="ORDER_NUM")
    name = models.CharField("材料名称", max_length=300, help_text="MATERIAL_NAME")
    source = models.CharField("来源渠道", max_length=12, choices=MaterialSource.choices, blank=True)
    issuing_body = models.CharField(
        "出具机构", max_length=200, blank=True, help_text="SOURCE_EXPLAIN; 表4 出具机构"
    )
    necessity = models.CharField(
        "材料必要性", max_length=12, choices=MaterialNecessity.choices, default=MaterialNecessity.REQUIRED
    )
    original_count = models.PositiveSmallIntegerField("原件份数", default=0, help_text="ORIGINALNUM")
    copy_count = models.PositiveSmallIntegerField("复印件份数", default=0, help_text="COPIESNUM")
    medium = models.CharField(
        "材料形式", max_length=12, choices=MaterialMedium.choices, default=MaterialMedium.BOTH
    )
    file_format = models.CharField("电子文件格式", max_length=100, blank=True, help_text="e.g. pdf,jpg")
    page_size = models.CharField("纸质规格", max_length=20, blank=True, help_text="PAGE_FORMAT, e.g. A4")
    filling_notes = models.TextField("填报须知", blank=True, help_text="FILL_EXPLAIN")
    blank_form = models.CharField(
        "空白表格", max_length=500, blank=True, help_text="FORM_GUID: file ref or URL"
    )
    sample = models.CharField(
        "示例样表", max_length=500, blank=True, help_text="EXAMPLE_GUID: file ref or URL"
    )
    legal_basis = models.TextField("要求提供材料的依据", blank=True, help_text="BY_LAW")
    situations = models.JSONField(
        "适用情形",
        default=list,
        blank=True,
        help_text='HANDLE_CASE: ["code=value", …]; empty = always; any one matching is enough',
    )
    satisfiable_by_licence_type = models.CharField(
        "可由电子证照替代",
        max_length=50,
        blank=True,
        help_text="证照类型代码 (GB/T 36902); 国务院令716 §7: not asked for when the licence is on file",
    )
    satisfiable_by_partner_data = models.CharField(
        "可由共享数据替代",
        max_length=50,
        blank=True,
        help_text="Partner data code, e.g. police.criminal_record",
    )

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["version", "order", "id"]

    def __str__(self) -> str:
        return self.name

    def applies_to(self, answers: dict[str, str]) -> bool:
        """Whether the material is asked for, given the applicant's answers to the 情形 questions."""
        if not self.situations:
            return True
        return any(
            answers.get(code) == value for code, _, value in (s.partition("=") for s in self.situations)
        )


class Situation(VersionChild):
    """情形: a question whose answer decides which materials apply."""

    data_class = "public"

    version = models.ForeignKey(
        ItemVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="situations"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    code = models.CharField("情形代码", max_length=50)
    question = models.CharField("问题", max_length=300, help_text="In plain words, as people would ask it")
    options = models.JSONField("选项", default=list, help_text='[{"value": "yes", "label": "是"}, …]')
    hint = models.TextField(
        "说明", blank=True, help_text="Plain-language help under the question (who counts, examples)"
    )
    basis = models.TextField(
        "法律依据", blank=True, help_text="The article behind the question, quoted; shown behind 了解更多"
    )

    class Meta:
        verbose_name = "情形"
        verbose_name_plural = "情形"
        ordering = ["version", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="catalogue_situation_code_unique")
        ]

    def __str__(self) -> str:
        return self.question


class FormSchema(VersionChild):
    """The application form of a version: JSON Schema (draft 2020-12), Chinese titles, ``x-ui`` hints."""

    data_class = "public"

    version = models.OneToOneField(
        ItemVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="form"
    )
    schema = models.JSONField("JSON Schema", default=dict)

    class Meta:
        verbose_name = "申请表单"
        verbose_name_plural = "申请表单"

    def __str__(self) -> str:
        return f"{self.version} 申请表单"


class ProcessDefinition(VersionChild):
    """The BPMN process a version runs (workflow app) and its stages with their own limits."""

    data_class = "public"

    version = models.OneToOneField(
        ItemVersion, verbose_name="版本", on_delete=models.CASCADE, related_name="process"
    )
    bpmn_file = models.CharField(
        "BPMN 文件", max_length=200, blank=True, help_text="Name under workflow/bpmn/"
    )

    class Meta:
        verbose_name = "办理流程定义"
        verbose_name_plural = "办理流程定义"

    def __str__(self) -> str:
        return self.bpmn_file or "办理流程"


class Stage(VersionChild):
    """办理环节 (national ``ml_matter_process_link``): 环节名称, 办理机构层级, 时限 + 单位."""

    data_class = "public"

    process = models.ForeignKey(
        ProcessDefinition, verbose_name="流程", on_delete=models.CASCADE, related_name="stages"
    )
    order = models.PositiveSmallIntegerField("顺序")
    name = models.CharField("环节名称", max_length=100)
    organisation_level = models.CharField(
        "办理层级", max_length=1, blank=True, help_text="表A.2 行使层级代码"
    )
    limit_value = models.PositiveIntegerField("环节时限", null=True, blank=True)
    limit_unit = models.CharField("时限单位", max_length=12, choices=TimeUnit.choices, blank=True)
    legal_basis = models.CharField("时限依据", max_length=300, blank=True)
    not_counted = models.BooleanField(
        "不计入办理期限",
        default=False,
        help_text="行政许可法 §45: the time this stage needs (考核, 专家评审 …) is not counted; while it runs"
        " the case's legal and promised clocks are suspended",
    )

    class Meta:
        verbose_name = "办理环节"
        verbose_name_plural = "办理环节"
        ordering = ["process", "order"]

    def __str__(self) -> str:
        return self.name

    def owning_version_id(self) -> int | None:
        return (
            ProcessDefinition.objects.filter(pk=self.process_id).values_list("version_id", flat=True).first()
        )
