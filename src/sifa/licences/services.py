"""Issuing and changing licences: the only write path (each command atomic and audited).

* :func:`issue_licence` — a new licence (version 001), signed with the active SM2 key.
* :func:`issue_for_application` — a new licence for an approved application (the workflow calls it
  through :mod:`sifa.licences.results`, which also handles 换发 and 注销 items).
* :func:`reissue` / :func:`replace` / :func:`change` — a new version (换发/补办/变更) with the same
  serial; the old version is superseded and stays verifiable as such.
* :func:`suspend` / :func:`reinstate` / :func:`revoke` / :func:`cancel` — status with reason and date.
* :func:`import_licence` — an existing (paper-era) licence entered into the register.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.accounts.models import ID_NUMBER_INDEX
from sifa.audit.services import record
from sifa.core.crypto import field_cipher
from sifa.core.errors import Conflict, Forbidden, ServiceError
from sifa.core.identifiers import IdentifierError, normalize_id_number, parse_id_number, validate_uscc
from sifa.core.licence_ids import build_licence_id
from sifa.core.masking import mask_id_number
from sifa.licences import pdf as licence_pdf
from sifa.licences.models import (
    HolderCodeType,
    HolderKind,
    IssueKind,
    Licence,
    LicenceCounter,
    LicenceStatus,
    LicenceType,
)
from sifa.licences.payload import build_payload, keyring
from sifa.licences.types import type_for_result
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import actor_for

logger = logging.getLogger("sifa.licences")

ISSUING_ROLES = (Role.DECISION_MAKER,)
USCC_INDEX = "licences.uscc"
MAX_REASON = 500


# --- helpers -----------------------------------------------------------------------------------


def _check_issuing_permission(actor: Any, issuer: Organisation) -> None:
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


def _issuer_uscc(issuer: Organisation) -> str:
    try:
        return validate_uscc(issuer.uscc or "")
    except IdentifierError:
        raise ServiceError(
            "licence.issuer_no_uscc", f"颁发机构“{issuer.name}”没有有效的统一社会信用代码，无法签发电子证照"
        ) from None


def _jurisdiction(issuer: Organisation) -> str:
    code = issuer.region_id or ""
    return code[:6] if code else "100000"


def _holder_identity(holder: Any, licence_type: LicenceType) -> tuple[str, str, str]:
    """(holder name, code type, full code) from the holder's account."""
    person = getattr(holder, "person", None) if holder is not None else None
    company = getattr(holder, "company", None) if holder is not None else None
    if licence_type.holder_kind == HolderKind.PERSON:
        if person is None:
            raise ServiceError("licence.holder_kind", f"{licence_type.name}的持证人应为已实名的自然人")
        return person.name, HolderCodeType.ID_NUMBER, person.reveal_id_number()
    if company is None:
        raise ServiceError("licence.holder_kind", f"{licence_type.name}的持证主体应为法人或其他组织")
    return company.name, HolderCodeType.USCC, company.uscc


def _set_holder_code(licence: Licence, code_type: str, code: str) -> None:
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


def _next_number(licence_type: LicenceType, issuer: Organisation, issuer_uscc: str, year: int) -> str:
    """证照编号: 区划(6) + 年(4) + 类型顺序号(3) + 序号(5), e.g. ``330000202600100001``."""
    key = f"{licence_type.code[18:]}:{issuer_uscc}:{year}"
    counter, _created = LicenceCounter.objects.get_or_create(key=key)
    counter = LicenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    if counter.last > 99999:
        raise Conflict("licence.number_exhausted", "本年度该类证照编号已用尽")
    return f"{_jurisdiction(issuer)}{year}{licence_type.code[18:]}{counter.last:05d}"


def _serial_from_number(number: str) -> str:
    serial = "".join(ch for ch in number.upper() if ch.isascii() and ch.isalnum())
    if not serial:
        raise ServiceError("licence.bad_number", "证照编号中没有可作为流水号的数字或字母")
    return serial[:64]


