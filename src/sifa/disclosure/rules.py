"""Who may do what with a notice, and the notice's public identifier: pure reads, shared by the
services (which enforce them), the selectors and the workbench pages (which offer only what is
allowed). docs/disclosure.md, "Who does what"."""

from __future__ import annotations

import uuid
from typing import Any

from sifa.disclosure.models import EDITABLE, Notice
from sifa.organisations.models import SEPARATED_ADMIN_ROLES, Organisation, Role
from sifa.organisations.scope import Actor

REVIEW_ROLES = (Role.SUPERVISOR, Role.DECISION_MAKER)
"""Who does the 保密审查 and publishes, and who withdraws: at the organisation or above."""


def may_draft(actor: Actor) -> bool:
    """Whether the actor drafts for any organisation (no query: the actor's memberships)."""
    separated = {str(r) for r in SEPARATED_ADMIN_ROLES}
    return any(role not in separated for _org, _path, role in actor.memberships)


def author_organisations(actor: Actor) -> list[Organisation]:
    """The organisations a staff member drafts for: where they hold a membership (any role but the
    separated administrators)."""
    separated = {str(r) for r in SEPARATED_ADMIN_ROLES}
    ids = {org_id for org_id, _path, role in actor.memberships if role not in separated}
    return list(Organisation.objects.filter(pk__in=ids, is_active=True).order_by("path"))


def review_role(actor: Actor, path: str) -> str:
    """The reviewer role the actor holds over ``path`` ("" when none)."""
    wanted = {str(r) for r in REVIEW_ROLES}
    for _org, held, role in actor.memberships:
        if role in wanted and path.startswith(held):
            return role
    return "superuser" if actor.is_superuser else ""


def may_review(actor: Actor, notice: Notice) -> bool:
    return bool(review_role(actor, notice.scope_path)) and notice.author_id != actor.user_id


def may_edit(actor: Actor, notice: Notice) -> bool:
    return notice.author_id == actor.user_id and notice.status in EDITABLE


def public_id_of(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
