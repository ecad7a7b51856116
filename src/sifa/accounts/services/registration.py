"""Registration of citizens (自然人) and companies (法人) with their login accounts."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction

from sifa.accounts import consents
from sifa.accounts.models import (
    ID_NUMBER_INDEX,
    AccountKind,
    ConsentChannel,
    LegalPerson,
    NaturalPerson,
    User,
)
from sifa.accounts.services import consents as consent_services
from sifa.accounts.services.common import (
    FieldErrors,
    check_name,
    check_password,
    check_phone,
    check_region,
    phone_index,
    scope_path_for,
    set_phone,
)
from sifa.audit import services as audit
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict
from sifa.core.identifiers import IdentifierError, parse_id_number, validate_uscc
from sifa.core.masking import mask_id_number


def _new_account(kind: str, display_name: str) -> User:
    public_id = uuid.uuid4()
    # The username is an opaque handle: citizens log in by phone, and a username must never
    # carry the phone or ID number in clear text.
    return User(
        public_id=public_id, username=f"{kind[0]}{public_id.hex[:15]}", kind=kind, display_name=display_name
    )


def _duplicate_phone() -> Conflict:
    return Conflict("account.duplicate_phone", "该手机号码已注册，请直接登录或找回密码")


def id_number_index(id_number: str) -> str:
    return field_cipher().blind_index(id_number, ID_NUMBER_INDEX)


def _save_account(user: User, *, scope_path: str, password: str, phone: str, is_demo: bool) -> None:
    user.scope_path = scope_path
    user.is_demo = is_demo
    user.set_password(password)
    set_phone(user, phone)
    user.save(force_insert=True)


def _audit_registration(action: str, holder: NaturalPerson | LegalPerson, region: Any) -> None:
    audit.record(
        action,
        actor=holder.user,
        subject=holder,
        scope_path=holder.scope_path,
        detail={"region": region.code},
    )


def register_person(
    *,
    name: str,
    id_number: str,
    phone: str,
    password: str,
    region_code: str,
    is_demo: bool = False,
    id_number_consent: str | None = None,
    channel: str = ConsentChannel.WEB,
) -> NaturalPerson:
    """Create a 自然人 and their account. Every field problem is reported at once.

    ``id_number_consent``: the version of the 公民身份号码 separate consent (个人信息保护法 §29,
    ``consents.REGISTER_ID_NUMBER``) the person ticked on the page or sent to the API — empty or
    stale is a field error listed with the others; it is recorded (``ConsentRecord``) with the
    account. The portal and the API always pass it; ``None`` is for callers that are not a
    registration channel (demo accounts, test factories, bench seeds), which record no consent."""
    errors = FieldErrors()
    name = check_name(name, "name", "姓名", errors, 100)
    parsed = None
    try:
        parsed = parse_id_number(id_number)
    except IdentifierError as exc:
        errors.add("id_number", exc.code, exc.message)
    phone = check_phone(phone, errors)
    region = check_region(region_code, errors)
    scope_path = scope_path_for(region, errors) if region else ""
    user = _new_account(AccountKind.PERSON, name)
    check_password(password, user, errors)
    if id_number_consent is not None:
        consent_services.check_shown_version(
            consents.REGISTER_ID_NUMBER, id_number_consent, errors, "id_number_consent"
        )
    errors.raise_if_any()

    index = id_number_index(parsed.value)
    if NaturalPerson.objects.filter(id_number_index=index).exists():
        raise Conflict("account.duplicate_id_number", "该公民身份号码已注册，请直接登录或找回密码")
    if User.objects.filter(phone_index=phone_index(phone)).exists():
        raise _duplicate_phone()
    try:
        with transaction.atomic():
            _save_account(user, scope_path=scope_path, password=password, phone=phone, is_demo=is_demo)
            person = NaturalPerson(user=user, name=name, region=region, scope_path=scope_path)
            person.id_number_enc = field_cipher().seal(parsed.value, person.id_number_aad)
            person.id_number_index = index
            person.id_number_masked = mask_id_number(parsed.value)
            person.save(force_insert=True)
            _audit_registration("account.register_person", person, region)
            if id_number_consent is not None:
                consent_services.give(
                    user, consents.REGISTER_ID_NUMBER, version=id_number_consent, channel=channel
                )
    except IntegrityError:
        # Two registrations raced past the checks above; the unique indexes decided.
        raise Conflict("account.duplicate", "该身份号码或手机号码已注册，请直接登录") from None
    return person


def register_company(
    *,
    name: str,
    uscc: str,
    legal_representative: str,
    phone: str,
    password: str,
    region_code: str,
    is_demo: bool = False,
) -> LegalPerson:
    """Create a 法人 (identified by its 统一社会信用代码) and its account."""
    errors = FieldErrors()
    name = check_name(name, "name", "单位名称", errors, 200)
    code = ""
    try:
        code = validate_uscc(uscc)
    except IdentifierError as exc:
        errors.add("uscc", exc.code, exc.message)
    representative = check_name(legal_representative, "legal_representative", "法定代表人", errors, 100)
    phone = check_phone(phone, errors)
    region = check_region(region_code, errors)
    scope_path = scope_path_for(region, errors) if region else ""
    user = _new_account(AccountKind.COMPANY, name)
    check_password(password, user, errors)
    errors.raise_if_any()

    if LegalPerson.objects.filter(uscc=code).exists():
        raise Conflict("account.duplicate_uscc", "该统一社会信用代码已注册，请直接登录")
    if User.objects.filter(phone_index=phone_index(phone)).exists():
        raise _duplicate_phone()
    try:
        with transaction.atomic():
            _save_account(user, scope_path=scope_path, password=password, phone=phone, is_demo=is_demo)
            company = LegalPerson.objects.create(
                user=user,
                name=name,
                uscc=code,
                legal_representative=representative,
                region=region,
                scope_path=scope_path,
            )
            _audit_registration("account.register_company", company, region)
    except IntegrityError:
        raise Conflict("account.duplicate", "该统一社会信用代码或手机号码已注册，请直接登录") from None
    return company


def registration_summary(account: NaturalPerson | LegalPerson) -> dict[str, Any]:
    """What the registration endpoints answer: no identifier in clear text."""
    return {
        "public_id": str(account.user.public_id),
        "username": account.user.username,
        "kind": account.user.kind,
    }
