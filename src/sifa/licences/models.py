"""电子证照: licence types, licences (one row per version), 用证授权 and the use log.

A licence row is never edited after issuance except for its status fields: reissue (换发),
replacement (补办) and change (变更) create a new row with ``version + 1`` and mark the old one
superseded. ``payload`` holds the exact canonical JSON bytes that were signed (GB/T 36903 core
metadata, see ``sifa.licences.payload``), so verification never re-serialises anything.

The holder's 公民身份号码 is personal data: stored only as SM4-GCM ciphertext bound to the licence's
UUID (like ``accounts.NaturalPerson``), next to a blind index and a masked copy. The signed payload
carries only the masked code plus a salted SM3 commitment to the full code (docs/licences.md).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from sifa.accounts.models import sealed_aad
from sifa.core.crypto import field_cipher
from sifa.core.db import PathField


class HolderKind(models.TextChoices):
    PERSON = "person", "自然人"
    COMPANY = "company", "法人或其他组织"


class HolderCodeType(models.TextChoices):
    """持证主体代码类型 (GB/T 36903-2018; standards.md §4.3)."""

    ID_NUMBER = "111", "公民身份号码"
    USCC = "001", "统一社会信用代码"


class LicenceStatus(models.TextChoices):
    VALID = "valid", "有效"
    SUSPENDED = "suspended", "停止执业"
    REVOKED = "revoked", "已吊销"
    CANCELLED = "cancelled", "已注销"
    SUPERSEDED = "superseded", "已换发新版本"


EXPIRED = "expired"
EXPIRED_LABEL = "已过期"
"""Expiry is computed from ``valid_until`` at read time, never stored, so it can never be stale."""


class IssueKind(models.TextChoices):
    ISSUE = "issue", "签发"
    REISSUE = "reissue", "换发"
    REPLACEMENT = "replacement", "补办"
    CHANGE = "change", "变更"
    IMPORT = "import", "存量导入"


class LicenceType(models.Model):
    """证照类型 (GB/T 36902 目录信息). ``code`` = the definer's USCC (司法部) + 3-digit sequence."""

    data_class = "public"

    code = models.CharField(
        "证照类型代码",
        max_length=21,
        unique=True,
        help_text="GB/T 36904 证照类型代码：证照定义机构的统一社会信用代码(18) + 3位顺序号；一经使用不再改变含义",
    )
    key = models.SlugField(
        "类型键",
        max_length=50,
        unique=True,
        help_text="稳定的类型键，供事项目录引用（Material.satisfiable_by_licence_type），如 lawyer_licence",
    )
    name = models.CharField(
        "证照类型名称", max_length=100, help_text="GB/T 36902 证照类型名称，如 律师执业证"
    )
    definer_name = models.CharField(
        "证照定义机构", max_length=100, help_text="GB/T 36902 证照定义机构名称（司法部）"
    )
    definer_uscc = models.CharField(
        "证照定义机构代码",
        max_length=18,
        help_text="GB/T 36902 证照定义机构代码：统一社会信用代码（GB 32100）",
    )
    holder_kind = models.CharField(
        "持证主体类别",
        max_length=10,
        choices=HolderKind.choices,
        help_text="持证主体类别：自然人，或者法人和其他组织",
    )
    validity_years = models.PositiveSmallIntegerField(
        "默认有效期（年）",
        null=True,
        blank=True,
        help_text="签发时默认的有效期年数；为空表示长期有效（直至注销或吊销）",
    )
    result_names = models.JSONField(
        "对应审批结果名称",
        default=list,
        help_text="该类证照对应的审批结果名称（事项版本的 result_name，GB/T 39046 表4 结果名称）",
    )
    legal_basis = models.CharField(
        "设定依据",
        max_length=300,
        blank=True,
        help_text="设定该证照的法律依据，如《中华人民共和国律师法》第六条",
    )

    class Meta:
        verbose_name = "证照类型"
        verbose_name_plural = "证照类型"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Licence(models.Model):
    """One version of one 电子证照, with the GB/T 36903 core metadata and its SM2 signature."""

    data_class = "personal"

    id = models.UUIDField(
        primary_key=True,
        default=uuid.uuid4,
        editable=False,
        help_text="内部标识（UUID），也用于绑定持证主体代码密文",
    )
    identifier = models.CharField(
        "电子证照标识",
        max_length=160,
        unique=True,
        help_text="GB/T 36904 电子证照标识：1.2.156.3005.2.类型代码.颁发机构代码.流水号.版本号.校验位（ISO 7064 MOD 37,36）",
    )
    licence_type = models.ForeignKey(
        LicenceType,
        verbose_name="证照类型",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="GB/T 36903 证照类型",
    )
    serial = models.CharField("流水号", max_length=64, help_text="GB/T 36904 流水号：同一证照的各版本相同")
    version = models.PositiveSmallIntegerField(
        "版本号", default=1, help_text="GB/T 36904 版本号（001–999）：换发、补办、变更各加一"
    )
    number = models.CharField(
        "证照编号",
        max_length=64,
        help_text="GB/T 36903 证照编号，印在证照上：区划代码(6) + 年份(4) + 类型顺序号(3) + 序号(5)",
    )
    name = models.CharField("证照名称", max_length=100, help_text="GB/T 36903 证照名称")
    issue_kind = models.CharField(
        "签发方式",
        max_length=12,
        choices=IssueKind.choices,
        default=IssueKind.ISSUE,
        help_text="该版本如何产生：签发、换发、补办、变更或存量导入",
    )
    issuer = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="颁发机构",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="颁发机构（行政许可法第三十九条：颁发加盖本行政机关印章的许可证件）",
    )
    issuer_name = models.CharField(
        "证照颁发机构",
        max_length=100,
        help_text="GB/T 36903 证照颁发机构名称（签发时的名称，签名数据中的值）",
    )
    issuer_uscc = models.CharField(
        "证照颁发机构代码",
        max_length=18,
        help_text="GB/T 36903 证照颁发机构代码：统一社会信用代码（GB 32100）",
    )
    issue_date = models.DateField("证照颁发日期", help_text="GB/T 36903 证照颁发日期")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="持证人账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
        help_text="持证人的平台账户，证照归集到其“我的证照”；持证人尚无账户的存量证照为空",
    )
    holder_name = models.CharField(
        "持证主体", max_length=200, help_text="GB/T 36903 持证主体名称（签名数据中自然人姓名脱敏）"
    )
    holder_code_type = models.CharField(
        "持证主体代码类型",
        max_length=3,
        choices=HolderCodeType.choices,
        help_text="GB/T 36903 持证主体代码类型：111 公民身份号码，001 统一社会信用代码",
    )
    holder_code_enc = models.BinaryField(
        "持证主体代码（密文）",
        null=True,
        editable=False,
        help_text="持证主体代码（公民身份号码）的 SM4-GCM 密文，绑定本证照的内部标识；统一社会信用代码公开，不加密",
    )
    holder_code_index = models.CharField(
        "持证主体代码盲索引",
        max_length=64,
        db_index=True,
        editable=False,
        help_text="持证主体代码的盲索引（HMAC-SM3），用于精确查找而不保存明文",
    )
    holder_code_masked = models.CharField(
        "持证主体代码（脱敏）",
        max_length=18,
        editable=False,
        help_text="脱敏的持证主体代码，用于显示和签名数据",
    )
    holder_salt = models.CharField(
        "持证主体承诺盐值",
        max_length=32,
        editable=False,
        help_text="签名数据中持证主体承诺值的随机盐（十六进制），只保存在服务器",
    )
    jurisdiction_code = models.CharField(
        "证照所属管辖属地编码",
        max_length=12,
        help_text="GB/T 36903 证照所属管辖属地编码：颁发机构的区划代码（GB/T 2260）",
    )
    valid_from = models.DateField("有效期起始日期", help_text="GB/T 36903 证照有效期起始日期")
    valid_until = models.DateField(
        "有效期截止日期",
        null=True,
        blank=True,
        help_text="GB/T 36903 证照有效期截止日期；为空表示长期有效。过期在读取时计算，不另存状态",
    )
    particulars = models.JSONField(
        "证照记载事项",
        default=dict,
        blank=True,
        help_text='证照记载事项，如 {"practice_organisation": 执业机构}（律师法第十条）',
    )
    status = models.CharField(
        "状态",
        max_length=12,
        choices=LicenceStatus.choices,
        default=LicenceStatus.VALID,
        db_index=True,
        help_text="当前状态（不在签名数据中，始终实时读取）：有效、停止执业、已吊销、已注销、已换发新版本",
    )
    status_reason = models.CharField(
        "状态变更原因", max_length=500, blank=True, help_text="状态变更的原因，告知持证人并在核验时显示"
    )
    status_date = models.DateField(
        "状态变更日期",
        null=True,
        blank=True,
        help_text="状态变更的生效日期；工作人员变更状态时不晚于当天、不早于颁发日期",
    )
    suspended_until = models.DateField(
        "停止执业至", null=True, blank=True, help_text="停止执业的截止日期；为空表示至恢复执业时"
    )
    previous = models.ForeignKey(
        "self",
        verbose_name="上一版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_versions",
        help_text="本版本所替代的上一版本（换发、补办、变更）",
    )
    payload = models.TextField(
        "签名数据", help_text="签名的原始数据：GB/T 36903 核心元数据的规范化 JSON（UTF-8），核验时逐字节使用"
    )
    signature = models.BinaryField("SM2签名（DER）", help_text="对签名数据的 SM2 签名（DER，SM2-with-SM3）")
    key_id = models.CharField("签名密钥标识", max_length=80, help_text="签名密钥标识，公钥见 /api/v1/keys/")
    pdf_storage_key = models.CharField(
        "版式文件存储键",
        max_length=300,
        blank=True,
        help_text="版式文件（加盖电子印章的 PDF，GB/T 36905）的存储键；为空表示尚无版式文件",
    )
    pdf_sm3 = models.CharField(
        "版式文件SM3摘要", max_length=64, blank=True, help_text="版式文件的 SM3 摘要（GB/T 32905）"
    )
    pdf_signature = models.BinaryField(
        "版式文件SM2签名（DER）", null=True, blank=True, help_text="对版式文件 SM3 摘要的 SM2 签名（DER）"
    )
    pdf_key_id = models.CharField(
        "版式文件签名密钥标识", max_length=80, blank=True, help_text="版式文件签名所用的密钥标识"
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="签发或换发所依据的办件（行政许可决定的申请）；工作人员直接办理的新版本沿用上一版本的办件，存量导入为空",
    )
    scope_path = PathField(
        "管辖路径",
        db_index=True,
        help_text="颁发机构在机构树中的物化路径：颁发机构及其上级机关的工作人员可以查阅（数据范围）",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True, help_text="本版本写入证照库的时间")

    class Meta:
        verbose_name = "电子证照"
        verbose_name_plural = "电子证照"
        ordering = ["-issue_date", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["licence_type", "issuer_uscc", "serial", "version"],
                name="licence_serial_version_unique",
            ),
        ]
        indexes = [models.Index(fields=["holder", "status"], name="licence_holder_status")]

    def __str__(self) -> str:
        return f"{self.name} {self.number}（第{self.version}版）"

    def clean(self) -> None:
        """GB/T 36903 有效期: the end does not come before the start; a status change takes effect
        no earlier than the licence; a suspension ends after it begins."""
        errors: dict[str, str] = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = "有效期截止日期不能早于有效期起始日期"
        if self.valid_from and self.status_date and self.status_date < self.valid_from:
            errors["status_date"] = "状态变更日期不能早于有效期起始日期"
        if self.status_date and self.suspended_until and self.suspended_until < self.status_date:
            errors["suspended_until"] = "停止执业截止日期不能早于状态变更日期"
        if errors:
            raise ValidationError(errors)

    @property
    def holder_code_aad(self) -> str:
        return sealed_aad("licences.Licence", self.id, "holder_code")

    def reveal_holder_code(self) -> str:
        """The full 持证主体代码. Only for authorised reads; callers log the access."""
        if self.holder_code_enc:
            return field_cipher().open(self.holder_code_enc, self.holder_code_aad)
        return self.holder_code_masked

    def effective_status(self, today: dt.date | None = None) -> str:
        """The status as a reader should see it now: ``expired`` is computed, never stored."""
        today = today or timezone.localdate()
        if self.status == LicenceStatus.VALID and self.valid_until and self.valid_until < today:
            return EXPIRED
        return self.status

    def effective_status_label(self, today: dt.date | None = None) -> str:
        status = self.effective_status(today)
        return EXPIRED_LABEL if status == EXPIRED else LicenceStatus(status).label

    @property
    def is_usable(self) -> bool:
        return self.effective_status() == LicenceStatus.VALID


