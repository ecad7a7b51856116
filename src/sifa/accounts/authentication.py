"""Bearer tokens for scripts and apps (``Authorization: Bearer <token>``), and the browser session.

Tokens are issued by ``POST /api/v1/auth/token/`` (``sifa.accounts.services.issue_api_token``):
username, password and — for staff — the current TOTP code. Only the SM3 digest of a token is
stored, so a database leak does not leak usable tokens.

The API also accepts the pages' session (:class:`VerifiedSessionAuthentication`), but a staff
session counts only once it was verified with TOTP (django-otp): a password-only staff session
is anonymous to the API, as it is to the workbench (等保 2.0 身份鉴别 d, two factors for staff).
"""

from __future__ import annotations

import json

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.drainage import set_override
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import HTTP_HEADER_ENCODING, authentication, exceptions

from sifa.accounts import selectors
from sifa.accounts.models import AccountKind, ApiToken, User
from sifa.audit import context
from sifa.core.crypto import sm3_hex
from sifa.core.db import FixedRows, first_read
from sifa.organisations.models import Membership, Organisation
from sifa.organisations.scope import actor_of

_TOKEN_ROWS = FixedRows(ApiToken)
_USER_ROWS = FixedRows(User)
_NARROW_TOKEN_ROWS = FixedRows(ApiToken, "id", "user", "expires_at", "last_used_at", "revoked")
_NARROW_USER_ROWS = FixedRows(
    User, "id", "is_superuser", "public_id", "username", "kind", "display_name", "phone_masked", "is_active"
)
"""What ``GET /api/v1/me/``'s plain view reads of the token and its account (``narrow``): the
checks, the stamp, the answer's fields; the rest (the password hash, the phone's ciphertext, the
digest…) deferred — 13 columns of 36 fewer for the server to write and the client to read
(docs/performance.md, "session 9: me")."""
_ACTOR_USER_ROWS = FixedRows(
    User,
    "id",
    "is_superuser",
    "public_id",
    "username",
    "kind",
    "display_name",
    "phone_masked",
    "scope_path",
    "is_active",
)
"""What a case command reads of its caller (``with_actor`` and ``narrow``): ``me``'s columns and the
account's scope path (an audit event names it when no other is given); the password hash, the
phone's ciphertext and the like deferred."""
_TOKEN_USER = ApiToken._meta.get_field("user")


def _row_shapes(with_actor: bool, narrow: bool) -> tuple[FixedRows, FixedRows]:
    """The token's and the account's columns read (see :func:`token_with_user`)."""
    if not narrow:
        return _TOKEN_ROWS, _USER_ROWS
    return _NARROW_TOKEN_ROWS, _ACTOR_USER_ROWS if with_actor else _NARROW_USER_ROWS


def _token_statement(
    with_account: bool, with_actor: bool = False, narrow: bool = False, with_mandates: bool = True
) -> str:
    """The token with its account, in one statement written once (no ORM query built per request);
    ``with_account``: with the account's memberships and natural person as well (``GET /api/v1/me/``),
    one row per membership; ``with_actor``: with what ``scope.actor_for`` reads (the memberships in
    active organisations, in its order), one row per membership; ``narrow``: the token's and the
    account's columns ``_NARROW_TOKEN_ROWS`` and ``_NARROW_USER_ROWS`` (``_ACTOR_USER_ROWS`` with
    ``with_actor``) only; ``with_mandates`` (with ``with_account``): the account's mandates too
    (``selectors.own_account_sql``)."""
    quote = connection.ops.quote_name
    token_rows, user_rows = _row_shapes(with_actor, narrow)
    if with_actor:
        columns, joins, order = actor_sql("u")
    else:
        columns, joins, order = (
            selectors.own_account_sql("u", with_mandates) if with_account else ("", "", "")
        )
    selected = f"{token_rows.columns('t')}, {user_rows.columns('u')}{', ' if columns else ''}{columns}"
    if _packed(connection, with_actor, narrow):
        selected = f"json_array({selected})"
    return (
        f"SELECT {selected} "  # noqa: S608 (names from the models)
        f"FROM {quote(ApiToken._meta.db_table)} t "
        f"INNER JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = t.{quote('user_id')} "
        f"{joins} WHERE t.{quote('key_digest')} = %s {order}"
    )


