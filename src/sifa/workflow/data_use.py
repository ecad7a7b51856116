"""数据使用记录查阅: a copy of one person's or organisation's data-use record, for staff to hand
them at their request (个人信息保护法第四十五条: 查阅、复制), above all to a walk-in without an
account, who cannot open 我的数据使用记录.

The record is the access log's rows about them (``audit.PersonalDataAccess``): the police
identity and criminal-record checks made for their applications (``subject_ref`` = their person
id), staff reads of their cases, documents and licences (``subject_ref`` = the case number or id,
the document's number or id, the licence's identifier), and, once they have an account, every row
of that account. Only the rows they would be shown themselves (public, and delayed ones once due),
and only those in the jurisdiction of the staff member asked (scoped in SQL,
:func:`sifa.audit.selectors.subject_data_use`): a window clerk (or a supervisor) of the
organisation that holds them.

They are identified as at the window: 姓名 + 公民身份号码, or 单位名称 + 统一社会信用代码. An
identifier that fails its check digit is a field error; a name that does not match, nobody on
record, or nobody with a row in the jurisdiction all get one answer (``data_use.not_found``), so
the page tells no one who is on record elsewhere. Each copy shown or printed is itself a read of
their data and is logged for them (``record_access``): they see it in their own record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sifa.accounts.models import LegalPerson, NaturalPerson
from sifa.accounts.services.registration import id_number_index
from sifa.applications.models import Application
from sifa.audit.models import PersonalDataAccess
from sifa.audit.selectors import subject_data_use
from sifa.audit.services import record_access
from sifa.core.errors import NotFound, ServiceError
from sifa.core.identifiers import IdentifierError, parse_id_number, validate_uscc
from sifa.documents.models import Document
from sifa.licences.models import Licence
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor

PERSON, COMPANY = "person", "company"
KINDS = [(PERSON, "自然人"), (COMPANY, "法人或其他组织")]
ROLES = (Role.WINDOW_CLERK, Role.SUPERVISOR)
"""Who hands out the copy: the window (受理窗口) and the organisation's supervisors (监督人员)."""
NOT_FOUND = "在您的管辖范围内没有与该姓名（名称）和证件号码相符的数据使用记录，请核对后重试"
MAX_ROWS = 500
"""A copy lists at most this many rows, newest first (the page says when there are more)."""


@dataclass(frozen=True)
class Party:
    """The person or organisation the copy is for, as found by their identifier."""

    kind: str
    pk: Any
    name: str
    identifier_masked: str
    user_id: int | None
    user: Any


def may_look_up(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*ROLES)


def find_party(kind: str, name: str, identifier: str) -> Party:
    """The person (姓名 + 公民身份号码) or organisation (名称 + 统一社会信用代码) on record.

    A malformed identifier (format, check digit, birth date) is ``ServiceError`` with the field's
    error; a name that does not match or nobody on record is ``NotFound`` (``data_use.not_found``)."""
    name = " ".join(str(name or "").split())
    try:
        if kind == COMPANY:
            field = "uscc"
            code = validate_uscc(str(identifier or ""))
            company = LegalPerson.objects.select_related("user").filter(uscc=code).first()
            if company is not None and company.name == name:
                return Party(COMPANY, company.pk, company.name, company.uscc, company.user_id, company.user)
        else:
            field = "id_number"
            parsed = parse_id_number(str(identifier or "").strip().upper())
            index = id_number_index(parsed.value)
            person = NaturalPerson.objects.select_related("user").filter(id_number_index=index).first()
            if person is not None and person.name == name:
                return Party(
                    PERSON, person.pk, person.name, person.id_number_masked, person.user_id, person.user
                )
    except IdentifierError as exc:
        raise ServiceError(
            exc.code, exc.message, errors=[{"field": field, "code": exc.code, "message": exc.message}]
        ) from None
    raise NotFound(NOT_FOUND, code="data_use.not_found")


