"""The personal-data access log: who among staff read whose personal data, and why.

Each row is shown to the data subject (``/api/v1/me/access-log/``; 个人信息保护法 §6 目的限定).
A read is logged by the code that shows the data, in its request, through :func:`record_access`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sifa.audit.models import PersonalDataAccess
from sifa.audit.services.events import fit


def record_access(
    *,
    reader: Any,
    subject: Any,
    subject_ref: str,
    object_type: str,
    purpose: str,
    scope_path: str,
    reader_organisation: Any = None,
    reader_role: str = "",
) -> PersonalDataAccess:
    """Log a staff read of someone's personal data (the subject can list these).

    ``subject`` is the subject's account (None for a walk-in person without one); ``purpose``
    is shown to the subject, so write it for them (e.g. "受理律师执业许可申请").
    """
    if not purpose or not str(purpose).strip():
        raise ValueError("a personal-data read needs a purpose (个人信息保护法 §6 目的限定)")
    return PersonalDataAccess.objects.create(
        subject=subject,
        subject_ref=fit(PersonalDataAccess, "subject_ref", subject_ref),
        reader=reader,
        reader_organisation=reader_organisation,
        reader_role=fit(PersonalDataAccess, "reader_role", reader_role),
        purpose=fit(PersonalDataAccess, "purpose", str(purpose).strip()),
        object_type=fit(PersonalDataAccess, "object_type", object_type),
        accessed_at=timezone.now(),
        scope_path=scope_path,
    )
