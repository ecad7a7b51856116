"""The real ``LicenceWalletProvider`` for once-only (国务院令716 §7): a material the catalogue marks
``satisfiable_by_licence_type`` is taken from the applicant's e-licence wallet instead of asked for.

Registered in ``LicencesConfig.ready`` with ``registry.replace("licence", WalletProvider())``.
Each match is logged as a :class:`~sifa.licences.models.LicenceUse`, so the holder sees which
application used their licence.
"""

from __future__ import annotations

from typing import Any

from sifa.applications.models import MaterialProvenance
from sifa.applications.onceonly import Found, subject_material
from sifa.licences.selectors import usable_wallet_licence
from sifa.licences.services import record_use
from sifa.licences.types import type_for


class WalletProvider:
    """Finds a valid licence of the material's type held by the applicant (account or ID number).

    For the material that names the licence a 换发/注销 acts on (``subject_material``) only a licence
    issued by the entry's deciding organisation (or below it) counts: that organisation changes or
    cancels its own licences (律师法 §21, §22; 行政许可法 §49, §70)."""

    def find(self, application: Any, material: Any) -> Found | None:
        licence_type = type_for(getattr(material, "satisfiable_by_licence_type", ""))
        if licence_type is None:
            return None
        person = application.applicant_person
        issuer = application.entry.deciding_organisation if subject_material(application, material) else None
        licence = usable_wallet_licence(
            licence_type.pk,
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