def actor_sql(user_alias: str) -> tuple[str, str, str]:
    """Columns, joins and ordering that add ``scope.actor_for``'s read of the account
    ``user_alias`` to a statement (``scope._memberships``: the memberships whose organisation is
    active — organisation id, path, role — by path and role): one row per membership, one row with
    empty membership columns when there is none. The join's one parameter is ``True``."""
    q = connection.ops.quote_name
    membership, organisation = Membership._meta, Organisation._meta
    m_organisation = membership.get_field("organisation").column
    columns = f"m.{q(m_organisation)}, o.{q('path')}, m.{q('role')}"
    joins = (
        f"LEFT OUTER JOIN ({q(membership.db_table)} m INNER JOIN {q(organisation.db_table)} o "
        f"ON m.{q(m_organisation)} = o.{q(organisation.pk.column)} AND o.{q('is_active')} = %s) "
        f"ON m.{q(membership.get_field('user').column)} = {q(user_alias)}.{q(User._meta.pk.column)}"
    )
    return columns, joins, f"ORDER BY o.{q('path')} ASC, m.{q('role')} ASC"


_STATEMENTS: dict[tuple[str, bool, bool, bool, bool], str] = {}

_STAFF_TOKENS: dict[str, None] = {}
"""Digests of tokens this process read for a staff account (with ``with_account``), at most
:data:`_STAFF_TOKENS_KEPT`: their next read leaves the mandates out of the statement. Only a choice
of statement — the token and its account are read on every request as before, and an account found
not to be staff's is answered with its mandates read by a statement of their own
(``selectors.own_mandate_rows``) — so a wrong or lost entry costs a round trip, never an answer
(docs/performance.md, "session 15: me")."""
_STAFF_TOKENS_KEPT = 4096


def _remember_kind(digest: str, staff: bool) -> None:
    if not staff:
        _STAFF_TOKENS.pop(digest, None)
    elif digest not in _STAFF_TOKENS:
        if len(_STAFF_TOKENS) >= _STAFF_TOKENS_KEPT:
            _STAFF_TOKENS.clear()
        _STAFF_TOKENS[digest] = None


def _packed(db, with_actor: bool, narrow: bool) -> bool:
    """Whether the token's statement gives each row as one JSON array of its columns: a case
    command's (``with_actor`` and ``narrow``: integers, texts, instants, flags and a UUID, each
    converted as the columns' own values would be) on SQLite, whose sqlite3 module names, types
    and fetches each column of a statement one by one (docs/performance.md, "session 11: W4")."""
    return with_actor and narrow and db.vendor == "sqlite"


def token_with_user(
    key: str, *, with_account: bool = False, with_actor: bool = False, narrow: bool = False
) -> ApiToken | None:
    """The live token whose digest is ``key``'s, its ``user`` loaded, or ``None``.

    A revoked or expired token, or one whose account is deactivated, is ``None``: everything is
    read from the database on every request (nothing is cached), so revoking a token, signing out,
    locking or deactivating an account and changing roles take effect on the next request.
    ``with_account``: the token's ``account`` holds what ``selectors.own_account`` gives, read by
    the same statement (the mandates too, unless this process read the token for a staff account
    before: :data:`_STAFF_TOKENS`). ``with_actor`` (not with ``with_account``): the token's ``actor`` is what
    ``scope.actor_for(token.user)`` gives, read by the same statement. ``narrow``: the token and its
    ``user`` with only the fields ``GET /api/v1/me/``'s plain view reads (and, ``with_actor``, the
    account's scope path: a case command's), the others deferred (a later read of one is a query
    of its own, as for ``.only()``); the same checks.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: ``connection`` looks it up on every use
    digest = sm3_hex(key.encode())
    with_mandates = with_account and digest not in _STAFF_TOKENS
    shape = (db.vendor, with_account, with_actor, narrow, with_mandates)
    statement = _STATEMENTS.get(shape)
    if statement is None:
        statement = _STATEMENTS[shape] = _token_statement(with_account, with_actor, narrow, with_mandates)
    params = [True, digest] if with_actor else [digest]
    # A request's first statement: it is the connection's health check too (``first_read``).
    rows = first_read(db, statement, params)
    if not rows:
        return None
    if _packed(db, with_actor, narrow):
        rows = [json.loads(row[0]) for row in rows]
    row = rows[0]
    token_rows, user_rows = _row_shapes(with_actor, narrow)
    width = len(token_rows.fields)
    token = token_rows.build(row[:width], db)
    if token.revoked or token.expires_at <= timezone.now():
        return None
    end = width + len(user_rows.fields)
    user = user_rows.build(row[width:end], db)
    if not user.is_active:
        return None
    # ``token.user = user`` without the descriptor's checks: the join made ``token.user_id`` the
    # user's id, and both come from this connection; only the cached object is left to set.
    _TOKEN_USER.set_cached_value(token, user)
    if with_account:
        _remember_kind(digest, user.kind == AccountKind.STAFF)
        token.account = selectors.own_account_from([r[end:] for r in rows], db, with_mandates)
    if with_actor:
        memberships = tuple((r[end], r[end + 1], r[end + 2]) for r in rows if r[end] is not None)
        token.actor = actor_of(user, memberships)
    return token


READ_ATTRIBUTE = "_sifa_bearer_read"
"""The Django request's attribute holding ``(key, (with_account, with_actor), token or None)`` when
the token of its ``Authorization`` header was read before DRF's authentication (``GET
/api/v1/me/``'s plain view, ``sifa.accounts.api.me``): the same read, not made twice."""