class LicenceCounter(models.Model):
    """The last 证照编号 sequence per (type, issuer, year); taken under a row lock."""

    data_class = "internal"

    key = models.CharField(
        "序列键", max_length=60, unique=True, help_text="序列键：类型顺序号:颁发机构代码:年份"
    )
    last = models.PositiveIntegerField(
        "当前值", default=0, help_text="本年度该类证照在该颁发机构最后发出的序号（最多 99999）"
    )

    class Meta:
        verbose_name = "证照编号序列"
        verbose_name_plural = "证照编号序列"

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class LicenceAuthorisation(models.Model):
    """用证授权: the holder lets an organisation, or the staff handling one application, use a
    licence for a purpose until a date (国务院令716 §11)."""

    data_class = "personal"

    id = models.UUIDField(
        primary_key=True,
        default=uuid.uuid4,
        editable=False,
        help_text="用证授权的标识（UUID），持证人撤销时使用",
    )
    licence = models.ForeignKey(
        Licence,
        verbose_name="证照",
        on_delete=models.CASCADE,
        related_name="authorisations",
        help_text="被授权使用的证照",
    )
    grantee_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="被授权机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="被授权的机构：该机构的工作人员可以使用证照（与被授权办件二选一）",
    )
    grantee_application = models.ForeignKey(
        "applications.Application",
        verbose_name="被授权办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="被授权的办件：能查阅该办件的工作人员可以使用证照（与被授权机构二选一）",
    )
    purpose = models.CharField(
        "用证事由", max_length=200, help_text="GB/T 36906 用证事由（useCause），不超过200字"
    )
    valid_until = models.DateField("授权截止日期", help_text="授权截止日期，自授权之日起最长一年")
    revoked_at = models.DateTimeField(
        "撤销时间", null=True, blank=True, help_text="持证人撤销授权的时间；为空表示未撤销"
    )
    created_at = models.DateTimeField("授权时间", auto_now_add=True, help_text="持证人授权的时间")

    class Meta:
        verbose_name = "用证授权"
        verbose_name_plural = "用证授权"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grantee_organisation__isnull=False)
                | models.Q(grantee_application__isnull=False),
                name="licence_authorisation_has_grantee",
            ),
        ]

    def __str__(self) -> str:
        return f"授权 {self.purpose[:20]} 至 {self.valid_until}"

    def clean(self) -> None:
        """GB/T 36906 用证授权: an organisation or a case is authorised, one of the two."""
        has_org, has_case = self.grantee_organisation_id is not None, self.grantee_application_id is not None
        if has_org == has_case:
            raise ValidationError("被授权机构与被授权办件须二选一")

    def is_active(self, today: dt.date | None = None) -> bool:
        return self.revoked_at is None and self.valid_until >= (today or timezone.localdate())


class LicenceUse(models.Model):
    """One use of a licence by someone other than an anonymous verifier; shown to the holder."""

    data_class = "personal"

    licence = models.ForeignKey(
        Licence, verbose_name="证照", on_delete=models.CASCADE, related_name="uses", help_text="被使用的证照"
    )
    used_by_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="用证机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="用证机构",
    )
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用证人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="用证人：下载证照的工作人员，或提交申请的账户",
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="用证所为的办件（如办事时免交材料）",
    )
    authorisation = models.ForeignKey(
        LicenceAuthorisation,
        verbose_name="依据的授权",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uses",
        help_text="用证所依据的持证人授权；办事时由申请人本人提交的为空",
    )
    action = models.CharField(
        "用证方式", max_length=40, help_text="用证方式：download_pdf 下载证照文件，once_only 办事时免交材料"
    )
    purpose = models.CharField(
        "用证事由", max_length=200, help_text="GB/T 36906 用证事由（useCause），不超过200字"
    )
    at = models.DateTimeField("用证时间", default=timezone.now, db_index=True, help_text="用证时间")

    class Meta:
        verbose_name = "用证记录"
        verbose_name_plural = "用证记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.purpose[:20]}"