def _refs(party: Party) -> list[str]:
    """What the party's rows name them by: their id, their applications (number or draft id),
    the documents issued on those applications, the licences they led to."""
    owner = {"applicant_company_id": party.pk} if party.kind == COMPANY else {"applicant_person_id": party.pk}
    refs = [str(party.pk)]
    numbers = []
    for pk, number in Application.objects.filter(**owner).values_list("pk", "number"):
        refs.append(str(pk))
        if number:
            refs.append(number)
            numbers.append(number)
    if numbers:
        for number, public_id in Document.objects.filter(
            related_type="application", related_id__in=numbers
        ).values_list("number", "public_id"):
            refs.append(number or str(public_id))
        refs.extend(
            Licence.objects.filter(application__number__in=numbers).values_list("identifier", flat=True)
        )
    return refs


def rows_for(actor: Actor, party: Party) -> Any:
    """The party's data-use rows in ``actor``'s jurisdiction (a queryset, newest first)."""
    return subject_data_use(
        actor,
        refs=_refs(party),
        subject_id=party.user_id,
        roles=ROLES,
        upward_roles=(Role.WINDOW_CLERK,),
    )


def _read_at(actor: Actor, party: Party, rows: list[PersonalDataAccess]) -> str:
    """Where the copy is credited: the reader's own window (or supervising organisation) nearest
    the newest row; the newest row's organisation for a superuser."""
    mine = actor.paths_for(ROLES)
    for row in rows:
        for path in sorted(mine, key=len, reverse=True):
            if row.scope_path.startswith(path) or path.startswith(row.scope_path):
                return path
    return mine[0] if mine else rows[0].scope_path


def copy_for(
    actor: Actor, reader: Any, party: Party, *, reason: str, printed: bool = False
) -> dict[str, Any]:
    """Read the party's record for a copy: the rows (at most :data:`MAX_ROWS`) and whether there
    are more. Nothing in the jurisdiction is ``NotFound`` (the same answer as nobody on record).
    The read is logged for the party (``record_access``; ``printed``: the PDF copy handed over),
    after the rows are read, so the copy lists the reads before it."""
    if not may_look_up(actor):
        raise NotFound()
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ServiceError(
            "data_use.reason",
            "请填写申请事由",
            errors=[{"field": "reason", "code": "data_use.reason", "message": "请填写申请事由"}],
        )
    rows = list(rows_for(actor, party)[: MAX_ROWS + 1])
    if not rows:
        raise NotFound(NOT_FOUND, code="data_use.not_found")
    what = "打印数据使用记录副本" if printed else "查阅数据使用记录"
    purpose = f"{reason}：{what}（个人信息保护法第四十五条）"
    read = {
        "reader": reader,
        "actor": actor,
        "subject": party.user,
        "subject_ref": str(party.pk),
        "purpose": purpose,
        "scope_path": _read_at(actor, party, rows),
        "roles": ROLES,
    }
    if party.kind == COMPANY:  # the object type stays a literal at each call (audit.subjects' rule)
        record_access(object_type="accounts.LegalPerson", **read)
    else:
        record_access(object_type="accounts.NaturalPerson", **read)
    return {"rows": rows[:MAX_ROWS], "more": len(rows) > MAX_ROWS}


def look_up(
    actor: Actor, reader: Any, *, kind: str, name: str, identifier: str, reason: str, printed: bool = False
) -> tuple[Party, dict[str, Any]]:
    """The party and their copy, as the workbench page and ``POST /api/v1/window/data-use/`` ask
    for it: :func:`find_party`, then :func:`copy_for` (logged for the party). Someone who may not
    look records up gets ``NotFound`` before their identifier is even parsed."""
    if not may_look_up(actor):
        raise NotFound()
    party = find_party(kind, name, identifier)
    return party, copy_for(actor, reader, party, reason=reason, printed=printed)


__all__ = [
    "COMPANY",
    "KINDS",
    "MAX_ROWS",
    "NOT_FOUND",
    "PERSON",
    "ROLES",
    "Party",
    "copy_for",
    "find_party",
    "look_up",
    "may_look_up",
]
