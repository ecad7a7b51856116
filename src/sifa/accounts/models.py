"""Accounts: natural persons, legal persons, staff, agents with mandates, API tokens.

Personal identifiers (公民身份号码, phone numbers) and a person's 详细地址 are stored only as SM4-GCM
ciphertext with the row's UUID as associated data, next to an HMAC-SM3 blind index for exact lookup
(not for the address: nobody is looked up by it) and a masked form for lists (see ``sifa.core.crypto`` and ``sifa.core.masking``). Writes go through
``sifa.accounts.services``; reads of personal data through ``sifa.accounts.selectors``.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from sifa.core.crypto import field_cipher
from sifa.core.db import PathField

ID_NUMBER_INDEX = "accounts.id_number"
PHONE_INDEX = "accounts.phone"
"""Blind-index purposes: the same value indexed for different fields gives unlinkable digests."""


def sealed_aad(model_label: str, row_id: object, field: str) -> str:
    """Associated data binding a ciphertext to one row and one field (copying it elsewhere fails)."""
    return f"{model_label}:{row_id}:{field}"


class AccountKind(models.TextChoices):
    PERSON = "person", "自然人"
    COMPANY = "company", "法人"
    STAFF = "staff", "工作人员"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra):
        if not username:
            raise ValueError("username is required")
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra):
        extra.setdefault("kind", AccountKind.STAFF)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One login. ``kind`` says whether it is a citizen, a company or a staff member.

    ``scope_path`` is the organisation path responsible for the account holder (the 司法所 or
    司法局 of a citizen's or company's region; a staff member's primary organisation), so staff
    reads of accounts are scoped like every other personal row.
    """

    data_class = "personal"

    public_id = models.UUIDField("公开标识", default=uuid.uuid4, unique=True, editable=False)
    username = models.CharField("用户名", max_length=150, unique=True)
    kind = models.CharField("账户类型", max_length=10, choices=AccountKind.choices)
    display_name = models.CharField("姓名/名称", max_length=200, blank=True)
    phone_enc = models.BinaryField("手机号（密文）", null=True, editable=False)
    phone_index = models.CharField(
        "手机号盲索引", max_length=64, null=True, blank=True, unique=True, editable=False
    )
    phone_masked = models.CharField("手机号（脱敏）", max_length=20, blank=True, editable=False)
    email = models.EmailField("电子邮箱", blank=True)
    scope_path = PathField("管辖路径", db_index=True, blank=True, default="")
    is_active = models.BooleanField("有效", default=True)
    is_staff = models.BooleanField("可登录管理后台", default=False)
    is_demo = models.BooleanField("演示账户", default=False)
    date_joined = models.DateTimeField("注册时间", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.username

    @property
    def phone_aad(self) -> str:
        return sealed_aad("accounts.User", self.public_id, "phone")

    def reveal_phone(self) -> str:
        """Decrypt the phone number. Only for authorised reads (selectors decide who may)."""
        return field_cipher().open(self.phone_enc, self.phone_aad) if self.phone_enc else ""


class NaturalPerson(models.Model):
    """A 自然人 with a verified 公民身份号码 (GB 11643). May exist without an account (walk-in)."""

    data_class = "personal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        User, verbose_name="账户", null=True, blank=True, on_delete=models.PROTECT, related_name="person"
    )
    name = models.CharField("姓名", max_length=100)
    id_number_enc = models.BinaryField("公民身份号码（密文）", editable=False)
    id_number_index = models.CharField("公民身份号码盲索引", max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField("公民身份号码（脱敏）", max_length=18, editable=False)
    region = models.ForeignKey(
        "organisations.Region", verbose_name="常住地区划", on_delete=models.PROTECT, related_name="+"
    )
    address_enc = models.BinaryField(
        "详细地址（密文）",
        null=True,
        editable=False,
        help_text="Street, number, building and flat below the region (optional; sealed like the ID number).",
    )
    address_masked = models.CharField("详细地址（脱敏）", max_length=60, blank=True, editable=False)
    scope_path = PathField("管辖路径", db_index=True)
    real_name_verified = models.BooleanField("已实名核验", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "自然人"
        verbose_name_plural = "自然人"

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"

    @property
    def id_number_aad(self) -> str:
        return sealed_aad("accounts.NaturalPerson", self.id, "id_number")

    def reveal_id_number(self) -> str:
        """Decrypt the 公民身份号码. Only for authorised reads; callers log the access."""
        return field_cipher().open(self.id_number_enc, self.id_number_aad)

    @property
    def address_aad(self) -> str:
        return sealed_aad("accounts.NaturalPerson", self.id, "address")

    def reveal_address(self) -> str:
        """Decrypt the 详细地址 (empty when none was given). Only for authorised reads."""
        return field_cipher().open(self.address_enc, self.address_aad) if self.address_enc else ""


class LegalPerson(models.Model):
    """A 法人或其他组织 identified by its 统一社会信用代码 (GB 32100)."""

    data_class = "personal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        User, verbose_name="账户", null=True, blank=True, on_delete=models.PROTECT, related_name="company"
    )
    name = models.CharField("名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    legal_representative = models.CharField("法定代表人/负责人", max_length=100)
    region = models.ForeignKey(
        "organisations.Region", verbose_name="登记地区划", on_delete=models.PROTECT, related_name="+"
    )
    scope_path = PathField("管辖路径", db_index=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "法人"
        verbose_name_plural = "法人"

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class MandateStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    REVOKED = "revoked", "已撤销"


class Mandate(models.Model):
    """代办/委托: an agent may act for a principal within a scope and a validity window."""

    data_class = "personal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    principal = models.ForeignKey(
        User, verbose_name="委托人", on_delete=models.PROTECT, related_name="mandates_given"
    )
    agent = models.ForeignKey(
        User, verbose_name="受托人", on_delete=models.PROTECT, related_name="mandates_received"
    )
    scope = models.JSONField(
        "委托范围",
        default=list,
        blank=True,
        help_text="Basic codes of the service items the agent may handle; empty means all items.",
    )
    valid_from = models.DateField("生效日期")
    valid_until = models.DateField("截止日期")
    document_reference = models.CharField("委托书编号/说明", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=MandateStatus.choices, default=MandateStatus.ACTIVE
    )
    scope_path = PathField("管辖路径", db_index=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "委托代办"
        verbose_name_plural = "委托代办"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")), name="mandate_window"
            ),
            models.CheckConstraint(condition=~models.Q(principal=models.F("agent")), name="mandate_not_self"),
        ]

    def __str__(self) -> str:
        return f"委托 {self.valid_from}–{self.valid_until}（{self.get_status_display()}）"

    def clean(self) -> None:
        """The window runs forwards and no one mandates themselves (the database checks both)."""
        errors: dict[str, str] = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = "截止日期不能早于生效日期"
        if self.principal_id is not None and self.principal_id == self.agent_id:
            errors["agent"] = "不能委托本人代办"
        if errors:
            raise ValidationError(errors)


class ApiToken(models.Model):
    """A bearer token for scripts and apps. Only the SM3 digest of the key is stored."""

    data_class = "internal"

    user = models.ForeignKey(User, verbose_name="用户", on_delete=models.CASCADE, related_name="api_tokens")
    key_digest = models.CharField("令牌摘要", max_length=64, unique=True)
    prefix = models.CharField("令牌前缀", max_length=8)
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked = models.BooleanField("已吊销", default=False)

    class Meta:
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self) -> str:
        return f"{self.prefix}…"


