"""Shared pieces of the account commands: field checks, sealing, the responsible organisation."""

from __future__ import annotations

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import translation

from sifa.accounts.models import PHONE_INDEX, AccountKind, User
from sifa.core.crypto import field_cipher
from sifa.core.errors import ServiceError
from sifa.core.masking import mask_phone
from sifa.core.requesttext import NAME_CONTROL_CODE, invisible_character, name_control_message
from sifa.organisations.models import Organisation, OrganisationKind, Region, RegionLevel

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
"""Mainland mobile numbers (YD/T 2740 number plan: 13x–19x, 11 digits)."""

RESPONSIBLE_KINDS = (OrganisationKind.JUDICIAL_OFFICE, OrganisationKind.BUREAU)


class FieldErrors:
    """Collects every field problem so the caller sees them all at once (one ServiceError)."""

    def __init__(self) -> None:
        self.items: list[dict[str, str]] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.items.append({"field": field, "code": code, "message": message})

    def has(self, field: str) -> bool:
        return any(item["field"] == field for item in self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            only = self.items[0]
            raise ServiceError(only["code"], only["message"], errors=self.items)
        raise ServiceError("validation_error", "提交的数据有误，请按提示修改", errors=self.items)


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").removeprefix("+86")


def check_phone(phone: str, errors: FieldErrors, field: str = "phone") -> str:
    phone = normalize_phone(phone)
    if not phone:
        errors.add(field, "field.required", "请填写手机号码")
    elif not PHONE_RE.match(phone):
        errors.add(field, "phone.invalid", "手机号码应为11位中国大陆手机号（以13–19开头）")
    return phone


PASSWORD_MESSAGES = {
    "password_too_short": "密码长度太短，至少需要{min_length}个字符",
    "password_too_similar": "密码与用户名或姓名过于相似",
    "password_too_common": "密码过于常见，请换一个不易猜到的密码",
    "password_entirely_numeric": "密码不能全部是数字",
}
"""Our Chinese wording per validator code (Django's own zh-hans catalogue misses some of them)."""


STAFF_PASSWORD_MIN_LENGTH = 12
"""Staff passwords (等保 2.0 身份鉴别 a, security.md §2): at least 12 characters and three of the
four classes — upper case, lower case, digits, other characters."""


def _character_classes(password: str) -> int:
    return sum(
        (
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def check_password(password: str, user: User, errors: FieldErrors) -> None:
    """Django's validators (AUTH_PASSWORD_VALIDATORS), messages in Chinese whatever the request says;
    for staff also :data:`STAFF_PASSWORD_MIN_LENGTH` and three character classes."""
    if not password or not password.strip():
        errors.add("password", "field.required", "请设置密码")
        return
    if user.kind == AccountKind.STAFF:
        if len(password) < STAFF_PASSWORD_MIN_LENGTH:
            errors.add(
                "password",
                "password.staff_too_short",
                f"工作人员密码至少需要{STAFF_PASSWORD_MIN_LENGTH}个字符",
            )
        if _character_classes(password) < 3:
            errors.add(
                "password",
                "password.staff_too_simple",
                "工作人员密码须包含大写字母、小写字母、数字和其他符号中的至少三类",
            )
    with translation.override("zh-hans"):
        try:
            password_validation.validate_password(password, user=user)
        except ValidationError as exc:
            for error in exc.error_list:
                params = error.params or {}
                template = PASSWORD_MESSAGES.get(error.code or "")
                message = template.format(**params) if template else str(error.message % params)
                errors.add("password", f"password.{error.code or 'invalid'}", message)


def check_required(value: str, field: str, label: str, errors: FieldErrors, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        errors.add(field, "field.required", f"请填写{label}")
    elif len(value) > max_length:
        errors.add(field, "field.too_long", f"{label}不能超过{max_length}个字符")
    return value


def check_name(value: str, field: str, label: str, errors: FieldErrors, max_length: int) -> str:
    """A required name (person, organisation, representative): also free of bidi and other
    invisible control characters (``name.invisible_character``)."""
    value = check_required(value, field, label, errors, max_length)
    found = invisible_character(value)
    if found:
        errors.add(field, NAME_CONTROL_CODE, name_control_message(label, found))
    return value


def phone_index(phone: str) -> str:
    return field_cipher().blind_index(normalize_phone(phone), PHONE_INDEX)


def set_phone(user: User, phone: str) -> None:
    """Seal the phone onto the user (AAD = the user's public id), with blind index and mask."""
    cipher = field_cipher()
    user.phone_enc = cipher.seal(phone, user.phone_aad)
    user.phone_index = cipher.blind_index(phone, PHONE_INDEX)
    user.phone_masked = mask_phone(phone)


def check_region(code: str, errors: FieldErrors, field: str = "region_code") -> Region | None:
    """A residence/registration region must be a county or township we know."""
    code = (code or "").strip()
    if not code:
        errors.add(field, "field.required", "请选择所在地区")
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        errors.add(field, "region.unknown", "所选地区不存在，请从列表中选择县（区）或乡镇（街道）")
        return None
    if region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        errors.add(field, "region.level", "请选择到县（区）或乡镇（街道）一级")
        return None
    return region


def responsible_organisation(region: Region) -> Organisation | None:
    """The 司法所 of a township, the 司法局 of a county; else the nearest ancestor region's bureau."""
    current: Region | None = region
    while current is not None:
        org = (
            Organisation.objects.filter(region=current, kind__in=RESPONSIBLE_KINDS, is_active=True)
            .order_by("level", "path")
            .first()
        )
        if org is not None:
            return org
        current = current.parent
    return None


def scope_path_for(region: Region, errors: FieldErrors, field: str = "region_code") -> str:
    org = responsible_organisation(region)
    if org is None:
        errors.add(field, "region.no_organisation", "该地区尚无负责的司法行政机关，暂不能注册")
        return ""
    return org.path
