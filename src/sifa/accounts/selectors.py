"""Reads of accounts and their personal data, always through the caller's data scope.

Out-of-scope and unknown rows are the same thing to a caller: :class:`NotFound` (never 403,
which would confirm that the row exists). Full identifiers are decrypted only for staff who
hold a case-handling role over the row, and each such read is logged for the data subject.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet

from sifa.accounts import consents
from sifa.accounts.models import (
    AccountKind,
    ConsentRecord,
    LegalPerson,
    Mandate,
    MandateStatus,
    NaturalPerson,
    User,
)
from sifa.accounts.services.mandates import item_names as item_names  # names of a mandate's items
from sifa.accounts.services.registration import id_number_index
from sifa.audit import services as audit
from sifa.core.db import FixedRows, PreparedQuery, fixed_cursor
from sifa.core.errors import NotFound, ServiceError
from sifa.core.identifiers import IdentifierError, normalize_id_number, parse_id_number, validate_uscc
from sifa.organisations.models import Membership, Organisation, Region, Role
from sifa.organisations.scope import Actor, attributed_membership, scoped

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


def log_company_read(actor: Actor, reader: User, row: LegalPerson, *, purpose: str) -> None:
    """A staff member opened a company's record (name, USCC, representative, address): the
    company sees who did in 我的数据使用记录, as a person does for :func:`reveal_person`."""
    if not actor.is_staff_actor:
        return
    audit.record_access(
        reader=reader,
        actor=actor,
        subject=row.user,
        subject_ref=str(row.id),
        object_type="accounts.LegalPerson",
        purpose=(purpose or DEFAULT_PURPOSE)[:200],
        scope_path=row.scope_path,
    )


def mandates(actor: Actor) -> QuerySet[Mandate]:
    queryset = Mandate.objects.select_related("principal", "agent").order_by("-created_at", "id")
    return scoped(queryset, actor)


_NO_USER = -(2**31) + 7
"""A user id no account has: the marker of the caller's id in :data:`_OWN_MANDATES`."""

_OWN_MANDATES = PreparedQuery(
    lambda user_id: mandates(Actor(user_id=user_id)).filter(Q(principal_id=user_id) | Q(agent_id=user_id)),
    _NO_USER,
)
"""The caller's own mandates as :func:`own_mandates` reads them for an account without memberships
(a citizen's or a company's ``GET /api/v1/me/``), compiled once: the scope of such an actor is its
own rows only (``scope.scoped``: the rule's owners), so the statement is the same for every one."""


def own_mandates(actor: Actor, user: User) -> tuple[list[Mandate], list[Mandate]]:
    """The mandates ``user`` gave and received that ``actor`` may read, each list in
    :func:`mandates`' order: one scoped statement for both (a mandate given to oneself is in both).

    For the account itself without memberships (its scope: its own rows) the statement compiled
    once (:data:`_OWN_MANDATES`), the same SQL, values and instances as the queryset gives."""
    if (
        actor.user_id == user.pk
        and actor.user_id is not None
        and not actor.is_superuser
        and not actor.memberships
    ):
        rows = _OWN_MANDATES.rows(user.pk)
    else:
        rows = list(mandates(actor).filter(Q(principal_id=user.pk) | Q(agent_id=user.pk)))
    return (
        [row for row in rows if row.principal_id == user.pk],
        [row for row in rows if row.agent_id == user.pk],
    )


def mandate(actor: Actor, pk: object) -> Mandate:
    return _get(mandates(actor), pk)


def reveal_person(actor: Actor, reader: User, row: NaturalPerson, *, purpose: str) -> dict[str, str] | None:
    """The full identifiers for an authorised staff reader, logged as a personal-data access.

    ``None`` when the reader may see the row but not the full identifiers (masked view only).
    """
    if attributed_membership(actor, row.scope_path, roles=FULL_IDENTIFIER_ROLES) is None:
        return None
    audit.record_access(
        reader=reader,
        actor=actor,
        subject=row.user,
        subject_ref=str(row.id),
        object_type="accounts.NaturalPerson",
        purpose=(purpose or DEFAULT_PURPOSE)[:200],
        scope_path=row.scope_path,
        roles=FULL_IDENTIFIER_ROLES,
    )
    return {"id_number": row.reveal_id_number(), "phone": row.user.reveal_phone() if row.user else ""}