class SmsMessage(models.Model):
    """One text message handed to the local SMS gateway (development and tests read codes here).

    The recipient's number is personal data: sealed like ``User.phone_enc`` with the row's UUID
    as associated data, plus a blind index and a masked copy.
    """

    data_class = "personal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        User, verbose_name="接收账户", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phone_enc = models.BinaryField("手机号（密文）", editable=False)
    phone_index = models.CharField("手机号盲索引", max_length=64, db_index=True, editable=False)
    phone_masked = models.CharField("手机号（脱敏）", max_length=20, editable=False)
    template = models.CharField("模板", max_length=50)
    params = models.JSONField("模板参数", default=dict, blank=True)
    body = models.TextField("短信内容")
    scope_path = PathField("管辖路径", db_index=True, blank=True, default="")
    sent_at = models.DateTimeField("发送时间", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "短信（本地网关）"
        verbose_name_plural = "短信（本地网关）"
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.phone_masked} · {self.template}"

    @property
    def phone_aad(self) -> str:
        return sealed_aad("accounts.SmsMessage", self.id, "phone")

    def reveal_phone(self) -> str:
        return field_cipher().open(self.phone_enc, self.phone_aad)


class SmsPurpose(models.TextChoices):
    LOGIN = "login", "短信验证码登录"
    PASSWORD_RESET = "password_reset", "找回密码"
    PHONE_CHANGE = "phone_change", "更换手机号码"


