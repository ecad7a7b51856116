"""The holder's wallet commands: 用证授权 given and revoked, and the use log (国务院令716 §11;
GB/T 36906 useCause). Reads of the wallet are in :mod:`sifa.licences.selectors`.

Granting and revoking are atomic with their audit events. A use (:func:`record_use`) is itself a
log row the holder reads (like the personal-data access log), written in the caller's command or
request: the once-only lookup of an application, or an authorised staff download.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sifa.applications.models import Application
from sifa.audit.services import record, record_disclosure
from sifa.core.errors import Conflict, NotFound, ServiceError
from sifa.licences.models import Licence, LicenceAuthorisation, LicenceUse
from sifa.licences.services.common import required_text
from sifa.organisations.models import Organisation

MAX_PURPOSE = 200
MAX_AUTHORISATION_DAYS = 366


def _purpose(purpose: str) -> str:
    return required_text(purpose, name="purpose", label="用证事由", limit=MAX_PURPOSE)


def _require_holder(licence: Licence, holder: Any) -> None:
    if licence.holder_id is None or licence.holder_id != getattr(holder, "pk", None):
        raise NotFound("未找到该电子证照", "licence.not_found")


def _audit(action: str, authorisation: LicenceAuthorisation, holder: Any, **detail: Any) -> None:
    licence = authorisation.licence
    record(
        action,
        actor=holder,
        subject=authorisation,
        scope_path=licence.scope_path,
        detail={"licence": licence.identifier, **detail},
    )


def grant(
    licence: Licence,
    *,
    holder: Any,
    purpose: str,
    valid_until: dt.date,
    organisation_id: int | None = None,
    application_number: str | None = None,
) -> LicenceAuthorisation:
    """The holder authorises an organisation or one application to use ``licence``."""
    _require_holder(licence, holder)
    purpose = _purpose(purpose)
    today = timezone.localdate()
    if valid_until < today:
        raise ServiceError("licence.bad_validity", "授权截止日期不能早于今天")
    if valid_until > today + dt.timedelta(days=MAX_AUTHORISATION_DAYS):
        raise ServiceError("licence.authorisation_too_long", "用证授权最长一年，请缩短授权期限")
    if not licence.is_usable:
        raise Conflict(
            "licence.not_usable", f"该证照当前状态为“{licence.effective_status_label()}”，不能授权使用"
        )
    if bool(organisation_id) == bool(application_number):
        raise ServiceError("licence.grantee_required", "请指定被授权的机构或办件（二选一）")
    organisation = application = None
    if organisation_id:
        organisation = Organisation.objects.filter(pk=organisation_id, is_active=True).first()
        if organisation is None:
            raise ServiceError("licence.unknown_organisation", "被授权的机构不存在")
    else:
        application = Application.objects.filter(number=str(application_number).strip()[:50]).first()
        if application is None:
            raise ServiceError("licence.unknown_application", "被授权的办件不存在，请核对办件编号")
    with transaction.atomic():
        authorisation = LicenceAuthorisation.objects.create(
            licence=licence,
            grantee_organisation=organisation,
            grantee_application=application,
            purpose=purpose,
            valid_until=valid_until,
        )
        _audit(
            "licence.authorise",
            authorisation,
            holder,
            organisation=organisation.pk if organisation else None,
            application=application.number if application else None,
            valid_until=valid_until,
        )
    return authorisation


def revoke_grant(licence: Licence, authorisation_id: str, *, holder: Any) -> LicenceAuthorisation:
    """The holder withdraws an authorisation (revoking it again changes nothing).

    The revocation and its audit event are one transaction: an authorisation never reads as
    revoked without the event that says who revoked it, nor the other way round.
    """
    _require_holder(licence, holder)
    with transaction.atomic():
        try:
            authorisation = licence.authorisations.select_for_update().get(pk=authorisation_id)
        except (LicenceAuthorisation.DoesNotExist, ValueError, TypeError, ValidationError):
            raise NotFound("未找到该用证授权", "licence.authorisation_not_found") from None
        if authorisation.revoked_at is None:
            authorisation.revoked_at = timezone.now()
            authorisation.save(update_fields=["revoked_at"])
            _audit("licence.authorisation_revoked", authorisation, holder)
    return authorisation


def record_use(
    licence: Licence,
    *,
    action: str,
    purpose: str,
    user: Any = None,
    organisation: Organisation | None = None,
    application: Any = None,
    authorisation: LicenceAuthorisation | None = None,
) -> LicenceUse:
    """Log one use of ``licence`` by someone other than an anonymous verifier, for its holder.

    A use under the holder's authorisation (staff of the grantee downloading the licence) is also
    a row of the holder's 我的数据使用记录: their data provided to that organisation (S16)."""
    if authorisation is not None:
        grantee = organisation or authorisation.grantee_organisation
        record_disclosure(
            subject=licence.holder,
            subject_ref=licence.number,
            object_type="licences.Licence",
            receiver=grantee.name if grantee is not None else "经授权的工作人员",
            purpose=f"用证授权：{purpose}"[:200],
            legal_basis="持证人的用证授权",
            organisation=grantee,
            scope_path=licence.scope_path,
            case_number=getattr(application, "number", "") or "",
            official=user if getattr(user, "pk", None) else None,
        )
    return LicenceUse.objects.create(
        licence=licence,
        used_by=user if getattr(user, "pk", None) else None,
        used_by_organisation=organisation,
        application=application,
        authorisation=authorisation,
        action=action[:40],
        purpose=_purpose(purpose[:MAX_PURPOSE]),
    )
