"""The personal-data access log: who among staff read whose personal data, and why.

Each row is shown to the data subject (``/api/v1/me/access-log/``; 个人信息保护法 §6 目的限定).
A read is logged by the code that shows the data, in its request, through :func:`record_access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from sifa.audit.models import PersonalDataAccess
from sifa.audit.services.events import fit
from sifa.audit.subjects import check_type
from sifa.organisations.scope import Actor, actor_for, attributed_membership


def record_access(
    *,
    reader: Any,
    subject: Any,
    subject_ref: str,
    object_type: str,
    purpose: str,
    scope_path: str,
    actor: Actor | None = None,
    roles: Iterable[str] | None = None,
    from_below: Iterable[str] = (),
) -> PersonalDataAccess:
    """Log a staff read of someone's personal data (the subject can list these).

    ``subject`` is the subject's account (None for a walk-in person without one); ``purpose``
    is shown to the subject, so write it for them (e.g. "受理律师执业许可申请"). The organisation
    and role the read is credited to are decided here, by the one rule
    :func:`~sifa.organisations.scope.attributed_membership` over the reader's memberships
    (``actor``, built from ``reader`` when not given; ``roles`` and ``from_below`` as there): the
    membership nearest above the data, never an unrelated organisation. ``object_type`` is the
    kind of data read, named by the audit rule (``accounts.NaturalPerson``; registered in
    :data:`sifa.audit.subjects.OBJECT_TYPES`).
    """
    check_type(object_type)
    if not purpose or not str(purpose).strip():
        raise ValueError("a personal-data read needs a purpose (个人信息保护法 §6 目的限定)")
    grant = attributed_membership(
        actor if actor is not None else actor_for(reader), scope_path, roles=roles, from_below=from_below
    )
    return PersonalDataAccess.objects.create(
        subject=subject,
        subject_ref=fit(PersonalDataAccess, "subject_ref", subject_ref),
        reader=reader,
        reader_organisation_id=grant.organisation_id if grant else None,
        reader_role=fit(PersonalDataAccess, "reader_role", grant.role if grant else ""),
        purpose=fit(PersonalDataAccess, "purpose", str(purpose).strip()),
        object_type=fit(PersonalDataAccess, "object_type", object_type),
        accessed_at=timezone.now(),
        scope_path=scope_path,
    )
