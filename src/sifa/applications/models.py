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
from django.db.models import Q

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


PLAIN_STATUS = {
    ApplicationStatus.DRAFT: "未提交",
    ApplicationStatus.SUBMITTED: "待受理",
    ApplicationStatus.CORRECTION_REQUIRED: "需补正材料",
    ApplicationStatus.PENDING_ACCEPTANCE: "待受理",
    ApplicationStatus.ACCEPTED: "已受理",
    ApplicationStatus.IN_REVIEW: "审查中",
    ApplicationStatus.SUSPENDED: "暂停办理",
    ApplicationStatus.NOT_ACCEPTED: "不予受理",
    ApplicationStatus.DELIVERED: "已办结",
    ApplicationStatus.WITHDRAWN: "已撤回",
}
"""What applicants read for a status (``Application.status_label``): the words of 浙里办 / 一网通办
(待受理, 审查中, 已办结), not the workbench's finer ones (已提交（待预审）, 中止（时限暂停）); a
decision reads 准予许可 / 不予许可 (准予办理 / 不予办理 for services)."""

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
    EXCHANGE = "exchange", "数据交换（办案机关通知）"


PARTIAL_LINKS = (
    "applicant_person",
    "applicant_company",
    "submitted_by",
    "agent",
    "mandate",
    "current_organisation",
    "receiving_window",
    "pickup_window",
)
"""The case's optional links indexed only where set (``app_<name>_set``, ``WHERE <name> IS NOT
NULL``): every lookup by such a link (``= x``, ``IN (…)``, the foreign key's own check) implies
``IS NOT NULL`` and uses the index; a case written with the link empty enters no entry."""


