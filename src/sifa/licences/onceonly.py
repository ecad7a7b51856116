"""The real ``LicenceWalletProvider`` for once-only (国务院令716 §7): a material the catalogue marks
``satisfiable_by_licence_type`` is taken from the applicant's e-licence wallet instead of asked for.

Registered in ``LicencesConfig.ready`` with ``registry.replace("licence", WalletProvider())``.
Each match is logged as a :class:`~sifa.licences.models.LicenceUse`, so the holder sees which
application used their licence.
"""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.utils import timezone

from sifa.applications.models import MaterialProvenance
from sifa.applications.onceonly import Found, HeldLicence, subject_material
from sifa.catalogue.models import LicenceEffect
from sifa.core.db import FixedRows, fixed_cursor
from sifa.licences.models import Licence, LicenceStatus, LicenceType
from sifa.licences.one_per_holder import ONE_PER_HOLDER, describe, held_by_applicant, one_per_holder_type
from sifa.licences.services import record_use

_LICENCE = FixedRows(Licence)
_TYPE = FixedRows(LicenceType)


@functools.cache
def _wallet_sql(vendor: str, owners: tuple[str, ...], issuer: bool) -> str:
    """``types.type_for`` (by key, else by code) and ``selectors.usable_wallet_licence`` in one
    fixed statement: the newest usable licence of the type held by the account or the ID number's
    blind index (and issued at or below ``issuer``), with its type. The same rows and order as the
    ORM's two queries; written once, not built per material and draft."""
    quote = connection.ops.quote_name
    licence, kind = quote(Licence._meta.db_table), quote(LicenceType._meta.db_table)
    owner = " OR ".join(f'l."{column}" = %s' for column in owners)
    scope = f' AND l."scope_path" {connection.operators["startswith"] % "%s"}' if issuer else ""
    return (
        f"SELECT {_LICENCE.columns('l')}, {_TYPE.columns('t')} FROM {licence} l "  # noqa: S608 (names only)
        f'INNER JOIN {kind} t ON l."licence_type_id" = t."id" '
        f'WHERE ({owner}) AND l."licence_type_id" = COALESCE('
        f'(SELECT k."id" FROM {kind} k WHERE k."key" = %s), (SELECT k."id" FROM {kind} k WHERE k."code" = %s)) '
        f'AND l."status" = %s{scope} AND (l."valid_until" IS NULL OR l."valid_until" >= %s) '
        'ORDER BY l."issue_date" DESC, l."version" DESC LIMIT 1'
    )


def usable_licence(
    reference: str, *, holder_id: int | None, id_number_index: str | None, issuer_path: str | None
) -> Licence | None:
    """The newest usable licence of the type ``reference`` (its key or code) held by the account or
    the ID number (see :func:`_wallet_sql`), with its ``licence_type`` loaded; None when there is
    none or no such type."""
    owners, params = [], []
    if holder_id:
        owners.append("holder_id")
        params.append(holder_id)
    if id_number_index:
        owners.append("holder_code_index")
        params.append(id_number_index)
    if not owners:
        return None  # the ORM's empty predicate: nothing is read
    params += [reference, reference, str(LicenceStatus.VALID)]
    if issuer_path:
        params.append(connection.ops.prep_for_like_query(issuer_path) + "%")
    params.append(Licence._meta.get_field("valid_until").get_db_prep_value(timezone.localdate(), connection))
    with fixed_cursor(connection) as cursor:
        cursor.execute(_wallet_sql(connection.vendor, tuple(owners), bool(issuer_path)), params)
        values = cursor.fetchone()
    if values is None:
        return None
    width = len(_LICENCE.fields)
    licence = _LICENCE.build(values[:width], connection)
    Licence._meta.get_field("licence_type").set_cached_value(licence, _TYPE.build(values[width:], connection))
    return licence


class WalletProvider:
    """Finds a valid licence of the material's type held by the applicant (account or ID number).

    For the material that names the licence a 换发/注销 acts on (``subject_material``) only a licence
    issued by the entry's deciding organisation (or below it) counts: that organisation changes or
    cancels its own licences (律师法 §21, §22; 行政许可法 §49, §70)."""

    def find(self, application: Any, material: Any) -> Found | None:
        reference = (getattr(material, "satisfiable_by_licence_type", "") or "").strip()
        if not reference:
            return None
        person = application.applicant_person
        issuer = application.entry.deciding_organisation if subject_material(application, material) else None
        licence = usable_licence(
            reference,
            holder_id=application.applicant_id,
            id_number_index=person.id_number_index if person is not None else None,
            issuer_path=issuer.path if issuer is not None else None,
        )
        if licence is None:
            return None
        item = application.version.item.name
        reference = application.number or "（草稿）"
        record_use(
            licence,
            action="once_only",
            purpose=f"申请“{item}”（办件 {reference}）时作为材料“{material.name}”使用"[:200],
            user=application.submitted_by or application.applicant,
            organisation=application.accepting_organisation,
            application=application,
        )
        return Found(
            provenance=MaterialProvenance.LICENCE,
            source_reference=licence.identifier,
            source_label=f"来自电子证照库：{licence.name} {licence.number}（{licence.issuer_name}）",
            valid_until=licence.valid_until,
        )

    def held(self, application: Any) -> HeldLicence | None:
        """The one-licence rule at application (律师法 §10, :mod:`sifa.licences.one_per_holder`):
        for an item that issues a new licence of a one-per-holder type, the valid one the applicant
        already holds (one query); nothing is read for any other item."""
        version = application.version
        if (version.licence_effect or LicenceEffect.ISSUE) != LicenceEffect.ISSUE:
            return None
        spec = one_per_holder_type(version.result_name)
        if spec is None:
            return None
        licence = held_by_applicant(application, spec)
        if licence is None:
            return None
        return HeldLicence(
            name=licence.name,
            number=licence.number,
            issuer_name=licence.issuer_name,
            holder_name=licence.holder_name,
            reason=ONE_PER_HOLDER[spec.key],
            description=describe(licence),
        )
