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
        help_text="GB/T 36904: 定义机构统一社会信用代码(18) + 3位顺序号",
    )
    key = models.SlugField(
        "类型键",
        max_length=50,
        unique=True,
        help_text="Stable name used by the catalogue (Material.satisfiable_by_licence_type), e.g. lawyer_licence",
    )
    name = models.CharField("证照类型名称", max_length=100)
    definer_name = models.CharField("证照定义机构", max_length=100)
    definer_uscc = models.CharField("证照定义机构代码", max_length=18)
    holder_kind = models.CharField("持证主体类别", max_length=10, choices=HolderKind.choices)
    validity_years = models.PositiveSmallIntegerField(
        "默认有效期（年）", null=True, blank=True, help_text="Empty: valid until revoked (长期有效)"
    )
    result_names = models.JSONField(
        "对应审批结果名称",
        default=list,
        help_text="catalogue ItemVersion.result_name values this type issues",
    )
    legal_basis = models.CharField("设定依据", max_length=300, blank=True)

    class Meta:
        verbose_name = "证照类型"
        verbose_name_plural = "证照类型"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Licence(models.Model):
    """One version of one 电子证照, with the GB/T 36903 core metadata and its SM2 signature."""

    data_class = "personal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    identifier = models.CharField(
        "电子证照标识",
        max_length=160,
        unique=True,
        help_text="GB/T 36904: 1.2.156.3005.2.类型.颁发机构.流水号.版本.校验位",
    )
    licence_type = models.ForeignKey(
        LicenceType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="+"
    )
    serial = models.CharField(
        "流水号", max_length=64, help_text="GB/T 36904 流水号; the same for every version"
    )
    version = models.PositiveSmallIntegerField("版本号", default=1, help_text="GB/T 36904 版本号 001–999")
    number = models.CharField(
        "证照编号", max_length=64, help_text="GB/T 36903 证照编号, printed on the licence"
    )
    name = models.CharField("证照名称", max_length=100)
    issue_kind = models.CharField(
        "签发方式", max_length=12, choices=IssueKind.choices, default=IssueKind.ISSUE
    )
    issuer = models.ForeignKey(
        "organisations.Organisation", verbose_name="颁发机构", on_delete=models.PROTECT, related_name="+"
    )
    issuer_name = models.CharField("证照颁发机构", max_length=100)
    issuer_uscc = models.CharField("证照颁发机构代码", max_length=18)
    issue_date = models.DateField("证照颁发日期")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="持证人账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licences",
        help_text="Empty for imported licences whose holder has no account yet",
    )
    holder_name = models.CharField("持证主体", max_length=200)
    holder_code_type = models.CharField("持证主体代码类型", max_length=3, choices=HolderCodeType.choices)
    holder_code_enc = models.BinaryField("持证主体代码（密文）", null=True, editable=False)
    holder_code_index = models.CharField("持证主体代码盲索引", max_length=64, db_index=True, editable=False)
    holder_code_masked = models.CharField("持证主体代码（脱敏）", max_length=18, editable=False)
    holder_salt = models.CharField(
        "持证主体承诺盐值",
        max_length=32,
        editable=False,
        help_text="Hex; salt of the signed holder commitment",
    )
    jurisdiction_code = models.CharField(
        "证照所属管辖属地编码", max_length=12, help_text="GB/T 2260 区划代码"
    )
    valid_from = models.DateField("有效期起始日期")
    valid_until = models.DateField("有效期截止日期", null=True, blank=True, help_text="Empty: 长期有效")
    particulars = models.JSONField("证照记载事项", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=LicenceStatus.choices, default=LicenceStatus.VALID, db_index=True
    )
    status_reason = models.CharField("状态变更原因", max_length=500, blank=True)
    status_date = models.DateField("状态变更日期", null=True, blank=True)
    suspended_until = models.DateField("停止执业至", null=True, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name="上一版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_versions",
    )
    payload = models.TextField("签名数据", help_text="The exact canonical JSON (UTF-8) that was signed")
    signature = models.BinaryField("SM2签名（DER）")
    key_id = models.CharField("签名密钥标识", max_length=80)
    pdf_storage_key = models.CharField("版式文件存储键", max_length=300, blank=True)
    pdf_sm3 = models.CharField("版式文件SM3摘要", max_length=64, blank=True)
    pdf_signature = models.BinaryField("版式文件SM2签名（DER）", null=True, blank=True)
    pdf_key_id = models.CharField("版式文件签名密钥标识", max_length=80, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    scope_path = PathField("管辖路径", db_index=True, help_text="The issuing organisation's path")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

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

    key = models.CharField("序列键", max_length=60, unique=True)
    last = models.PositiveIntegerField("当前值", default=0)

    class Meta:
        verbose_name = "证照编号序列"
        verbose_name_plural = "证照编号序列"

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class LicenceAuthorisation(models.Model):
    """用证授权: the holder lets an organisation, or the staff handling one application, use a
    licence for a purpose until a date (国务院令716 §11)."""

    data_class = "personal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    licence = models.ForeignKey(
        Licence, verbose_name="证照", on_delete=models.CASCADE, related_name="authorisations"
    )
    grantee_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="被授权机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grantee_application = models.ForeignKey(
        "applications.Application",
        verbose_name="被授权办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    purpose = models.CharField("用证事由", max_length=200, help_text="GB/T 36906 useCause, ≤200 字")
    valid_until = models.DateField("授权截止日期")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    created_at = models.DateTimeField("授权时间", auto_now_add=True)

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

    def is_active(self, today: dt.date | None = None) -> bool:
        return self.revoked_at is None and self.valid_until >= (today or timezone.localdate())


class LicenceUse(models.Model):
    """One use of a licence by someone other than an anonymous verifier; shown to the holder."""

    data_class = "personal"

    licence = models.ForeignKey(Licence, verbose_name="证照", on_delete=models.CASCADE, related_name="uses")
    used_by_organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="用证机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="用证人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="办件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    authorisation = models.ForeignKey(
        LicenceAuthorisation,
        verbose_name="依据的授权",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="uses",
    )
    action = models.CharField("用证方式", max_length=40)
    purpose = models.CharField("用证事由", max_length=200, help_text="GB/T 36906 useCause, ≤200 字")
    at = models.DateTimeField("用证时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "用证记录"
        verbose_name_plural = "用证记录"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.purpose[:20]}"
