"""Shared pieces of the licence commands: who may act, the identity fields, signing, audit.

Nothing here is a command of its own; :mod:`.issue`, :mod:`.imports`, :mod:`.versions` and
:mod:`.status` call these inside their transactions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from sifa.accounts.models import ID_NUMBER_INDEX
from sifa.audit.services import record
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.core.identifiers import IdentifierError, validate_uscc
from sifa.core.masking import mask_id_number
from sifa.licences import pdf as licence_pdf
from sifa.licences.models import (
    HolderCodeType,
    HolderKind,
    Licence,
    LicenceCounter,
    LicenceStatus,
    LicenceType,
)
from sifa.licences.payload import build_payload, keyring
from sifa.notifications.services import notify
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import actor_for

ISSUING_ROLES = (Role.DECISION_MAKER,)
USCC_INDEX = "licences.uscc"
MAX_REASON = 500

CHANGEABLE = (LicenceStatus.VALID, LicenceStatus.SUSPENDED)
"""The stored statuses a licence can still be changed from (a new version, 吊销, 注销)."""

ACTION_LABELS = {
    "revoke": "吊销",
    "cancel": "注销",
    "suspend": "停止执业",
    "reinstate": "恢复执业",
    "reissue": "换发",
    "replace": "补办",
    "change": "变更",
}
"""What staff do to an issued licence, by name, in the order a person reads them."""
STAFF_ACTIONS = tuple(ACTION_LABELS)
ACTIONS_FROM: dict[str, tuple[str, ...]] = {
    "revoke": CHANGEABLE,
    "cancel": CHANGEABLE,
    "suspend": (LicenceStatus.VALID,),
    "reinstate": (LicenceStatus.SUSPENDED,),
    "reissue": CHANGEABLE,
    "replace": CHANGEABLE,
    "change": CHANGEABLE,
}
"""The stored statuses each action starts from: the one table the commands and the offers read."""


# --- who may act --------------------------------------------------------------------------------


def check_issuing_permission(actor: Any, issuer: Organisation) -> None:
    """Staff must hold a deciding role over the issuer; ``None`` is the system (commands, imports)."""
    if actor is None:
        return
    who = actor_for(actor)
    if who.is_superuser:
        return
    if not any(issuer.path.startswith(path) for path in who.paths_for(ISSUING_ROLES)):
        raise Forbidden(
            "只有颁发机构（或其上级机关）的审批决定人员可以签发或变更电子证照", "licence.not_allowed"
        )


def may_change(actor: Any, licence: Licence) -> bool:
    """Whether ``actor`` holds a deciding role over the licence's issuer (the services' own rule)."""
    try:
        check_issuing_permission(actor, licence.issuer)
    except Forbidden:
        return False
    return True


def actions_for(actor: Any, licence: Licence) -> list[str]:
    """The actions ``actor`` may take on ``licence`` now, in the order a person reads them."""
    if actor is None or not may_change(actor, licence):
        return []
    return [name for name in STAFF_ACTIONS if licence.status in ACTIONS_FROM[name]]


def require_decider(actor: Any, licence: Licence, action: str) -> None:
    """403 ``licence.role_required`` unless ``actor`` may take ``action`` on ``licence``."""
    if actor is None or not may_change(actor, licence):
        raise Forbidden(
            f"只有颁发机构（{licence.issuer_name}）或其上级机关的审批决定人员可以{ACTION_LABELS[action]}电子证照",
            "licence.role_required",
        )


# --- identity fields ------------------------------------------------------------------------------


def issuer_uscc(issuer: Organisation) -> str:
    try:
        return validate_uscc(issuer.uscc or "")
    except IdentifierError:
        raise ServiceError(
            "licence.issuer_no_uscc", f"颁发机构“{issuer.name}”没有有效的统一社会信用代码，无法签发电子证照"
        ) from None


def jurisdiction(issuer: Organisation) -> str:
    code = issuer.region_id or ""
    return code[:6] if code else "100000"


def holder_identity(
    holder: Any, licence_type: LicenceType, *, person: Any = None, company: Any = None
) -> tuple[str, str, str]:
    """(holder name, code type, full code) from the holder's account, or — for a walk-in
    applicant recorded without one — from the ``person`` or ``company`` record itself."""
    if holder is not None:
        person = getattr(holder, "person", None)
        company = getattr(holder, "company", None)
    if licence_type.holder_kind == HolderKind.PERSON:
        if person is None:
            raise ServiceError("licence.holder_kind", f"{licence_type.name}的持证人应为已实名的自然人")
        return person.name, HolderCodeType.ID_NUMBER, person.reveal_id_number()
    if company is None:
        raise ServiceError("licence.holder_kind", f"{licence_type.name}的持证主体应为法人或其他组织")
    return company.name, HolderCodeType.USCC, company.uscc


def set_holder_code(licence: Licence, code_type: str, code: str) -> None:
    cipher = field_cipher()
    if code_type == HolderCodeType.ID_NUMBER:
        # Same blind-index purpose as accounts: a walk-in applicant (NaturalPerson without an
        # account) finds their licences by the index of their 公民身份号码.
        licence.holder_code_enc = cipher.seal(code, licence.holder_code_aad)
        licence.holder_code_index = cipher.blind_index(code, ID_NUMBER_INDEX)
        licence.holder_code_masked = mask_id_number(code)
    else:
        # A USCC is public (GB 32100 registration data): shown in full, no ciphertext needed.
        licence.holder_code_enc = None
        licence.holder_code_index = cipher.blind_index(code, USCC_INDEX)
        licence.holder_code_masked = code


# --- numbers, dates, reasons ----------------------------------------------------------------------


def next_number(licence_type: LicenceType, issuer: Organisation, issuer_code: str, year: int) -> str:
    """证照编号: 区划(6) + 年(4) + 类型顺序号(3) + 序号(5), e.g. ``330000202600100001``."""
    key = f"{licence_type.code[18:]}:{issuer_code}:{year}"
    counter, _created = LicenceCounter.objects.get_or_create(key=key)
    counter = LicenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    if counter.last > 99999:
        raise Conflict("licence.number_exhausted", "本年度该类证照编号已用尽")
    return f"{jurisdiction(issuer)}{year}{licence_type.code[18:]}{counter.last:05d}"


def serial_from_number(number: str) -> str:
    serial = "".join(ch for ch in number.upper() if ch.isascii() and ch.isalnum())
    if not serial:
        raise ServiceError("licence.bad_number", "证照编号中没有可作为流水号的数字或字母")
    return serial[:64]


def check_dates(valid_from: dt.date, valid_until: dt.date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise ServiceError("licence.bad_validity", "有效期截止日期不能早于起始日期")


def default_until(licence_type: LicenceType, valid_from: dt.date) -> dt.date | None:
    if not licence_type.validity_years:
        return None
    try:
        end = valid_from.replace(year=valid_from.year + licence_type.validity_years)
    except ValueError:  # 29 February
        end = valid_from.replace(year=valid_from.year + licence_type.validity_years, day=28)
    return end - dt.timedelta(days=1)


def required_text(value: str, *, name: str, label: str, limit: int) -> str:
    """``value`` stripped; 400 ``licence.<name>_required`` when empty, ``…_too_long`` past ``limit``."""
    value = (value or "").strip()
    if not value:
        raise ServiceError(f"licence.{name}_required", f"请填写{label}")
    if len(value) > limit:
        raise ServiceError(f"licence.{name}_too_long", f"{label}不能超过{limit}字")
    return value


def clean_reason(reason: str) -> str:
    return required_text(reason, name="reason", label="原因", limit=MAX_REASON)


# --- signing, audit, telling the holder -----------------------------------------------------------


def sign_and_save(licence: Licence, holder_code: str, *, with_pdf: bool) -> Licence:
    """Build the payload, sign it with the active key, store; then the sealed PDF."""
    previous = licence.previous.identifier if licence.previous_id else None
    payload = build_payload(licence, holder_code, previous)
    key_id, signature = keyring().sign(payload)
    licence.payload = payload.decode("utf-8")
    licence.signature = signature
    licence.key_id = key_id
    licence.save(force_insert=True)
    if with_pdf:
        stored = licence_pdf.render_and_seal(licence)
        licence.pdf_storage_key = stored.storage_key
        licence.pdf_sm3 = stored.sm3_hex
        licence.pdf_signature = stored.signature
        licence.pdf_key_id = stored.key_id
        licence.save(update_fields=["pdf_storage_key", "pdf_sm3", "pdf_signature", "pdf_key_id"])
    return licence


def notify_issued_after_commit(licence: Licence) -> None:
    """Tell the holder once the licence is committed (a message about a rolled-back licence would lie)."""
    if licence.holder_id is None:
        return
    transaction.on_commit(
        lambda: notify(
            licence.holder,
            "licence.issued",
            {"licence_name": licence.name, "licence_id": licence.identifier},
            # The identifier (about 80 characters) does not fit the 64-character reference column.
            related=("licence", str(licence.id)),
            link=f"/verify/{licence.identifier}",
        )
    )


def audit(action: str, licence: Licence, actor: Any, **detail: Any) -> None:
    record(
        action,
        actor=actor,
        organisation=licence.issuer_id,
        subject=licence,
        scope_path=licence.scope_path,
        detail={"number": licence.number, "key_id": licence.key_id, "status": licence.status, **detail},
    )


def locked(licence: Licence, allowed_from: tuple[str, ...], code: str, refusal: str) -> Licence:
    """The licence row under an update lock, with what the commands read; 409 ``code`` (“该证照当前
    状态为“…”，<refusal>”) when its status is not one of ``allowed_from``."""
    # ``of=("self",)``: PostgreSQL cannot lock the nullable side of the join to ``previous``.
    row = (
        Licence.objects.select_for_update(of=("self",))
        .select_related("licence_type", "issuer", "previous")
        .get(pk=licence.pk)
    )
    if row.status not in allowed_from:
        raise Conflict(code, f"该证照当前状态为“{row.get_status_display()}”，{refusal}")
    return row