def _check_dates(valid_from: dt.date, valid_until: dt.date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise ServiceError("licence.bad_validity", "有效期截止日期不能早于起始日期")


def _default_until(licence_type: LicenceType, valid_from: dt.date) -> dt.date | None:
    if not licence_type.validity_years:
        return None
    try:
        end = valid_from.replace(year=valid_from.year + licence_type.validity_years)
    except ValueError:  # 29 February
        end = valid_from.replace(year=valid_from.year + licence_type.validity_years, day=28)
    return end - dt.timedelta(days=1)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("licence.reason_required", "请填写原因")
    if len(reason) > MAX_REASON:
        raise ServiceError("licence.reason_too_long", f"原因不能超过{MAX_REASON}字")
    return reason


def _sign_and_save(licence: Licence, holder_code: str, *, with_pdf: bool) -> Licence:
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
        if stored is not None:
            licence.pdf_storage_key = stored.storage_key
            licence.pdf_sm3 = stored.sm3_hex
            licence.pdf_signature = stored.signature
            licence.pdf_key_id = stored.key_id
            licence.save(update_fields=["pdf_storage_key", "pdf_sm3", "pdf_signature", "pdf_key_id"])
    return licence


def _notify_issued(licence: Licence) -> None:
    """Tell the holder, after commit (a notification for a rolled-back licence would lie)."""
    if licence.holder_id is None:
        return
    try:
        from sifa.notifications.services import notify
    except ImportError:
        return
    notify(
        licence.holder,
        "licence.issued",
        {"licence_name": licence.name, "licence_id": licence.identifier},
        # The identifier (about 80 characters) does not fit the 64-character reference column.
        related=("licence", str(licence.id)),
        link=f"/verify/{licence.identifier}",
    )


def _audit(action: str, licence: Licence, actor: Any, **detail: Any) -> None:
    record(
        action,
        actor=actor,
        organisation=licence.issuer_id,
        object_type="licences.Licence",
        object_id=licence.identifier,
        scope_path=licence.scope_path,
        detail={"number": licence.number, "key_id": licence.key_id, "status": licence.status, **detail},
    )


# --- issuing -----------------------------------------------------------------------------------


def issue_licence(
    licence_type: LicenceType,
    holder: Any,
    issuer: Organisation,
    *,
    actor: Any,
    number: str | None = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    issue_date: dt.date | None = None,
    application: Any = None,
    particulars: dict[str, Any] | None = None,
    with_pdf: bool = True,
) -> Licence:
    """Issue version 001 of a new licence to ``holder`` (a User with a person or company record).

    ``valid_from`` defaults to today, ``valid_until`` to the type's default validity (None: 长期).
    ``number`` (证照编号) is generated per type, issuer and year unless given.
    """
    _check_issuing_permission(actor, issuer)
    issuer_uscc = _issuer_uscc(issuer)
    holder_name, code_type, holder_code = _holder_identity(holder, licence_type)
    today = timezone.localdate()
    valid_from = valid_from or today
    valid_until = valid_until if valid_until is not None else _default_until(licence_type, valid_from)
    _check_dates(valid_from, valid_until)
    with transaction.atomic():
        number = number.strip() if number else _next_number(licence_type, issuer, issuer_uscc, today.year)
        serial = _serial_from_number(number)
        licence = Licence(
            licence_type=licence_type,
            serial=serial,
            version=1,
            number=number,
            name=licence_type.name,
            issue_kind=IssueKind.ISSUE,
            issuer=issuer,
            issuer_name=issuer.name,
            issuer_uscc=issuer_uscc,
            issue_date=issue_date or today,
            holder=holder,
            holder_name=holder_name,
            holder_code_type=code_type,
            holder_salt=secrets.token_hex(16),
            jurisdiction_code=_jurisdiction(issuer),
            valid_from=valid_from,
            valid_until=valid_until,
            particulars=particulars or {},
            application=application,
            scope_path=issuer.path,
        )
        if Licence.objects.filter(licence_type=licence_type, issuer_uscc=issuer_uscc, serial=serial).exists():
            raise Conflict(
                "licence.duplicate_number", f"该颁发机构已签发过编号为 {number} 的{licence_type.name}"
            )
        licence.identifier = build_licence_id(licence_type.code, issuer_uscc, serial, 1)
        _set_holder_code(licence, code_type, holder_code)
        _sign_and_save(licence, holder_code, with_pdf=with_pdf)
        _audit("licence.issue", licence, actor, application=getattr(application, "number", None) or "")
        transaction.on_commit(lambda: _notify_issued(licence))
    return licence


PARTICULAR_FIELDS = {"law_firm": "practice_organisation", "practice_organisation": "practice_organisation"}
"""Application form fields copied onto the licence (律师执业证 records the 执业机构)."""


def issue_for_application(
    application: Any, actor: Any, *, issuer: Organisation | None = None, with_pdf: bool = True
) -> Licence | None:
    """Issue the licence an approved application results in, or None when its result is no licence.

    The type comes from the pinned catalogue version's ``result_name``; the holder is the applicant;
    the issuer is ``issuer`` or else the organisation currently handling the case (the deciding one).
    换发 and 注销 items go through :func:`sifa.licences.results.apply_decision` instead.
    """
    licence_type = type_for_result(application.version.result_name)
    if licence_type is None:
        return None
    if application.applicant_id is None:
        raise ServiceError("licence.holder_without_account", "申请人没有平台账户，电子证照无法归集到其证照库")
    existing = Licence.objects.filter(application=application).first()
    if existing is not None:
        return existing  # a retried decision must not issue twice
    issuer = issuer or application.current_organisation or application.accepting_organisation
    form = application.form_data or {}
    particulars = {
        target: str(form[source])[:200] for source, target in PARTICULAR_FIELDS.items() if form.get(source)
    }
    return issue_licence(
        licence_type,
        application.applicant,
        issuer,
        actor=actor,
        application=application,
        particulars=particulars,
        with_pdf=with_pdf,
    )


# --- new versions ------------------------------------------------------------------------------


def _locked(licence: Licence) -> Licence:
    # ``of=("self",)``: PostgreSQL cannot lock the nullable side of the join to ``previous``.
    return (
        Licence.objects.select_for_update(of=("self",))
        .select_related("licence_type", "issuer", "previous")
        .get(pk=licence.pk)
    )


def _new_version(
    licence: Licence,
    kind: str,
    *,
    actor: Any,
    reason: str,
    particulars: dict[str, Any] | None = None,
    valid_until: dt.date | None = None,
    holder_name: str | None = None,
    application: Any = None,
    with_pdf: bool = True,
) -> Licence:
    reason = _reason(reason)
    _check_issuing_permission(actor, licence.issuer)
    with transaction.atomic():
        old = _locked(licence)
        if old.status not in (LicenceStatus.VALID, LicenceStatus.SUSPENDED):
            raise Conflict(
                "licence.not_current",
                f"该证照当前状态为“{old.get_status_display()}”，不能{IssueKind(kind).label}",
            )
        if old.version >= 999:
            raise Conflict("licence.version_exhausted", "该证照的版本号已用尽")
        today = timezone.localdate()
        holder_code = old.reveal_holder_code()
        new = Licence(
            licence_type=old.licence_type,
            serial=old.serial,
            version=old.version + 1,
            number=old.number,
            name=old.name,
            issue_kind=kind,
            issuer=old.issuer,
            issuer_name=old.issuer.name,
            issuer_uscc=old.issuer_uscc,
            issue_date=today,
            holder=old.holder,
            holder_name=(holder_name or old.holder_name).strip()[:200],
            holder_code_type=old.holder_code_type,
            holder_salt=secrets.token_hex(16),
            jurisdiction_code=old.jurisdiction_code,
            valid_from=old.valid_from if kind == IssueKind.REPLACEMENT else today,
            valid_until=valid_until if valid_until is not None else old.valid_until,
            particulars={**old.particulars, **(particulars or {})},
            status=old.status,
            status_reason=old.status_reason if old.status == LicenceStatus.SUSPENDED else "",
            status_date=old.status_date if old.status == LicenceStatus.SUSPENDED else None,
            suspended_until=old.suspended_until,
            previous=old,
            application=application or old.application,
            scope_path=old.scope_path,
        )
        _check_dates(new.valid_from, new.valid_until)
        new.identifier = build_licence_id(old.licence_type.code, old.issuer_uscc, old.serial, new.version)
        _set_holder_code(new, old.holder_code_type, holder_code)
        old.status, old.status_reason, old.status_date = LicenceStatus.SUPERSEDED, reason, today
        old.save(update_fields=["status", "status_reason", "status_date"])
        _sign_and_save(new, holder_code, with_pdf=with_pdf)
        _audit(f"licence.{kind}", new, actor, previous=old.identifier, reason=reason)
        transaction.on_commit(lambda: _notify_issued(new))
    return new


def reissue(licence: Licence, *, actor: Any, reason: str, **changes: Any) -> Licence:
    """换发: a new version, e.g. after a change of 执业机构 (律师法 §10) or at the end of validity."""
    return _new_version(licence, IssueKind.REISSUE, actor=actor, reason=reason, **changes)


def replace(licence: Licence, *, actor: Any, reason: str, **changes: Any) -> Licence:
    """补办: the same content as a new version, after loss or damage of the printed licence."""
    return _new_version(licence, IssueKind.REPLACEMENT, actor=actor, reason=reason, **changes)


def change(licence: Licence, *, actor: Any, reason: str, **changes: Any) -> Licence:
    """变更: a recorded particular (name, 执业机构 …) changed; a new version carries it."""
    return _new_version(licence, IssueKind.CHANGE, actor=actor, reason=reason, **changes)


# --- status ------------------------------------------------------------------------------------


def _set_status(
    licence: Licence,
    status: str,
    *,
    actor: Any,
    reason: str,
    allowed_from: tuple[str, ...],
    on: dt.date | None = None,
    until: dt.date | None = None,
) -> Licence:
    reason = _reason(reason)
    _check_issuing_permission(actor, licence.issuer)
    with transaction.atomic():
        locked = _locked(licence)
        if locked.status not in allowed_from:
            raise Conflict(
                "licence.bad_transition",
                f"该证照当前状态为“{locked.get_status_display()}”，不能改为“{LicenceStatus(status).label}”",
            )
        locked.status = status
        locked.status_reason = reason
        locked.status_date = on or timezone.localdate()
        locked.suspended_until = until if status == LicenceStatus.SUSPENDED else None
        locked.save(update_fields=["status", "status_reason", "status_date", "suspended_until"])
        _audit(f"licence.{status}", locked, actor, reason=reason)
    return locked


def suspend(
    licence: Licence, *, actor: Any, reason: str, until: dt.date | None = None, on: dt.date | None = None
) -> Licence:
    """停止执业 (律师法 §49 等): the licence reads as suspended until reinstated."""
    return _set_status(
        licence, LicenceStatus.SUSPENDED, actor=actor, reason=reason, on=on, until=until,
        allowed_from=(LicenceStatus.VALID,),
    )  # fmt: skip


def reinstate(licence: Licence, *, actor: Any, reason: str, on: dt.date | None = None) -> Licence:
    """The end of a 停止执业 period."""
    return _set_status(
        licence,
        LicenceStatus.VALID,
        actor=actor,
        reason=reason,
        on=on,
        allowed_from=(LicenceStatus.SUSPENDED,),
    )


def revoke(licence: Licence, *, actor: Any, reason: str, on: dt.date | None = None) -> Licence:
    """吊销 (a penalty, 行政处罚法 §9). Final: visible on /verify at once."""
    return _set_status(
        licence, LicenceStatus.REVOKED, actor=actor, reason=reason, on=on,
        allowed_from=(LicenceStatus.VALID, LicenceStatus.SUSPENDED),
    )  # fmt: skip


def cancel(licence: Licence, *, actor: Any, reason: str, on: dt.date | None = None) -> Licence:
    """注销 (行政许可法 §70: the holder gave it up, died, the firm closed …). Final."""
    return _set_status(
        licence, LicenceStatus.CANCELLED, actor=actor, reason=reason, on=on,
        allowed_from=(LicenceStatus.VALID, LicenceStatus.SUSPENDED),
    )  # fmt: skip


# --- import ------------------------------------------------------------------------------------


def import_licence(
    licence_type: LicenceType,
    issuer: Organisation,
    *,
    number: str,
    holder_name: str,
    holder_code: str,
    issue_date: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    particulars: dict[str, Any] | None = None,
    holder: Any = None,
    actor: Any = None,
    with_pdf: bool = False,
) -> Licence:
    """Enter an existing licence (issued on paper before the platform) and sign it now.

    The holder is identified by name and code (公民身份号码 or USCC, validated); ``holder`` links
    an account when one exists — otherwise the person's account is found by the code's blind index.
    """
    _check_issuing_permission(actor, issuer)
    issuer_uscc = _issuer_uscc(issuer)
    holder_name = (holder_name or "").strip()
    if not holder_name or len(holder_name) > 200:
        raise ServiceError("licence.bad_holder", "请填写持证主体名称（不超过200字）")
    if licence_type.holder_kind == HolderKind.PERSON:
        code_type = HolderCodeType.ID_NUMBER
        holder_code = parse_id_number(normalize_id_number(holder_code)).value
        if holder is None:
            from sifa.accounts.models import NaturalPerson

            person = NaturalPerson.objects.filter(
                id_number_index=field_cipher().blind_index(holder_code, ID_NUMBER_INDEX)
            ).first()
            holder = person.user if person else None
    else:
        code_type = HolderCodeType.USCC
        holder_code = validate_uscc(holder_code)
        if holder is None:
            from sifa.accounts.models import LegalPerson

            company = LegalPerson.objects.filter(uscc=holder_code).first()
            holder = company.user if company else None
    _check_dates(valid_from, valid_until)
    number = (number or "").strip()
    if not number or len(number) > 64:
        raise ServiceError("licence.bad_number", "请填写证照编号（不超过64个字符）")
    serial = _serial_from_number(number)
    with transaction.atomic():
        if Licence.objects.filter(licence_type=licence_type, issuer_uscc=issuer_uscc, serial=serial).exists():
            raise Conflict("licence.duplicate_number", f"编号为 {number} 的{licence_type.name}已在证照库中")
        licence = Licence(
            licence_type=licence_type, serial=serial, version=1, number=number, name=licence_type.name,
            issue_kind=IssueKind.IMPORT, issuer=issuer, issuer_name=issuer.name, issuer_uscc=issuer_uscc,
            issue_date=issue_date, holder=holder, holder_name=holder_name, holder_code_type=code_type,
            holder_salt=secrets.token_hex(16), jurisdiction_code=_jurisdiction(issuer), valid_from=valid_from,
            valid_until=valid_until, particulars=particulars or {}, scope_path=issuer.path,
        )  # fmt: skip
        licence.identifier = build_licence_id(licence_type.code, issuer_uscc, serial, 1)
        _set_holder_code(licence, code_type, holder_code)
        _sign_and_save(licence, holder_code, with_pdf=with_pdf)
        _audit("licence.import", licence, actor)
    return licence


# --- staff actions (API and workbench) ---------------------------------------------------------
# What staff do to an issued licence, by name: one entry point per kind so both the API and the
# workbench apply the same checks, in the same order: role (403), input (400), state (409).

STATUS_ACTIONS: dict[str, Any] = {
    "revoke": revoke,
    "cancel": cancel,
    "suspend": suspend,
    "reinstate": reinstate,
}
VERSION_ACTIONS: dict[str, Any] = {"reissue": reissue, "replace": replace, "change": change}
STAFF_ACTIONS = (*STATUS_ACTIONS, *VERSION_ACTIONS)
ACTION_LABELS = {
    "revoke": "吊销",
    "cancel": "注销",
    "suspend": "停止执业",
    "reinstate": "恢复执业",
    "reissue": "换发",
    "replace": "补办",
    "change": "变更",
}
ACTIONS_FROM: dict[str, tuple[str, ...]] = {
    "revoke": (LicenceStatus.VALID, LicenceStatus.SUSPENDED),
    "cancel": (LicenceStatus.VALID, LicenceStatus.SUSPENDED),
    "suspend": (LicenceStatus.VALID,),
    "reinstate": (LicenceStatus.SUSPENDED,),
    **dict.fromkeys(VERSION_ACTIONS, (LicenceStatus.VALID, LicenceStatus.SUSPENDED)),
}
"""The stored statuses each action starts from (mirrors ``allowed_from`` above and ``_new_version``)."""

STATUS_CHANGED_EVENT = "licence.status_changed"
MAX_PARTICULARS = 10
PARTICULAR_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_")


def may_change(actor: Any, licence: Licence) -> bool:
    """Whether ``actor`` holds a deciding role over the licence's issuer (the services' own rule)."""
    try:
        _check_issuing_permission(actor, licence.issuer)
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


def _effective_on(licence: Licence, on: dt.date | None) -> dt.date:
    """The status takes effect now, so its recorded date may be earlier (a decision made before it
    was entered) but never later than today, and never before the licence existed."""
    today = timezone.localdate()
    on = on or today
    if on > today:
        raise ServiceError(
            "licence.effective_date_future",
            "生效日期不能晚于今天（状态在确认后立即生效）",
            errors=[{"field": "effective_date", "code": "licence.effective_date_future",
                     "message": "生效日期不能晚于今天（状态在确认后立即生效）"}],
        )  # fmt: skip
    if on < licence.issue_date:
        message = f"生效日期不能早于证照颁发日期（{licence.issue_date:%Y-%m-%d}）"
        raise ServiceError(
            "licence.effective_date_early",
            message,
            errors=[{"field": "effective_date", "code": "licence.effective_date_early", "message": message}],
        )
    return on


def _suspended_until(on: dt.date, until: dt.date | None) -> dt.date | None:
    if until is not None and (until <= on or until < timezone.localdate()):
        message = "停止执业截止日期应晚于生效日期，且不能早于今天"
        raise ServiceError(
            "licence.bad_suspension_end",
            message,
            errors=[{"field": "until", "code": "licence.bad_suspension_end", "message": message}],
        )
    return until


def notify_status_changed(licence: Licence) -> bool:
    """Tell the holder their licence's status changed, in the command's transaction (the outbox
    row commits with the change or not at all). Guarded: until the event is registered in
    ``sifa.notifications.events`` the change is made without a message, and that is logged."""
    if licence.holder_id is None:
        return False
    try:
        from sifa.notifications.events import NotificationError, get_event
        from sifa.notifications.services import notify
    except ImportError:
        return False
    try:
        get_event(STATUS_CHANGED_EVENT)
    except NotificationError:
        logger.warning("notification event %s is not registered; holder not notified", STATUS_CHANGED_EVENT)
        return False
    notify(
        licence.holder,
        STATUS_CHANGED_EVENT,
        {
            "licence_name": licence.name,
            "licence_id": licence.identifier,
            "licence_number": licence.number,
            "status_label": licence.get_status_display(),
            "reason": licence.status_reason,
            "effective_date": f"{licence.status_date:%Y-%m-%d}",
            "until": f"{licence.suspended_until:%Y-%m-%d}" if licence.suspended_until else "",
        },
        related=("licence", str(licence.id)),
        link=f"/verify/{licence.identifier}",
    )
    return True


def change_status(
    licence: Licence,
    action: str,
    *,
    actor: Any,
    reason: str,
    effective_date: dt.date | None = None,
    until: dt.date | None = None,
) -> Licence:
    """吊销 / 注销 / 停止执业 / 恢复执业 by a decision maker, audited, the holder notified."""
    if action not in STATUS_ACTIONS:
        raise ServiceError("licence.unknown_action", "不支持该证照操作")
    require_decider(actor, licence, action)
    on = _effective_on(licence, effective_date)
    extra = {"until": _suspended_until(on, until)} if action == "suspend" else {}
    with transaction.atomic():
        changed = STATUS_ACTIONS[action](licence, actor=actor, reason=reason, on=on, **extra)
        notify_status_changed(changed)
    return changed


def _clean_particulars(particulars: dict[str, Any] | None) -> dict[str, str]:
    if not particulars:
        return {}
    problems = []
    if len(particulars) > MAX_PARTICULARS:
        problems.append(f"记载事项不能超过{MAX_PARTICULARS}项")
    cleaned = {}
    for key, value in particulars.items():
        text = str(value).strip() if isinstance(value, str | int) else ""
        if not key or len(key) > 40 or not set(key) <= PARTICULAR_KEY_CHARS:
            problems.append(f"记载事项名称“{key[:40]}”只能由小写英文字母和下划线组成（不超过40个字符）")
        elif not text or len(text) > 200:
            problems.append(f"记载事项“{key}”的内容应为1至200字的文字")
        else:
            cleaned[key] = text
    if problems:
        raise ServiceError(
            "licence.bad_particulars",
            problems[0],
            errors=[
                {"field": "particulars", "code": "licence.bad_particulars", "message": p} for p in problems
            ],
        )
    return cleaned


def new_version(
    licence: Licence,
    action: str,
    *,
    actor: Any,
    reason: str,
    holder_name: str | None = None,
    particulars: dict[str, Any] | None = None,
    valid_until: dt.date | None = None,
    with_pdf: bool = True,
) -> Licence:
    """换发 / 补办 / 变更 by a decision maker: the next version (the holder is told it was issued).

    A change must change something: the holder's name, a recorded particular or the validity.
    """
    if action not in VERSION_ACTIONS:
        raise ServiceError("licence.unknown_action", "不支持该证照操作")
    require_decider(actor, licence, action)
    particulars = _clean_particulars(particulars)
    holder_name = (holder_name or "").strip() or None
    if holder_name is not None and len(holder_name) > 200:
        raise ServiceError("licence.bad_holder", "持证主体名称不能超过200字")
    if action == "change":
        renamed = holder_name is not None and holder_name != licence.holder_name
        new_particulars = any(licence.particulars.get(k) != v for k, v in particulars.items())
        new_validity = valid_until is not None and valid_until != licence.valid_until
        if not (renamed or new_particulars or new_validity):
            raise ServiceError("licence.nothing_changed", "请填写需要变更的事项（与现有记载不同）")
    changes: dict[str, Any] = {"particulars": particulars, "valid_until": valid_until, "with_pdf": with_pdf}
    if holder_name is not None:
        changes["holder_name"] = holder_name
    return VERSION_ACTIONS[action](licence, actor=actor, reason=reason, **changes)
