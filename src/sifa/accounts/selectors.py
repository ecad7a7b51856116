"""Reads of accounts and their personal data, always through the caller's data scope.

Out-of-scope and unknown rows are the same thing to a caller: :class:`NotFound` (never 403,
which would confirm that the row exists). Full identifiers are decrypted only for staff who
hold a case-handling role over the row, and each such read is logged for the data subject.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

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
from sifa.core.db import FixedRows, fixed_cursor
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


def own_mandates(user: User, mine: list[Mandate]) -> tuple[list[Mandate], list[Mandate]]:
    """The mandates ``user`` gave and received, of ``mine`` (:func:`own_account`'s, in
    :func:`mandates`' order): a mandate given to oneself would be in both."""
    return (
        [row for row in mine if row.principal_id == user.pk],
        [row for row in mine if row.agent_id == user.pk],
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
_MANDATE_COLUMNS = FixedRows(
    Mandate,
    "id",
    "principal",
    "agent",
    "scope",
    "valid_from",
    "valid_until",
    "document_reference",
    "status",
    "created_at",
)
_PARTY_COLUMNS = FixedRows(User, "id", "public_id", "kind", "display_name")
"""What ``MandateSerializer`` reads of a mandate and of its principal and agent (the principal's and
the agent's ids are the mandate's own columns); the rest deferred."""
OWN_ACCOUNT_WIDTH = 12
"""Columns of :func:`own_account_sql`: role, organisation × 5, person × 3, region × 2, mandates."""


def _own_mandates_sql(user_alias: str) -> str:
    """The mandates the account ``user_alias`` gave or received, as one JSON array of one
    array per mandate (:data:`_MANDATE_COLUMNS`, then the principal's and the agent's
    :data:`_PARTY_COLUMNS` but their ids), for an account that is not staff's (``NULL`` for staff,
    whose ``me`` shows none; ``[]`` for none). Scoped in the statement: a caller reads its own
    mandates only — the owners' rule of ``scope.register(Mandate, owners=("principal", "agent"))``, which is all that
    ``scoped(…, actor_for(caller))`` leaves of the caller's mandates for any actor that is the caller
    (its subtree adds none the owners' rule does not give). Unordered: :func:`own_account_from`
    sorts them as :func:`mandates` orders them."""
    q = connection.ops.quote_name
    mandate, user = Mandate._meta, User._meta
    user_id = f"{q(user_alias)}.{q(user.pk.column)}"
    principal, agent = mandate.get_field("principal").column, mandate.get_field("agent").column
    party = [f.column for f in _PARTY_COLUMNS.fields[1:]]
    values = [f"md.{q(f.column)}" for f in _MANDATE_COLUMNS.fields]
    values += [f"pu.{q(column)}" for column in party] + [f"au.{q(column)}" for column in party]
    if connection.vendor == "postgresql":
        # The JSON column as its text (what the connection gives for it), the rest as ``to_json``
        # writes them (UUIDs, dates and the instant parsed back by ``_mandate_rows``).
        scope = mandate.get_field("scope").column
        values = [f"{v}::text" if v == f"md.{q(scope)}" else v for v in values]
        aggregate, array = "json_agg", "json_build_array"
    else:
        aggregate, array = "json_group_array", "json_array"
    staff = AccountKind.STAFF.value  # a constant of the code, written into the statement
    return (
        f"CASE WHEN {q(user_alias)}.{q(user.get_field('kind').column)} <> '{staff}' THEN "  # noqa: S608 (names from the models)
        f"COALESCE((SELECT {aggregate}({array}({', '.join(values)})) "
        f"FROM {q(mandate.db_table)} md "
        f"INNER JOIN {q(user.db_table)} pu ON pu.{q(user.pk.column)} = md.{q(principal)} "
        f"INNER JOIN {q(user.db_table)} au ON au.{q(user.pk.column)} = md.{q(agent)} "
        f"WHERE md.{q(principal)} = {user_id} OR md.{q(agent)} = {user_id}), '[]') END"
    )


def own_account_sql(user_alias: str, with_mandates: bool = True) -> tuple[str, str, str]:
    """Columns, joins and ordering that add the memberships, the natural person and (``with_mandates``)
    the mandates of the account ``user_alias`` to a statement: one row per membership (by
    organisation path and role; one row with empty membership columns when there is none), the
    person's columns and the mandates (:func:`_own_mandates_sql`) on each row. Without the mandates
    for an account known to be staff's: on PostgreSQL their subquery's plan costs every execution
    its start-up (≈ 24 µs of the server's CPU, docs/performance.md, "session 15: me") even where
    the ``CASE`` never runs it."""
    q = connection.ops.quote_name
    user_id = f"{q(user_alias)}.{q(User._meta.pk.column)}"
    parts = [
        _MEMBERSHIP_COLUMNS.columns("m"),
        _MEMBERSHIP_ORGANISATIONS.columns("o"),
        _PERSON_COLUMNS.columns("p"),
        _PERSON_REGIONS.columns("r"),
    ]
    if with_mandates:
        parts.append(_own_mandates_sql(user_alias))
    columns = ", ".join(parts)
    joins = (
        f"LEFT OUTER JOIN {q(Membership._meta.db_table)} m ON m.{q('user_id')} = {user_id} "
        f"LEFT OUTER JOIN {q(Organisation._meta.db_table)} o ON o.{q('id')} = m.{q('organisation_id')} "
        f"LEFT OUTER JOIN {q(NaturalPerson._meta.db_table)} p ON p.{q('user_id')} = {user_id} "
        f"LEFT OUTER JOIN {q(Region._meta.db_table)} r ON r.{q('code')} = p.{q('region_id')}"
    )
    return columns, joins, f"ORDER BY o.{q('path')} ASC, m.{q('role')} ASC"


_OWN_STATEMENTS: dict[tuple[str, bool], str] = {}


def _own_statement(with_mandates: bool) -> str:
    found = _OWN_STATEMENTS.get((connection.vendor, with_mandates))
    if found is None:
        q = connection.ops.quote_name
        columns, joins, order = own_account_sql("u", with_mandates)
        found = _OWN_STATEMENTS[connection.vendor, with_mandates] = (
            f"SELECT {columns} FROM {q(User._meta.db_table)} u {joins} "  # noqa: S608 (names from the models)
            f"WHERE u.{q(User._meta.pk.column)} = %s {order}"
        )
    return found


def own_mandate_rows(user: User) -> list[Mandate]:
    """The mandates ``user`` gave or received, read alone (:func:`_own_mandates_sql`): for an
    account read without them (``own_account_from(…, with_mandates=False)``) that is not staff's."""
    q = connection.ops.quote_name
    with fixed_cursor(connection) as cursor:
        cursor.execute(
            f"SELECT {_own_mandates_sql('u')} FROM {q(User._meta.db_table)} u "  # noqa: S608 (names from the models)
            f"WHERE u.{q(User._meta.pk.column)} = %s",
            [user.pk],
        )
        rows = cursor.fetchall()
    return (_mandate_rows(rows[0][0], connection) if rows else None) or []


@functools.cache
def _role_labels() -> dict[str, str]:
    return {value: str(label) for value, label in Role.choices}


Account = tuple[list[dict], dict | None, dict | None, list[Mandate] | None]
"""The caller's memberships, natural person, its region and mandates (``None`` for staff, or when
not read: :func:`own_mandate_rows` reads them then)."""

_UUID_AT = (0, 9, 12)
_DATES_AT = (4, 5)
_INSTANT_AT = 8
"""Where :func:`_own_mandates_sql`'s arrays hold a UUID, a date and an instant: on PostgreSQL
written by ``to_json`` as text, made here what the connection gives for the column."""


def _mandate_rows(value, connection) -> list[Mandate] | None:
    """The mandates of :func:`_own_mandates_sql`'s column, each with its principal and agent, in
    :func:`mandates`' order (newest first, then by id, as the database orders instants and UUIDs:
    compared as ``datetime`` and ``uuid.UUID`` here); ``None`` for staff."""
    if value is None:
        return None
    arrays = json.loads(value) if isinstance(value, str) else value
    found = []
    postgresql = connection.vendor == "postgresql"
    width = len(_MANDATE_COLUMNS.fields)
    for array in arrays:
        if postgresql:
            for index in _UUID_AT:
                array[index] = uuid.UUID(array[index])
            for index in _DATES_AT:
                array[index] = dt.date.fromisoformat(array[index])
            array[_INSTANT_AT] = dt.datetime.fromisoformat(array[_INSTANT_AT])
        mandate = _MANDATE_COLUMNS.build(array[:width], connection)
        principal = _PARTY_COLUMNS.build([mandate.principal_id, *array[width : width + 3]], connection)
        agent = _PARTY_COLUMNS.build([mandate.agent_id, *array[width + 3 : width + 6]], connection)
        _MANDATE_PRINCIPAL.set_cached_value(mandate, principal)
        _MANDATE_AGENT.set_cached_value(mandate, agent)
        found.append(mandate)
    found.sort(key=lambda mandate: mandate.id)
    found.sort(key=lambda mandate: mandate.created_at, reverse=True)
    return found


_MANDATE_PRINCIPAL = Mandate._meta.get_field("principal")
_MANDATE_AGENT = Mandate._meta.get_field("agent")


def own_account_from(rows, connection=connection, with_mandates: bool = True) -> Account:
    """Memberships, person, region and mandates from the rows of :func:`own_account_sql`'s columns
    (the mandates ``None`` when not read: ``with_mandates`` false)."""
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
    if first is None:
        return memberships, None, None, None
    mine = _mandate_rows(first[11], connection) if with_mandates else None
    if first[6] is None:
        return memberships, None, None, mine
    person_id, name, id_number_masked = _PERSON_COLUMNS.convert(first[6:9], connection)
    code, region_name = _PERSON_REGIONS.convert(first[9:11], connection)
    person = {"id": str(person_id), "name": name, "id_number_masked": id_number_masked}
    return memberships, person, {"code": code, "name": region_name}, mine


def own_account(user: User) -> Account:
    """The caller's memberships with their organisations (by organisation path and role), their
    natural person (id, name, masked 公民身份号码) with its region, or ``None, None``, and the
    mandates they gave or received (``None`` for staff): one statement."""
    with_mandates = user.kind != AccountKind.STAFF
    with fixed_cursor(connection) as cursor:
        cursor.execute(_own_statement(with_mandates), [user.pk])
        rows = cursor.fetchall()
    return own_account_from(rows, connection, with_mandates)