def mandate_for(agent: User, principal: User, item_codes: Iterable[str], on_date: dt.date) -> Mandate | None:
    """The mandate in force on ``on_date`` under which ``agent`` may act for ``principal`` on any
    of ``item_codes`` (an item's own basic code and its parent's), or None.

    A mandate with an empty scope covers every item. The scope is checked in Python: SQLite has
    no JSON containment lookup, and a principal has only a few mandates.
    """
    codes = set(item_codes)
    rows = Mandate.objects.filter(
        agent=agent,
        principal=principal,
        status=MandateStatus.ACTIVE,
        valid_from__lte=on_date,
        valid_until__gte=on_date,
    ).order_by("valid_until", "created_at")
    return next((m for m in rows if not m.scope or codes & set(m.scope)), None)


def mandate_allows(agent: User, principal: User, item_code: str, on_date: dt.date) -> bool:
    """Whether ``agent`` may act for ``principal`` on item ``item_code`` on ``on_date``."""
    return mandate_for(agent, principal, [item_code], on_date) is not None


def principals_for(agent: User, item_codes: Iterable[str], on_date: dt.date) -> list[tuple[User, Mandate]]:
    """The principals ``agent`` may act for on these items today, each with the mandate."""
    codes = set(item_codes)
    rows = (
        Mandate.objects.filter(
            agent=agent,
            status=MandateStatus.ACTIVE,
            valid_from__lte=on_date,
            valid_until__gte=on_date,
            principal__is_active=True,
        )
        .select_related("principal")
        .order_by("principal__display_name", "valid_until", "created_at")
    )
    found: dict[int, tuple[User, Mandate]] = {}
    for mandate in rows:
        if (not mandate.scope or codes & set(mandate.scope)) and mandate.principal_id not in found:
            found[mandate.principal_id] = (mandate.principal, mandate)
    return list(found.values())


def mandate_state(mandate: Mandate, on_date: dt.date) -> tuple[str, str]:
    """(state, label) as a person reads it: 有效, 未生效, 已过期 or 已撤销."""
    if mandate.status == MandateStatus.REVOKED:
        return "revoked", "已撤销"
    if mandate.valid_until < on_date:
        return "expired", "已过期"
    if mandate.valid_from > on_date:
        return "pending", "未生效"
    return "active", "有效"


AGENT_NOT_FOUND = "未找到名称与证件号码相符的注册账户，请核对，或请受托人先在本平台注册"


def agent_by_identity(*, kind: str, name: str, identifier: str, field: str = "agent_identifier") -> User:
    """The agent account named on a 委托书: a person by 姓名 + 公民身份号码, a company (e.g. a law
    firm) by 名称 + 统一社会信用代码. Both must match a registered account; every miss (unknown
    number, other name, no account) gets the same answer, so nobody can probe who is registered."""
    try:
        if kind == AccountKind.COMPANY:
            code = validate_uscc(identifier)
            row = LegalPerson.objects.select_related("user").filter(uscc=code, user__isnull=False).first()
        else:
            parsed = parse_id_number(identifier)
            row = (
                NaturalPerson.objects.select_related("user")
                .filter(id_number_index=id_number_index(parsed.value), user__isnull=False)
                .first()
            )
    except IdentifierError as exc:
        raise ServiceError(
            exc.code, exc.message, errors=[{"field": field, "code": exc.code, "message": exc.message}]
        ) from None
    if row is None or row.name != (name or "").strip() or not row.user.is_active:
        raise ServiceError(
            "mandate.agent_not_found",
            AGENT_NOT_FOUND,
            errors=[{"field": field, "code": "mandate.agent_not_found", "message": AGENT_NOT_FOUND}],
        )
    return row.user


# --- consents (个人信息保护法 §14, §15, §29) ----------------------------------------------------------


def my_consents(user: User) -> QuerySet:
    """The consents ``user`` gave, newest first (their own rows only: no id to forge)."""
    return ConsentRecord.objects.filter(user=user).order_by("-given_at", "-id")


def consent_rows(user: User) -> list[dict]:
    """Each of ``user``'s consents with the exact text they saw and what withdrawing does."""
    rows = []
    for record in my_consents(user):
        text = consents.text_of(record.code, record.version)
        rows.append(
            {
                "id": record.pk,
                "code": record.code,
                "version": record.version,
                "title": text.title if text else record.code,
                "text": text.text if text else "",
                "legal_basis": text.legal_basis if text else "",
                "object_ref": record.object_ref,
                "given_at": record.given_at,
                "channel": record.channel,
                "channel_display": record.get_channel_display(),
                "withdrawn_at": record.withdrawn_at,
                "withdrawable": bool(text and text.withdrawable and not text.per_application),
                "per_application": bool(text and text.per_application),
                "withdrawal_consequence": text.withdrawal_consequence if text else "",
            }
        )
    return rows