class Application(models.Model):
    """One 办件. ``number`` is the public 办件编号; ``query_code`` lets anyone holding it track
    progress without logging in (only its SM3 digest is stored)."""

    data_class = "case"

    id = models.UUIDField(
        primary_key=True,
        default=uuid.uuid4,
        editable=False,
        help_text="内部标识（UUID），不对外公开；对外以办件编号为准",
    )
    number = models.CharField(
        "办件编号",
        max_length=50,
        unique=True,
        null=True,
        blank=True,
        help_text="GB/T 39046 表5 办件编号（an..50）：SF + 受理机构区划代码(6) + 日期(8) + 当日序号(6)，提交时生成",
    )
    query_code_digest = models.CharField(
        "查询码摘要",
        max_length=64,
        blank=True,
        editable=False,
        help_text="查询码的 HMAC-SM3 摘要；查询码只在提交时告知申请人一次，不保存明文",
    )
    entry = models.ForeignKey(
        "catalogue.ImplementationEntry",
        verbose_name="实施清单事项",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表5 实施编码所指的实施清单事项（受理机构的事项）",
    )
    version = models.ForeignKey(
        "catalogue.ItemVersion",
        verbose_name="所依据的事项版本",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="创建草稿时所依据的事项版本，此后不变：按申请时公示的条件、材料和期限办理（行政许可法第三十条）",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人账户",
        null=True,
        blank=True,
        db_index=False,  # app_applicant_created leads with it
        on_delete=models.PROTECT,
        related_name="applications",
        help_text="申请人（公民、法人或者其他组织，行政许可法第二十九条）的平台账户；窗口受理的申请人可以没有账户",
    )
    applicant_person = models.ForeignKey(
        "accounts.NaturalPerson",
        verbose_name="申请人（自然人）",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表5 申请者名称、证件类型和证件号码：申请人为自然人时的实名信息",
    )
    applicant_company = models.ForeignKey(
        "accounts.LegalPerson",
        verbose_name="申请人（法人）",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表5 申请者名称和统一社会信用代码（GB 32100）：申请人为法人或者其他组织时",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提交人",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="实际提交申请的账户：申请人本人、其代理人或窗口工作人员",
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代理人",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="applications_as_agent",
        help_text="GB/T 39046 表5 代理人：受申请人委托代为办理的账户",
    )
    mandate = models.ForeignKey(
        "accounts.Mandate",
        verbose_name="委托",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="代理人办理所依据的委托；委托撤销、到期或不再包含该事项后，代理人不能再办理",
    )
    channel = models.CharField(
        "申报来源",
        max_length=10,
        choices=SubmissionChannel.choices,
        default=SubmissionChannel.ONLINE,
        help_text="GB/T 39046 表5 申报来源",
    )
    status = models.CharField(
        "状态",
        max_length=24,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        # No index of its own: app_status_scope leads with it (ADR 0019).
        help_text="办件状态：受理前由申请服务变更，受理后由办件流程变更；每次变更记入办理进程",
    )
    form_data = models.JSONField(
        "申请表数据",
        default=dict,
        blank=True,
        help_text="申请书内容（行政许可法第二十九条），按事项版本的申请表（JSON Schema）校验",
    )
    situation_answers = models.JSONField(
        "情形选择", default=dict, blank=True, help_text="申请人对事项情形的选择，决定需要提交哪些材料"
    )
    accepting_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="受理机构",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 39046 表6 受理单位：收到申请的实施机构",
    )
    current_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="当前办理机构",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="当前办理机构，例如由上级机关作出决定时；为空时即受理单位",
    )
    receiving_window = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="收件窗口",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="一窗受理：为来访申请人录入申请的窗口所在机构（可以是受理单位的下级机构）；"
        "该窗口只在受理和送达环节看到本办件；网上申请为空",
    )
    pickup_window = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="领取窗口",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="申请人选择领取办理结果的窗口所在机构（受理单位或其下级机构）；该窗口只在送达环节看到本办件；未选择的为空",
    )
    scope_path = PathField(
        "管辖路径",
        db_index=True,
        help_text="受理单位在机构树中的物化路径：本机构及其上级机关的工作人员可以查阅（数据范围）；"
        "下级机构的窗口只能查阅其收件或被选为领取窗口的办件",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True, help_text="草稿创建时间")
    updated_at = models.DateTimeField("更新时间", auto_now=True, help_text="最后一次变更的时间")
    submitted_at = models.DateTimeField(
        "提交时间", null=True, blank=True, help_text="GB/T 39046 表5 申请时间：申请人提交申请的时间"
    )
    received_at = models.DateTimeField(
        "收到申请材料时间",
        null=True,
        blank=True,
        help_text="收到申请材料的时间；行政许可法第三十二条第一款第（四）项的五日告知期自此起算",
    )
    accepted_at = models.DateTimeField(
        "受理时间",
        null=True,
        blank=True,
        help_text="GB/T 39046 表6 受理时间（视为受理时为收到申请材料的时间）",
    )
    deemed_accepted = models.BooleanField(
        "视为受理",
        default=False,
        help_text="行政许可法第三十二条第一款第（四）项：逾期不告知补正的，自收到申请材料之日起即为受理",
    )
    decided_at = models.DateTimeField(
        "决定时间",
        null=True,
        blank=True,
        help_text="作出准予或者不予行政许可书面决定的时间（行政许可法第三十八条）",
    )
    closed_at = models.DateTimeField(
        "办结时间", null=True, blank=True, help_text="GB/T 39046 表8 办结时间：结果送达、不予受理或撤回的时间"
    )
    is_mock = models.BooleanField(
        "模拟办件",
        default=False,
        help_text="督查人员提交的模拟办件（暗访）：照常办理，但不计入任何统计、绩效和好差评；办结前只有督查人员可见此标记",
    )
    partner_consent_at = models.DateTimeField(
        "同意部门核验时间",
        null=True,
        blank=True,
        help_text="申请人同意向公安机关核验身份信息（事项需要时还有无犯罪记录，单独同意）的时间（个人信息保护法第十四条、第二十九条）；撤回同意后清空",
    )
    partner_consent_version = models.CharField(
        "同意书版本",
        max_length=40,
        blank=True,
        help_text="申请人同意时所见告知文本的版本（applications.partner_data.consent_text）",
    )
    once_only_notices = models.JSONField(
        "免提交提示",
        default=dict,
        blank=True,
        help_text="按材料记录部门数据未能替代材料的原因（部门暂时无法核验、核验未通过），申请人在材料清单中看到",
    )
    row_version = models.PositiveIntegerField(
        "版本号",
        default=0,
        help_text="乐观并发的版本号：每次状态变更加一，两人同时办理同一办件时后提交者须刷新重试",
    )

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        indexes = [
            models.Index(fields=["applicant", "-created_at"], name="app_applicant_created"),
            models.Index(fields=["status", "scope_path"], name="app_status_scope"),
            # A link most cases leave empty is indexed where it is set: a case written without it
            # enters no entry (docs/performance.md, "2026-12-07 (session 11): W4 on PostgreSQL").
            *(
                models.Index(fields=[name], name=f"app_{name}_set", condition=Q(**{f"{name}__isnull": False}))
                for name in PARTIAL_LINKS
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿 {self.pk}"

    @property
    def status_label(self) -> str:
        """The status in plain words the applicant reads (portal, tracking page, API
        ``status_label``): :data:`PLAIN_STATUS`, never the staff's 已提交（待预审）. 准予许可 /
        不予许可 are the words of a 行政许可 (行政许可法 §38); a decided legal-aid, mediation or
        other service application reads 准予办理 / 不予办理, as its decision letter does."""
        if self.status in (ApplicationStatus.APPROVED, ApplicationStatus.DENIED):
            from sifa.catalogue.models.codes import ItemType

            if self.version.item.item_type != ItemType.LICENSING:
                return "准予办理" if self.status == ApplicationStatus.APPROVED else "不予办理"
        plain = PLAIN_STATUS.get(self.status)  # the display label only when there is none
        return self.get_status_display() if plain is None else plain


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

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="内部标识（UUID）")
    application = models.ForeignKey(
        Application,
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="materials",
        help_text="材料所属的办件",
    )
    material = models.ForeignKey(
        "catalogue.Material",
        verbose_name="所需材料",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="事项版本要求的材料（GB/T 39046 表4 材料名称）",
    )
    provenance = models.CharField(
        "来源",
        max_length=12,
        choices=MaterialProvenance.choices,
        help_text="材料来源：申请人上传、窗口扫描、电子证照库、历史办件、部门共享数据或告知承诺",
    )
    source_reference = models.CharField(
        "来源标识",
        max_length=200,
        blank=True,
        help_text="来源标识：电子证照标识（GB/T 36904）、历史办件编号或共享部门的应答编号",
    )
    source_label = models.CharField(
        "来源说明",
        max_length=200,
        blank=True,
        help_text="向申请人说明材料从何处取得",
    )
    storage_key = models.CharField(
        "存储键",
        max_length=300,
        blank=True,
        help_text="通过上传检查后文件的存储键，由服务器生成，与用户的文件名无关",
    )
    display_name = models.CharField(
        "文件名", max_length=200, blank=True, help_text="清理后的文件名，仅用于显示和下载"
    )
    content_type = models.CharField(
        "文件类型",
        max_length=100,
        blank=True,
        help_text="按文件内容识别的类型（PDF、JPEG、PNG、OFD），不采信客户端声明",
    )
    size = models.PositiveBigIntegerField("大小（字节）", default=0, help_text="所存文件的字节数")
    sm3 = models.CharField(
        "SM3摘要", max_length=64, blank=True, help_text="所存文件的 SM3 摘要（GB/T 32905）"
    )
    valid_until = models.DateField(
        "有效期至", null=True, blank=True, help_text="材料本身的有效期截止日期（如证照的有效期）"
    )
    partner_answer_id = models.CharField(
        "部门应答编号",
        max_length=100,
        blank=True,
        help_text="共享部门对数据请求的应答编号（仅部门共享数据）",
    )
    partner_answered_at = models.DateTimeField(
        "部门应答时间", null=True, blank=True, help_text="共享部门的应答时间（仅部门共享数据）"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="上传人：申请人、代理人或窗口工作人员",
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, help_text="材料提交时间")
    superseded = models.BooleanField(
        "已被替换", default=False, help_text="已被同一材料的新文件替换（如补正时）；被替换的记录保留备查"
    )

    class Meta:
        verbose_name = "办件材料"
        verbose_name_plural = "办件材料"

    def __str__(self) -> str:
        return self.display_name or self.source_label or str(self.pk)


class IdempotencyRecord(models.Model):
    """The first answer to a request carrying an ``Idempotency-Key``; retries get it again."""

    data_class = "internal"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用户",
        on_delete=models.CASCADE,
        related_name="+",
        help_text="发出请求的账户：幂等键只在同一账户内有效",
    )
    key = models.CharField("幂等键", max_length=200, help_text="请求头 Idempotency-Key 的值")
    scope = models.CharField("操作", max_length=80, help_text="幂等键所属的操作（创建草稿或提交某一草稿）")
    request_digest = models.CharField(
        "请求摘要", max_length=64, help_text="请求内容的 SM3 摘要：同一幂等键配不同内容的请求被拒绝（422）"
    )
    response_status = models.PositiveSmallIntegerField(
        "响应状态", help_text="第一次应答的 HTTP 状态码，重试时原样返回"
    )
    response_body = models.JSONField(
        "响应内容", help_text="第一次成功应答的内容，重试时原样返回；其中的查询码以 SM4-GCM 密封保存"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True, help_text="第一次请求的时间")

    class Meta:
        verbose_name = "幂等记录"
        verbose_name_plural = "幂等记录"
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class CorrectionNotice(models.Model):
    """一次性告知书 (行政许可法 §32; 法律援助法 §43): every problem to fix, in one notice."""

    data_class = "case"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, help_text="内部标识（UUID）")
    application = models.ForeignKey(
        Application,
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="correction_notices",
        help_text="被告知补正的办件",
    )
    items = models.JSONField(
        "补正内容",
        help_text="行政许可法第三十二条第一款第（四）项：一次告知需要补正的全部内容 [{material_id 或 field, code, message}]",
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="告知人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="作出告知的窗口工作人员；自动预审告知时为空",
    )
    issued_at = models.DateTimeField(
        "告知时间",
        help_text="告知时间：应当当场或者在收到申请材料后五日内（行政许可法第三十二条第一款第（四）项）",
    )
    answered_at = models.DateTimeField(
        "补正提交时间", null=True, blank=True, help_text="申请人提交全部补正材料的时间"
    )
    document_number = models.CharField(
        "文书编号",
        max_length=80,
        blank=True,
        help_text="一次性告知书文号：BZGZ + 区划代码(6) + 年份 + 当年序号(6)",
    )

    class Meta:
        verbose_name = "一次性告知书"
        verbose_name_plural = "一次性告知书"

    def __str__(self) -> str:
        return self.document_number or str(self.pk)


