"""The partner registry: partners, their public keys (rotation) and the services on the exchange.

Registration validates the USCC (GB 32100 check characters) and the key (an SM2 or Ed25519
``PUBLIC KEY`` whose id is bound to it, as ``sifa.core.signing`` makes them). Endpoints are not
registered here: they come from ``SIFA_EXCHANGE_ENDPOINTS`` only (:func:`endpoint_for`).

:func:`load_demo_partners` loads the three demo partners (杭州市公安局, 杭州市中级人民法院,
杭州市人民检察院) with made-up codes whose check characters are right, marked ``is_demo``, and a
key each, kept in a folder for the partner simulators; development and tests only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sifa.core.errors import ServiceError
from sifa.core.identifiers import IdentifierError, validate_uscc
from sifa.core.signing import SM2_WITH_SM3, Signer, SigningError, generate_signer, load_signer, load_verifier
from sifa.core.signing.registry import key_id_matches
from sifa.exchange import registry
from sifa.exchange.demo import DEMO_PARTNERS, DemoPartner  # noqa: F401 (DemoPartner re-exported)
from sifa.exchange.models import Partner, PartnerKey, PartnerKind, PartnerService


def register_partner(*, name: str, uscc: str, kind: str, is_demo: bool = False) -> Partner:
    try:
        code = validate_uscc(uscc)
    except IdentifierError as error:
        raise ServiceError(error.code, error.message) from None
    if kind not in PartnerKind.values:
        raise ServiceError("exchange.partner_kind", "伙伴类别应为 police、court 或 procuratorate")
    if not name or not name.strip():
        raise ServiceError("exchange.partner_name", "请填写伙伴名称")
    partner, _created = Partner.objects.update_or_create(
        uscc=code, defaults={"name": name.strip(), "kind": kind, "is_demo": is_demo}
    )
    return partner


def add_key(
    partner: Partner,
    public_key_pem: str,
    *,
    key_id: str,
    valid_from: dt.datetime,
    valid_until: dt.datetime | None = None,
) -> PartnerKey:
    """Register a public key (rotation: keys are added, never replaced; the one valid at a
    message's time verifies it)."""
    try:
        verifier = load_verifier(public_key_pem, key_id)
    except SigningError as error:
        raise ServiceError(error.code, error.message) from None
    if not key_id_matches(key_id, verifier.public_key_der()):
        raise ServiceError("signing.key_id_mismatch", "密钥标识与公钥不符（应以公钥 SM3 摘要的前 8 位结尾）")
    if valid_until is not None and valid_until <= valid_from:
        raise ServiceError("exchange.key_validity", "公钥的失效时间应晚于生效时间")
    existing = PartnerKey.objects.filter(key_id=key_id).first()
    if existing is not None:
        if (
            existing.partner_id != partner.pk
            or existing.public_key_pem.strip() != verifier.public_key_pem().strip()
        ):
            raise ServiceError("exchange.key_exists", "该密钥标识已登记给其他伙伴或其他公钥")
        PartnerKey.objects.filter(pk=existing.pk).update(valid_from=valid_from, valid_until=valid_until)
        registry.forget()
        existing.refresh_from_db()
        return existing
    return PartnerKey.objects.create(
        partner=partner,
        key_id=key_id,
        algorithm=verifier.algorithm,
        public_key_pem=verifier.public_key_pem(),
        valid_from=valid_from,
        valid_until=valid_until,
    )


def retire_key(key: PartnerKey, *, at: dt.datetime | None = None) -> None:
    """End a key's validity (messages timestamped from then on no longer verify with it)."""
    PartnerKey.objects.filter(pk=key.pk).update(valid_until=at or timezone.now())
    registry.forget()  # this process at once; the others within SIFA_EXCHANGE_REGISTRY_TTL_SECONDS


def add_service(
    *,
    provider: Partner | None,
    code: str,
    version: str,
    name: str,
    purpose: str,
    legal_basis: str,
    request_schema: dict[str, Any],
    response_schema: dict[str, Any],
    allowed_callers: list[str],
) -> PartnerService:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    for schema in (request_schema, response_schema):
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError:
            raise ServiceError("exchange.bad_schema", f"服务 {code} 的 JSON Schema 无效") from None
    callers = []
    for caller in allowed_callers:
        try:
            callers.append(validate_uscc(caller))
        except IdentifierError as error:
            raise ServiceError(error.code, f"允许的调用方：{error.message}") from None
    service, _created = PartnerService.objects.update_or_create(
        provider=provider,
        code=code,
        version=version,
        defaults={
            "name": name,
            "purpose": purpose,
            "legal_basis": legal_basis,
            "request_schema": request_schema,
            "response_schema": response_schema,
            "allowed_callers": callers,
        },
    )
    return service


def endpoint_for(partner: Partner) -> str:
    """The partner's address from the allow-list (``SIFA_EXCHANGE_ENDPOINTS``); never from a
    request or the database. Not configured: ``exchange.no_endpoint`` (503)."""
    for item in settings.EXCHANGE_ENDPOINTS:
        code, _, url = item.partition("=")
        if code.strip().upper() == partner.uscc:
            url = url.strip()
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.hostname:
                return url
    raise ServiceError("exchange.no_endpoint", f"未配置 {partner.name} 的交换地址", status=503)


# --- the demo partners ----------------------------------------------------------------------------

DEMO_NOTE = "演示数据：名称为真实机关，统一社会信用代码为编造（校验位正确），密钥为本机生成"


_NAME_ID = {
    "type": "object",
    "required": ["name", "id_number"],
    "properties": {
        "name": {"type": "string", "maxLength": 50},
        "id_number": {"type": "string", "maxLength": 18},
    },
    "additionalProperties": False,
}
NOTICE_GROUNDS: dict[str, tuple[str, str]] = {
    "minor": ("未成年人", "第二十五条第一款第一项"),
    "disabled": ("视力、听力、言语残疾人", "第二十五条第一款第二项"),
    "incapacitated": ("不能完全辨认自己行为的成年人", "第二十五条第一款第三项"),
    "life_or_death": ("可能被判处无期徒刑、死刑的人", "第二十五条第一款第四项"),
    "death_review": ("申请法律援助的死刑复核案件被告人", "第二十五条第一款第五项"),
    "absentia": ("缺席审判案件的被告人", "第二十五条第一款第六项"),
    "other_statutory": ("法律法规规定的其他人员", "第二十五条第一款第七项"),
    "ordinary_procedure": ("其他适用普通程序审理的刑事案件的被告人", "第二十五条第二款"),
    "compulsory_medical": ("强制医疗案件的被申请人或者被告人", "第二十八条"),
}
"""通知辩护's ``ground`` (法律援助法 §25, §28): code → (the statute's words, the article). Optional in
``legal-aid.notify`` v1 (a notice without it is filed as 未注明情形); §25 第二款 and §28 notices come
from 人民法院 only, and the §26 grounds (``life_or_death``, ``death_review``) require a lawyer with
三年以上相关执业经历 (``sifa.workflow.services.notices``)."""

_CASE_NOTICE = {
    "type": "object",
    "required": ["case_number", "suspect", "court_or_organ", "notified_at"],
    "properties": {
        "case_number": {"type": "string", "maxLength": 60},
        "suspect": _NAME_ID,
        "court_or_organ": {"type": "string", "maxLength": 100},
        "notified_at": {"type": "string", "maxLength": 40},
        "charge": {"type": "string", "maxLength": 200},
        "ground": {"enum": sorted(NOTICE_GROUNDS)},
    },
    "additionalProperties": False,
}


_REFUSED = {
    "type": "object",
    "required": ["status", "code", "message"],
    "properties": {
        "status": {"const": "refused"},
        "code": {"type": "string", "maxLength": 60},
        "message": {"type": "string", "maxLength": 300},
    },
    "additionalProperties": False,
}
_DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
_LAWYER_STATUS_ANSWER = {
    "oneOf": [
        {
            "type": "object",
            "required": ["status", "licence_number", "holder_name", "law_firm", "checked_at"],
            "properties": {
                "status": {"enum": ["valid", "suspended", "revoked", "cancelled", "expired"]},
                "licence_number": {"type": "string", "maxLength": 64},
                "holder_name": {"type": "string", "maxLength": 100},
                "law_firm": {"type": "string", "maxLength": 200},
                "valid_until": _DATE,
                "suspended_until": _DATE,
                "checked_at": {"type": "string", "maxLength": 40},
            },
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["status", "licence_number", "checked_at"],
            "properties": {
                "status": {"const": "not_found"},
                "licence_number": {"type": "string", "maxLength": 64},
                "checked_at": {"type": "string", "maxLength": 40},
            },
            "additionalProperties": False,
        },
        _REFUSED,
    ]
}
"""律师执业状态查询's answer: the status read live, the holder's name and law firm — never an ID number."""
_NOTICE_ANSWER = {
    "oneOf": [
        {
            "type": "object",
            "required": ["status", "case_number", "centre", "due_on"],
            "properties": {
                "status": {"const": "accepted"},
                "case_number": {"type": "string", "maxLength": 50},
                "centre": {"type": "string", "maxLength": 100},
                "due_on": {"oneOf": [_DATE, {"type": "null"}]},
            },
            "additionalProperties": False,
        },
        _REFUSED,
    ]
}
"""通知辩护's answer: Sifa's 办件编号 at the centre and the §36 date, or a refusal on the merits."""
_ASSIGNMENT = {
    "type": "object",
    "required": ["case_number", "legal_aid_case_number", "centre", "lawyer", "assigned_at"],
    "properties": {
        "case_number": {"type": "string", "maxLength": 60},
        "notice_message_id": {"type": "string", "maxLength": 40},
        "legal_aid_case_number": {"type": "string", "maxLength": 50},
        "centre": {"type": "string", "maxLength": 100},
        "lawyer": {
            "type": "object",
            "required": ["name", "licence_number", "law_firm"],
            "properties": {
                "name": {"type": "string", "maxLength": 100},
                "licence_number": {"type": "string", "maxLength": 64},
                "law_firm": {"type": "string", "maxLength": 200},
            },
            "additionalProperties": False,
        },
        "assigned_at": {"type": "string", "maxLength": 40},
    },
    "additionalProperties": False,
}
"""法律援助法 §36 指派律师并通知: the lawyer's name, 执业证号 and law firm, for the organ's case number."""
_RECEIPT = {
    "type": "object",
    "required": ["status"],
    "properties": {
        "status": {"const": "received"},
        "message": {"type": "string"},
        "acknowledged_at": {"type": "string"},
    },
}


def _demo_services(partners: dict[str, Partner]) -> None:
    police, court, procuratorate = partners["police"], partners["court"], partners["procuratorate"]
    add_service(
        provider=police,
        code="identity.verify",
        version="1",
        name="居民身份核验",
        purpose="核验申请人身份",
        legal_basis="《个人信息保护法》第十三条第一款第三项、第三十四条",
        request_schema=_NAME_ID,
        response_schema={
            "type": "object",
            "required": ["match"],
            "properties": {"match": {"type": "boolean"}},
        },
        allowed_callers=[],
    )
    add_service(
        provider=police,
        code="criminal-record.check",
        version="1",
        name="无犯罪记录核查",
        purpose="核查申请人有无犯罪记录（律师执业许可）",
        legal_basis="《律师法》第七条；《律师执业管理办法》第六条",
        request_schema=_NAME_ID,
        response_schema={
            "type": "object",
            "required": ["has_record"],
            "properties": {"has_record": {"type": "boolean"}, "checked_at": {"type": "string"}},
        },
        allowed_callers=[],
    )
    add_service(
        provider=court,
        code="judicial-confirmation.refer",
        version="1",
        name="人民调解协议司法确认",
        purpose="调解协议申请司法确认",
        legal_basis="《人民调解法》第三十三条；《民事诉讼法》第二百零五条",
        request_schema={"type": "object"},
        response_schema={"type": "object"},
        allowed_callers=[],
    )
    add_service(
        provider=None,
        code="lawyer.status",
        version="1",
        name="律师执业状态查询",
        purpose="法院核实律师执业证是否有效",
        legal_basis="《律师法》第二十四条；《律师执业管理办法》",
        request_schema={
            "type": "object",
            "required": ["licence_number"],
            "properties": {"licence_number": {"type": "string", "maxLength": 40}},
            "additionalProperties": False,
        },
        response_schema=_LAWYER_STATUS_ANSWER,
        allowed_callers=[court.uscc],
    )
    add_service(
        provider=None,
        code="legal-aid.notify",
        version="1",
        name="通知辩护",
        purpose="通知法律援助机构指派律师",
        legal_basis="《法律援助法》第二十五条、第二十八条、第三十六条",
        request_schema=_CASE_NOTICE,
        response_schema=_NOTICE_ANSWER,
        allowed_callers=[court.uscc, procuratorate.uscc, police.uscc],
    )
    for organ in (court, procuratorate, police):
        add_service(
            provider=organ,
            code="legal-aid.assignment",
            version="1",
            name="指派律师通知",
            purpose="通知办案机关已指派律师担任辩护人（法律援助法第三十六条）",
            legal_basis="《法律援助法》第三十六条",
            request_schema=_ASSIGNMENT,
            response_schema=_RECEIPT,
            allowed_callers=[],
        )


def _demo_signer(directory: Path, kind: str) -> tuple[Signer, dt.datetime]:
    """The demo partner's key from ``<dir>/<kind>.pem`` + ``.json``, created (mode 0600) if absent."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem_path, meta_path = directory / f"{kind}.pem", directory / f"{kind}.json"
    if pem_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return load_signer(pem_path.read_text(encoding="ascii"), meta["key_id"]), dt.datetime.fromisoformat(
            meta["valid_from"]
        )
    now = timezone.now().replace(microsecond=0)
    signer = generate_signer(SM2_WITH_SM3, now)
    fd = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(signer.private_key_pem())
    meta_path.write_text(
        json.dumps(
            {"key_id": signer.key_id, "valid_from": now.isoformat(), "note": DEMO_NOTE}, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    return signer, now


def demo_key_dir() -> Path:
    return Path(settings.VAR_DIR) / "keys" / "partners"


def load_demo_partners(key_dir: Path | None = None) -> dict[str, Partner]:
    """The three demo partners, their keys and the demo services (idempotent). Refused in
    production: demo partners must never be trusted there."""
    if not (settings.DEBUG or getattr(settings, "TESTING", False)):
        raise ServiceError("exchange.demo_only", "演示交换伙伴只能在开发或测试环境载入（需要 SIFA_DEBUG）")
    directory = key_dir or demo_key_dir()
    partners: dict[str, Partner] = {}
    with transaction.atomic():
        for demo in DEMO_PARTNERS:
            partner = register_partner(name=demo.name, uscc=demo.uscc, kind=demo.kind, is_demo=True)
            signer, valid_from = _demo_signer(directory, demo.kind)
            add_key(partner, signer.public_key_pem(), key_id=signer.key_id, valid_from=valid_from)
            partners[demo.kind] = partner
        _demo_services(partners)
    return partners


def demo_signer(kind: str, key_dir: Path | None = None) -> Signer:
    """A demo partner's signer (for the partner simulators and tests)."""
    return _demo_signer(key_dir or demo_key_dir(), kind)[0]