def bearer_key(request) -> str | None:
    """The token of a well-formed ``Authorization: Bearer <token>`` header of the Django request
    (what :meth:`BearerTokenAuthentication.authenticate` accepts as one), or ``None`` for any other
    header or none."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if not isinstance(header, str):
        return None
    try:
        parts = header.encode(HTTP_HEADER_ENCODING).split()
    except UnicodeEncodeError:
        return None
    if len(parts) != 2 or parts[0].lower() != b"bearer":
        return None
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        return None


def accept(token: ApiToken) -> None:
    """What a live bearer token's request does once the token is read: its last-used stamp (at most
    once a minute) and the audit context's user."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    context.bind_user(token.user)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"
    with_account = False
    """True: the token's statement reads the account's memberships and person too (``token.account``)."""
    with_actor = False
    """True: the token's statement reads the account's scope too (``token.actor``, ``actor_for``'s)."""
    narrow = False
    """True: the token and its account with ``token_with_user``'s narrow columns only, the others
    deferred (loaded if ever read)."""

    def authenticate(self, request):
        # DRF's ``get_authorization_header`` reads it from ``request.headers``, which builds the map
        # of every header of the request: the same value is ``META``'s, read alone.
        header = request.META.get("HTTP_AUTHORIZATION", b"")
        if isinstance(header, str):
            header = header.encode(HTTP_HEADER_ENCODING)
        header = header.split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("令牌格式错误")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("令牌格式错误") from None
        # The token read before (me_quick) sits on Django's request: DRF's wraps it, the case
        # command's plain view (workflow.api.case_command) passes Django's own.
        read = getattr(getattr(request, "_request", request), READ_ATTRIBUTE, None)
        if read is not None and read[0] == key and read[1] == (self.with_account, self.with_actor):
            token = read[2]
        else:
            token = token_with_user(
                key, with_account=self.with_account, with_actor=self.with_actor, narrow=self.narrow
            )
        if token is None:
            raise exceptions.AuthenticationFailed("令牌无效或已过期，请重新登录")
        accept(token)
        return (token.user, token)

    def authenticate_header(self, request) -> str:
        return self.keyword


class AccountBearerTokenAuthentication(BearerTokenAuthentication):
    """The bearer token for ``GET /api/v1/me/``: the same checks, and the account's memberships and
    natural person read by the token's own statement (one query, docs/performance.md)."""

    with_account = True


class ActorBearerTokenAuthentication(BearerTokenAuthentication):
    """The bearer token for a staff command on a case (every workflow transition): the same
    checks, and the caller's scope (``request.auth.actor``, what ``scope.actor_for`` gives) read by
    the token's own statement — one query less per command (docs/performance.md, "2026-12-06
    (session 3): W4")."""

    with_actor = True
    narrow = True
    """A case command reads of the account what ``GET /api/v1/me/`` reads (its id, name, kind,
    state) and its scope path (``_ACTOR_USER_ROWS``), the rest deferred."""


# The same scheme as their parent in the OpenAPI document (``bearerAuth``): the subclasses only
# read more in the same statement, so the schema generator must not take them for a second scheme.
set_override(AccountBearerTokenAuthentication, "suppress_collision_warning", True)
set_override(ActorBearerTokenAuthentication, "suppress_collision_warning", True)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sifa.accounts.authentication.BearerTokenAuthentication"
    match_subclasses = True
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (with its CSRF check), refusing staff sessions without TOTP."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        is_staff = user.is_superuser or getattr(user, "kind", "") == AccountKind.STAFF
        verified = getattr(user, "is_verified", None)
        if is_staff and not (verified is not None and verified()):
            return None  # as if not logged in: 401/403 where a login is needed
        return result


class VerifiedSessionScheme(SessionScheme):
    target_class = "sifa.accounts.authentication.VerifiedSessionAuthentication"