class PreReviewFinding(models.Model):
    """A problem found by the automatic pre-review or by staff, before acceptance."""

    data_class = "case"

    application = models.ForeignKey(
        Application,
        verbose_name="办件",
        on_delete=models.CASCADE,
        related_name="findings",
        help_text="被预审的办件",
    )
    source = models.CharField(
        "来源",
        max_length=10,
        choices=[("auto", "自动预审"), ("staff", "人工预审")],
        help_text="自动预审（受理前的机器检查）或人工预审",
    )
    field = models.CharField("字段或材料", max_length=200, blank=True, help_text="问题所在的申请表字段或材料")
    code = models.CharField("问题代码", max_length=80, help_text="稳定的问题代码（如 material.missing）")
    message = models.CharField("问题说明", max_length=500, help_text="给申请人看的问题说明")
    created_at = models.DateTimeField("时间", auto_now_add=True, help_text="发现问题的时间")
    resolved = models.BooleanField("已解决", default=False, help_text="已解决：申请人提交补正后")

    class Meta:
        verbose_name = "预审意见"
        verbose_name_plural = "预审意见"

    def __str__(self) -> str:
        return self.message


class TimelineEntry(models.Model):
    """One public step on the application's timeline (shown without staff names)."""

    data_class = "case"

    application = models.ForeignKey(
        Application,
        verbose_name="办件",
        db_index=False,  # applications_timeline_order leads with it
        on_delete=models.CASCADE,
        related_name="timeline",
        help_text="所属办件",
    )
    occurred_at = models.DateTimeField("时间", db_index=True, help_text="该步骤发生的时间")
    event = models.CharField(
        "事件", max_length=60, help_text="步骤代码（如 submitted、pre_review_passed），供程序区分步骤"
    )
    title = models.CharField(
        "标题", max_length=200, help_text="向申请人和查询人显示的步骤名称，不含工作人员姓名"
    )
    detail = models.TextField("说明", blank=True, help_text="该步骤的说明（如不予受理的理由）")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="办理机构",
        null=True,
        blank=True,
        db_index=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="办理该步骤的机构",
    )
    public = models.BooleanField("公开", default=True, help_text="是否在免登录查询页和申请人的办理进程中显示")

    class Meta:
        verbose_name = "办理进程"
        verbose_name_plural = "办理进程"
        ordering = ["occurred_at", "id"]
        indexes = [
            # A case's entries in their order: the newest 50 of a command's answer are read from
            # the index's end, not sorted from all the case's entries (cost independent of history).
            models.Index(fields=["application", "occurred_at", "id"], name="applications_timeline_order"),
            models.Index(
                fields=["organisation"],
                name="timeline_organisation_set",
                condition=Q(organisation__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NumberCounter(models.Model):
    """A DB-safe sequence per key (e.g. one per accepting region and day for 办件编号).

    ``sifa.applications.services.numbers`` bumps ``last`` with a single ``UPDATE … SET last = last + 1``,
    which takes the row lock, so two submissions on the same day never get the same number.
    """

    data_class = "internal"

    key = models.CharField(
        "序列键",
        max_length=40,
        unique=True,
        help_text="序列键：编号前缀，如 SF + 区划代码 + 日期（每个受理地区每天一个序列）",
    )
    last = models.PositiveIntegerField(
        "当前值", default=0, help_text="该序列最后发出的序号，在提交命令的事务中加一"
    )

    class Meta:
        verbose_name = "编号序列"
        verbose_name_plural = "编号序列"

    def __str__(self) -> str:
        return f"{self.key}={self.last}"
