"""Writing the licence types (``sifa load-licence-types``): idempotent, atomic and audited."""

from __future__ import annotations

from django.db import transaction

from sifa.audit.services import record
from sifa.core.licence_ids import licence_type_code
from sifa.licences.models import LicenceType
from sifa.licences.types import TYPES, ministry


def load_licence_types() -> tuple[int, int]:
    """Create or update every type of :data:`sifa.licences.types.TYPES`; return (created, updated).

    A run that changes something records one ``licence.types_loaded`` event naming the types; a
    second run reads, compares and writes nothing.
    """
    definer = ministry()
    created: list[str] = []
    updated: list[str] = []
    with transaction.atomic():
        for spec in TYPES:
            values = {
                "code": licence_type_code(definer.uscc, spec.sequence),
                "name": spec.name,
                "definer_name": definer.name,
                "definer_uscc": definer.uscc,
                "holder_kind": spec.holder_kind,
                "validity_years": spec.validity_years,
                "result_names": list(spec.result_names),
                "legal_basis": spec.legal_basis,
            }
            row = LicenceType.objects.filter(key=spec.key).first()
            if row is None:
                LicenceType.objects.create(key=spec.key, **values)
                created.append(spec.key)
            elif any(getattr(row, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(row, field, value)
                row.save()
                updated.append(spec.key)
        if created or updated:
            record(
                "licence.types_loaded",
                organisation=definer,
                subject=LicenceType,  # a batch: the keys are in the detail
                scope_path=definer.path,
                detail={"created": created, "updated": updated},
            )
    return len(created), len(updated)