class SmsChallenge(models.Model):
    """A one-time SMS code: 6 digits, 5 minutes, 5 attempts, used once, for one ``purpose`` (a
    login code never resets a password, and the other way round).

    Only the SM3 digest of the code is kept; the phone appears only as its blind index.
    """

    data_class = "internal"

    phone_index = models.CharField("手机号盲索引", max_length=64, db_index=True)
    purpose = models.CharField("用途", max_length=20, choices=SmsPurpose.choices, default=SmsPurpose.LOGIN)
    code_digest = models.CharField("验证码摘要", max_length=64)
    created_at = models.DateTimeField("发送时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间")
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    consumed_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["phone_index", "-created_at"], name="sms_challenge_phone_time")]

    def __str__(self) -> str:
        return f"验证码 {self.created_at:%Y-%m-%d %H:%M}"


class ConsentChannel(models.TextChoices):
    WEB = "web", "网上办事大厅"
    API = "api", "接口（移动端）"
    COUNTER = "counter", "窗口"


class ConsentRecord(models.Model):
    """One consent given by a person (个人信息保护法 §14, §29): which consent (``code``,
    ``sifa.accounts.consents``), the version of the text they saw, when and through which channel;
    and its withdrawal (§15), which never deletes the record. ``object_ref`` names the application a
    per-application consent was given for. Online, the account holder gives it (``user``); at the
    window (channel ``counter``) a walk-in applicant — who may have no account — gives it in person
    and the clerk records it (``person``, ``recorded_by``)."""

    data_class = "personal"

    user = models.ForeignKey(
        User,
        verbose_name="账户",
        on_delete=models.CASCADE,
        related_name="consents",
        null=True,
        blank=True,
        help_text="The account holder; empty for a walk-in applicant without an account (see person).",
    )
    person = models.ForeignKey(
        NaturalPerson,
        verbose_name="自然人",
        on_delete=models.CASCADE,
        related_name="consents",
        null=True,
        blank=True,
        help_text="The natural person who consented at the window (一窗受理), with or without an account.",
    )
    recorded_by = models.ForeignKey(
        User,
        verbose_name="记录人",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The window clerk who recorded a consent given in person (channel counter); empty online.",
    )
    code = models.CharField("同意事项", max_length=60, db_index=True)
    version = models.CharField("告知文本版本", max_length=40)
    object_ref = models.CharField(
        "关联办件", max_length=100, blank=True, help_text="The application a per-application consent is for."
    )
    given_at = models.DateTimeField("同意时间", default=timezone.now)
    channel = models.CharField("渠道", max_length=10, choices=ConsentChannel.choices)
    withdrawn_at = models.DateTimeField("撤回时间", null=True, blank=True)
    withdrawal_channel = models.CharField(
        "撤回渠道", max_length=10, choices=ConsentChannel.choices, blank=True
    )
    scope_path = PathField("管辖路径", db_index=True, blank=True, default="")

    class Meta:
        verbose_name = "个人信息处理同意记录"
        verbose_name_plural = "个人信息处理同意记录"
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["user", "code"], name="consent_user_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.version} · {self.given_at:%Y-%m-%d}"
