"""The holder's wallet (我的证照): 用证授权 and the use log (国务院令716 §11; GB/T 36906 useCause).

Who may use a licence other than its holder:

* staff who are members of an organisation the holder authorised (until the date, not revoked);
* staff who may see an application the holder authorised (data scope of that application).

Every such use is a :class:`LicenceUse` row the holder can list. Anonymous verification
(``/verify``) is not a use: it shows only the public, masked fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from sifa.audit.services import record
from sifa.core.errors import Conflict, NotFound, ServiceError
from sifa.core.licence_ids import parse_licence_id
from sifa.licences.models import Licence, LicenceAuthorisation, LicenceStatus, LicenceUse
from sifa.organisations.models import Organisation
from sifa.organisations.scope import actor_for, scoped

MAX_PURPOSE = 200
MAX_AUTHORISATION_DAYS = 366


def canonical_identifier(identifier: str) -> str:
    """Validate a licence identifier (400 with ``licence_id.*`` when malformed)."""
    return str(parse_licence_id(identifier))


def my_licences(user: Any) -> QuerySet[Licence]:
    """The caller's own licences, newest first (every version, so history is visible)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Licence.objects.none()
    return (
        Licence.objects.filter(holder=user).select_related("licence_type").order_by("-issue_date", "-version")
    )


def my_licence(user: Any, identifier: str) -> Licence:
    identifier = canonical_identifier(identifier)
    licence = my_licences(user).filter(identifier=identifier).first()
    if licence is None:
        raise NotFound("未找到该电子证照", "licence.not_found")
    return licence


def _purpose(purpose: str) -> str:
    purpose = (purpose or "").strip()
    if not purpose:
        raise ServiceError("licence.purpose_required", "请填写用证事由")
    if len(purpose) > MAX_PURPOSE:
        raise ServiceError("licence.purpose_too_long", f"用证事由不能超过{MAX_PURPOSE}字")
    return purpose


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
    if licence.holder_id is None or licence.holder_id != getattr(holder, "pk", None):
        raise NotFound("未找到该电子证照", "licence.not_found")
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
        from sifa.applications.models import Application

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
        record(
            "licence.authorise",
            actor=holder,
            object_type="licences.LicenceAuthorisation",
            object_id=str(authorisation.id),
            scope_path=licence.scope_path,
            detail={
                "licence": licence.identifier,
                "organisation": organisation.pk if organisation else None,
                "application": application.number if application else None,
                "valid_until": valid_until,
            },
        )
    return authorisation


def revoke_grant(licence: Licence, authorisation_id: str, *, holder: Any) -> LicenceAuthorisation:
    if licence.holder_id != getattr(holder, "pk", None):
        raise NotFound("未找到该电子证照", "licence.not_found")
    try:
        authorisation = licence.authorisations.get(pk=authorisation_id)
    except (LicenceAuthorisation.DoesNotExist, ValueError, TypeError):
        raise NotFound("未找到该用证授权", "licence.authorisation_not_found") from None
    if authorisation.revoked_at is None:
        authorisation.revoked_at = timezone.now()
        authorisation.save(update_fields=["revoked_at"])
        record(
            "licence.authorisation_revoked",
            actor=holder,
            object_type="licences.LicenceAuthorisation",
            object_id=str(authorisation.id),
            scope_path=licence.scope_path,
            detail={"licence": licence.identifier},
        )
    return authorisation


def _active_grants(licence: Licence) -> QuerySet[LicenceAuthorisation]:
    return licence.authorisations.filter(revoked_at__isnull=True, valid_until__gte=timezone.localdate())


def authorisation_for(licence: Licence, user: Any) -> LicenceAuthorisation | None:
    """The active authorisation that lets ``user`` (staff) use ``licence``, if any."""
    who = actor_for(user)
    if not who.is_staff_actor:
        return None
    organisation_ids = {org_id for org_id, _path, _role in who.memberships}
    grants = list(_active_grants(licence).select_related("grantee_application"))
    for grant_ in grants:
        if grant_.grantee_organisation_id in organisation_ids:
            return grant_
    application_ids = [g.grantee_application_id for g in grants if g.grantee_application_id]
    if application_ids:
        from sifa.applications.models import Application

        visible = set(
            scoped(Application.objects.filter(pk__in=application_ids), who).values_list("pk", flat=True)
        )
        for grant_ in grants:
            if grant_.grantee_application_id in visible:
                return grant_
    return None


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
    return LicenceUse.objects.create(
        licence=licence,
        used_by=user if getattr(user, "pk", None) else None,
        used_by_organisation=organisation,
        application=application,
        authorisation=authorisation,
        action=action[:40],
        purpose=_purpose(purpose[:MAX_PURPOSE]),
    )


def licence_for_download(user: Any, identifier: str) -> tuple[Licence, LicenceAuthorisation | None]:
    """The licence whose PDF ``user`` may download: the holder's own, or an authorised use.

    Anyone else gets the same 404 as for an unknown identifier (existence is not revealed).
    """
    identifier = canonical_identifier(identifier)
    licence = Licence.objects.select_related("licence_type").filter(identifier=identifier).first()
    if licence is None or user is None or not getattr(user, "is_authenticated", False):
        raise NotFound("未找到该电子证照", "licence.not_found")
    if licence.holder_id == user.pk:
        return licence, None
    authorisation = authorisation_for(licence, user)
    if authorisation is None:
        raise NotFound("未找到该电子证照", "licence.not_found")
    return licence, authorisation


def uses_for_holder(licence: Licence) -> QuerySet[LicenceUse]:
    return licence.uses.select_related("used_by_organisation", "application").order_by("-at")


def usable_wallet_licence(
    licence_type_id: int,
    *,
    holder_id: int | None,
    id_number_index: str | None,
    issuer_path: str | None = None,
) -> Licence | None:
    """The newest usable licence of a type held by an account (or by an ID number's blind index);
    with ``issuer_path``, only one issued by that organisation or an organisation below it."""
    owner = Q(pk__in=[])
    if holder_id:
        owner |= Q(holder_id=holder_id)
    if id_number_index:
        owner |= Q(holder_code_index=id_number_index)
    today = timezone.localdate()
    found = Licence.objects.filter(owner, licence_type_id=licence_type_id, status=LicenceStatus.VALID)
    if issuer_path:
        found = found.filter(scope_path__startswith=issuer_path)
    return (
        found.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .select_related("licence_type")
        .order_by("-issue_date", "-version")
        .first()
    )
