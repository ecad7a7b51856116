"""Data scope: the one place that turns "who is asking" into an SQL predicate.

Every queryset of personal or case data is filtered here, closed by default:

* staff see rows whose scope path lies in the subtree of one of their organisations
  (``path >= '/1/12/' AND path < '/1/12/~'`` — an index range scan, never a per-row check);
* citizens and companies see only the rows they own;
* anyone else, and any model without a registered rule, sees nothing.

A model opts in with :func:`register`. ``tests/test_scope_rules.py`` walks every model that
declares ``data_class = "personal"`` or ``"case"`` and fails when one has no rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import Q, QuerySet

from sifa.organisations.models import Membership, Role

SCOPED_DATA_CLASSES = ("personal", "case")


@dataclass(frozen=True)
class ScopeRule:
    """How rows of one model map to a jurisdiction and to an owner.

    ``path`` is a lookup path ending in a ``PathField`` (e.g. ``"scope_path"`` or
    ``"application__scope_path"``); ``owners`` are lookups to the user(s) the row belongs to
    (e.g. ``("user",)`` or ``("applicant", "agent")``). Either may be empty.
    """

    path: str | None
    owners: tuple[str, ...] = ()


_RULES: dict[type[models.Model], ScopeRule] = {}


def register(model: type[models.Model], *, path: str | None, owners: Iterable[str] = ()) -> None:
    _RULES[model] = ScopeRule(path=path, owners=tuple(owners))


def rule_for(model: type[models.Model]) -> ScopeRule | None:
    return _RULES.get(model)


@dataclass(frozen=True)
class Actor:
    """The caller as the scope layer sees it: who, which subtrees, which roles."""

    user_id: int | None
    is_superuser: bool = False
    paths: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)
    memberships: tuple[tuple[int, str, str], ...] = ()  # (organisation id, path, role)

    @property
    def is_staff_actor(self) -> bool:
        return bool(self.memberships)

    def paths_for(self, roles: Iterable[str] | None = None) -> tuple[str, ...]:
        """Subtree roots where the actor holds any of ``roles`` (all roles when None)."""
        wanted = None if roles is None else {str(r) for r in roles}
        return tuple(sorted({p for _o, p, r in self.memberships if wanted is None or r in wanted}))

    def has_role(self, *roles: str) -> bool:
        return any(str(r) in self.roles for r in roles)


ANONYMOUS = Actor(user_id=None)


def actor_for(user) -> Actor:
    """Build the actor for a Django user (one query for the memberships)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    return actor_of(user, _memberships(user.pk))


def actor_of(user, rows: tuple[tuple[int, str, str], ...]) -> Actor:
    """The actor of an authenticated ``user`` whose memberships in active organisations are
    ``rows`` ((organisation id, path, role) by path and role, as :func:`_memberships` reads them)."""
    return Actor(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        paths=tuple(sorted({p for _o, p, _r in rows})),
        roles=frozenset(r for _o, _p, r in rows),
        memberships=rows,
    )


_MEMBERSHIPS: dict[str, str] = {}


def _memberships(user_id: int) -> tuple[tuple[int, str, str], ...]:
    """``Membership.objects.filter(user_id=…, organisation__is_active=True).values_list(
    "organisation_id", "organisation__path", "role").order_by("organisation__path", "role")`` as a
    statement written once per database (the same joins, filter and order): every API request
    builds its actor, and compiling that ORM query cost several times running it (W4 profile,
    docs/performance.md "2026-12-06 (day)"). The three columns need no conversion on either database."""
    from django.db import connections

    db = connections[DEFAULT_DB_ALIAS]
    sql = _MEMBERSHIPS.get(db.vendor)
    if sql is None:
        q = db.ops.quote_name
        organisation = Membership._meta.get_field("organisation").related_model._meta
        meta = Membership._meta
        m, o = q(meta.db_table), q(organisation.db_table)
        sql = _MEMBERSHIPS[db.vendor] = (
            f"SELECT {m}.{q(meta.get_field('organisation').column)}, {o}.{q('path')}, {m}.{q('role')} "  # noqa: S608 (names from the models)
            f"FROM {m} INNER JOIN {o} ON ({m}.{q(meta.get_field('organisation').column)} = {o}.{q('id')}) "
            f"WHERE ({m}.{q(meta.get_field('user').column)} = %s AND {o}.{q('is_active')} = %s) "
            f"ORDER BY {o}.{q('path')} ASC, {m}.{q('role')} ASC"
        )
    with db.cursor() as cursor:
        cursor.execute(sql, [user_id, True])
        return tuple(tuple(row) for row in cursor.fetchall())


class Grant(NamedTuple):
    """One membership of an actor: the organisation (id and path) and the role held there."""

    organisation_id: int
    path: str
    role: str


def attributed_membership(
    actor: Actor,
    scope_path: str,
    *,
    roles: Iterable[str] | None = None,
    from_below: Iterable[str] = (),
    windows: Iterable[int] | None = None,
) -> Grant | None:
    """The membership a staff read of data at ``scope_path`` is credited to (the access log).

    Of the actor's memberships (holding one of ``roles``, when given) whose subtree holds the data,
    the nearest ancestor of the data: the organisation closest to it. ``from_below`` names roles
    that also see data *above* their own organisation (a 司法所 window clerk receives for the
    county, 一窗受理): when no membership holds the data, the nearest such membership inside the
    data's subtree is credited; ``windows`` (organisation ids), when given, narrows those to the
    windows through which the reader sees the data (the window that received a case or was chosen
    for its pickup — ``workflow.selectors.case_windows``). Otherwise ``None`` — the read is
    credited to no organisation, never to an unrelated one.
    """
    if not scope_path:
        return None
    wanted = None if roles is None else {str(r) for r in roles}
    grants = [Grant(*m) for m in actor.memberships if wanted is None or m[2] in wanted]
    above = [g for g in grants if scope_path.startswith(g.path)]
    if above:
        return max(above, key=lambda g: len(g.path))
    upward = {str(r) for r in from_below}
    through = None if windows is None else set(windows)
    below = [
        g
        for g in grants
        if g.role in upward
        and g.path.startswith(scope_path)
        and (through is None or g.organisation_id in through)
    ]
    return min(below, key=lambda g: len(g.path)) if below else None


def subtree_q(lookup: str, paths: Iterable[str]) -> Q:
    """OR of subtree ranges; an empty ``paths`` gives a predicate that matches nothing."""
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{lookup}__subtree": path})
    return q


def scoped(queryset: QuerySet, actor: Actor, *, roles: Iterable[str] | None = None) -> QuerySet:
    """Filter ``queryset`` to what ``actor`` may read. Closed by default.

    ``roles`` narrows staff access to subtrees where the actor holds one of those roles (e.g. the
    audit trail only for audit administrators).
    """
    rule = _RULES.get(queryset.model)
    if rule is None or actor.user_id is None:
        return queryset.none()
    if actor.is_superuser:
        return queryset
    predicate = Q(pk__in=[])
    if actor.is_staff_actor and rule.path:
        predicate |= subtree_q(rule.path, actor.paths_for(roles))
    for owner in rule.owners:
        predicate |= Q(**{owner: actor.user_id})
    return queryset.filter(predicate)


__all__ = [
    "ANONYMOUS",
    "Actor",
    "Grant",
    "Role",
    "ScopeRule",
    "actor_for",
    "attributed_membership",
    "register",
    "rule_for",
    "scoped",
    "subtree_q",
]