def has_withdrawn(user: User, code: str) -> bool:
    """Whether ``user``'s latest account-wide consent ``code`` is withdrawn. An account that never
    recorded one (registered before consents were recorded, or at a window) is not refused."""
    latest = my_consents(user).filter(code=code, object_ref="").first()
    return latest is not None and latest.withdrawn_at is not None


# --- the caller's own account (GET /api/v1/me/) ----------------------------------------------------
# Read on every API client's start: fixed SQL over the columns the answer shows, no ORM query built
# per request (docs/performance.md, "2026-12-06: me"). The caller's own data, so no scope and no
# access-log row (docs/audit.md: the access log records staff reads of other people's data).

_MEMBERSHIP_COLUMNS = FixedRows(Membership, "role")
_MEMBERSHIP_ORGANISATIONS = FixedRows(Organisation, "id", "name", "level", "path", "region")
_PERSON_COLUMNS = FixedRows(NaturalPerson, "id", "name", "id_number_masked")
_PERSON_REGIONS = FixedRows(Region, "code", "name")
OWN_ACCOUNT_WIDTH = 11
"""Columns of :func:`own_account_sql`: role, organisation × 5, person × 3, region × 2."""


def own_account_sql(user_alias: str) -> tuple[str, str, str]:
    """Columns, joins and ordering that add the memberships and the natural person of the account
    ``user_alias`` to a statement: one row per membership (by organisation path and role; one row
    with empty membership columns when there is none), the person's columns on each row."""
    q = connection.ops.quote_name
    columns = ", ".join(
        (
            _MEMBERSHIP_COLUMNS.columns("m"),
            _MEMBERSHIP_ORGANISATIONS.columns("o"),
            _PERSON_COLUMNS.columns("p"),
            _PERSON_REGIONS.columns("r"),
        )
    )
    user_id = f"{q(user_alias)}.{q(User._meta.pk.column)}"
    joins = (
        f"LEFT OUTER JOIN {q(Membership._meta.db_table)} m ON m.{q('user_id')} = {user_id} "
        f"LEFT OUTER JOIN {q(Organisation._meta.db_table)} o ON o.{q('id')} = m.{q('organisation_id')} "
        f"LEFT OUTER JOIN {q(NaturalPerson._meta.db_table)} p ON p.{q('user_id')} = {user_id} "
        f"LEFT OUTER JOIN {q(Region._meta.db_table)} r ON r.{q('code')} = p.{q('region_id')}"
    )
    return columns, joins, f"ORDER BY o.{q('path')} ASC, m.{q('role')} ASC"


_OWN_STATEMENTS: dict[str, str] = {}


def _own_statement() -> str:
    found = _OWN_STATEMENTS.get(connection.vendor)
    if found is None:
        q = connection.ops.quote_name
        columns, joins, order = own_account_sql("u")
        found = _OWN_STATEMENTS[connection.vendor] = (
            f"SELECT {columns} FROM {q(User._meta.db_table)} u {joins} "  # noqa: S608 (names from the models)
            f"WHERE u.{q(User._meta.pk.column)} = %s {order}"
        )
    return found


@functools.cache
def _role_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Role.choices}


def own_account_from(rows, connection=connection) -> tuple[list[dict], dict | None, dict | None]:
    """Memberships, person and region from the rows of :func:`own_account_sql`'s columns."""
    role_labels = _role_labels()
    memberships: list[dict] = []
    for row in rows:
        if row[0] is None:
            continue  # no membership
        (role,) = _MEMBERSHIP_COLUMNS.convert(row[0:1], connection)
        org_id, name, level, path, region_code = _MEMBERSHIP_ORGANISATIONS.convert(row[1:6], connection)
        memberships.append(
            {
                "organisation": {
                    "id": org_id,
                    "name": name,
                    "level": level,
                    "path": path,
                    "region_code": region_code,
                },
                "role": role,
                "role_display": role_labels.get(role, role),
            }
        )
    first = rows[0] if rows else None
    if first is None or first[6] is None:
        return memberships, None, None
    person_id, name, id_number_masked = _PERSON_COLUMNS.convert(first[6:9], connection)
    code, region_name = _PERSON_REGIONS.convert(first[9:11], connection)
    person = {"id": str(person_id), "name": name, "id_number_masked": id_number_masked}
    return memberships, person, {"code": code, "name": region_name}


def own_account(user: User) -> tuple[list[dict], dict | None, dict | None]:
    """The caller's memberships with their organisations (by organisation path and role), and
    their natural person (id, name, masked 公民身份号码) with its region, or ``None, None``."""
    with fixed_cursor(connection) as cursor:
        cursor.execute(_own_statement(), [user.pk])
        rows = cursor.fetchall()
    return own_account_from(rows)
