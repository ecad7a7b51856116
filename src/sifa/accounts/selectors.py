"""Reads of accounts and their personal data, always through the caller's data scope.

Out-of-scope and unknown rows are the same thing to a caller: :class:`NotFound` (never 403,
which would confirm that the row exists). Full identifiers are decrypted only for staff who
hold a case-handling role over the row, and each such read is logged for the data subject.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from sifa.accounts.models import LegalPerson, Mandate, MandateStatus, NaturalPerson, User
from sifa.accounts.services.registration import id_number_index
from sifa.audit import services as audit
from sifa.core.errors import NotFound
from sifa.core.identifiers import normalize_id_number
from sifa.organisations.models import Membership, Role
from sifa.organisations.scope import Actor, scoped

FULL_IDENTIFIER_ROLES = (Role.WINDOW_CLERK, Role.REVIEWER, Role.DECISION_MAKER)
"""Roles whose work needs the full 公民身份号码 and phone (accepting, reviewing, deciding)."""

DEFAULT_PURPOSE = "办理业务"


def _get(queryset: QuerySet, pk: object):
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        raise NotFound() from None
    row = queryset.filter(pk=key).first()
    if row is None:
        raise NotFound()
    return row


def persons(actor: Actor, *, id_number: str = "") -> QuerySet[NaturalPerson]:
    queryset = NaturalPerson.objects.select_related("region", "user").order_by("-created_at", "id")
    if id_number:
        queryset = queryset.filter(id_number_index=id_number_index(normalize_id_number(id_number)))
    return scoped(queryset, actor)


def person(actor: Actor, pk: object) -> NaturalPerson:
    return _get(persons(actor), pk)


def companies(actor: Actor, *, uscc: str = "") -> QuerySet[LegalPerson]:
    queryset = LegalPerson.objects.select_related("region", "user").order_by("-created_at", "id")
    if uscc:
        queryset = queryset.filter(uscc=uscc.strip().upper())
    return scoped(queryset, actor)


def company(actor: Actor, pk: object) -> LegalPerson:
    return _get(companies(actor), pk)


def mandates(actor: Actor) -> QuerySet[Mandate]:
    queryset = Mandate.objects.select_related("principal", "agent").order_by("-created_at", "id")
    return scoped(queryset, actor)


def mandate(actor: Actor, pk: object) -> Mandate:
    return _get(mandates(actor), pk)


def full_identifier_membership(actor: Actor, scope_path: str) -> tuple[int, str] | None:
    """(organisation id, role) of a case-handling membership whose subtree holds ``scope_path``."""
    wanted = {str(r) for r in FULL_IDENTIFIER_ROLES}
    for organisation_id, path, role in actor.memberships:
        if role in wanted and scope_path.startswith(path):
            return organisation_id, role
    return None


def reveal_person(actor: Actor, reader: User, row: NaturalPerson, *, purpose: str) -> dict[str, str] | None:
    """The full identifiers for an authorised staff reader, logged as a personal-data access.

    ``None`` when the reader may see the row but not the full identifiers (masked view only).
    """
    grant = full_identifier_membership(actor, row.scope_path)
    if grant is None:
        return None
    organisation_id, role = grant
    audit.record_access(
        reader=reader,
        subject=row.user,
        subject_ref=str(row.id),
        object_type="accounts.NaturalPerson",
        purpose=(purpose or DEFAULT_PURPOSE)[:200],
        scope_path=row.scope_path,
        reader_organisation=Membership.objects.get(
            user_id=reader.pk, organisation_id=organisation_id, role=role
        ).organisation,
        reader_role=role,
    )
    return {"id_number": row.reveal_id_number(), "phone": row.user.reveal_phone() if row.user else ""}


def mandate_allows(agent: User, principal: User, item_code: str, on_date: dt.date) -> bool:
    """Whether ``agent`` may act for ``principal`` on item ``item_code`` on ``on_date``.

    A mandate in force that day with an empty scope covers every item. The scope is checked in
    Python: SQLite has no JSON containment lookup, and a principal has only a few mandates.
    """
    rows = Mandate.objects.filter(
        agent=agent,
        principal=principal,
        status=MandateStatus.ACTIVE,
        valid_from__lte=on_date,
        valid_until__gte=on_date,
    ).values_list("scope", flat=True)
    return any(not scope or item_code in scope for scope in rows)
