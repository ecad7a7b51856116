"""Reading licences: the holder's wallet (我的证照), authorised use, and the once-only lookup.

Who may read a licence other than its holder:

* staff who are members of an organisation the holder authorised (until the date, not revoked);
* staff who may see an application the holder authorised (data scope of that application).

Every such use is written by :func:`sifa.licences.services.record_use` and the holder can list
it. Anonymous verification (``/verify``, :mod:`sifa.licences.verification`) is not a use: it shows
only the public, masked fields. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from sifa.applications.models import Application
from sifa.core.errors import NotFound
from sifa.core.licence_ids import parse_licence_id
from sifa.licences.models import Licence, LicenceAuthorisation, LicenceStatus, LicenceUse
from sifa.organisations.scope import actor_for, scoped


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
        visible = set(
            scoped(Application.objects.filter(pk__in=application_ids), who).values_list("pk", flat=True)
        )
        for grant_ in grants:
            if grant_.grantee_application_id in visible:
                return grant_
    return None


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


LAWYER_LICENCE = "lawyer_licence"


def lawyer_licence_by_number(number: str) -> Licence | None:
    """The current version of the 律师执业证 with this 执业证号 (证照编号), or None. Reads the
    status live (a suspension or revocation shows at once)."""
    number = (number or "").strip()
    if not number:
        return None
    return (
        Licence.objects.filter(licence_type__key=LAWYER_LICENCE, number=number)
        .select_related("licence_type")
        .order_by("-version", "-created_at")
        .first()
    )


def lawyer_practice_since(licence: Licence) -> dt.date | None:
    """The day the holder of ``licence`` first held a 律师执业证 on Sifa's records: the earliest
    issue date of any version of any lawyer's licence of the same person (by the sealed ID-number
    index, else the licence's serial). A licence imported with its original issue date counts from
    that date (``sifa import-licences``)."""
    same = Licence.objects.filter(licence_type__key=LAWYER_LICENCE)
    if licence.holder_code_index:
        same = same.filter(holder_code_index=licence.holder_code_index)
    else:
        same = same.filter(serial=licence.serial)
    return same.aggregate(first=Min("issue_date"))["first"]


def law_firm_of(licence: Licence) -> str:
    """The 执业机构 recorded on a lawyer's licence (律师法 §10), "" when none is recorded."""
    return str((licence.particulars or {}).get("practice_organisation") or "")
