"""Who may look at the indicator pages, the CSV and the 通报 PDF, and of which organisations;
and who may issue (印发) an organisation's 通报.

Supervisors (监督人员) and decision makers (审批决定人员) — the heads who are answerable for an
organisation's performance — see the organisations of the subtrees where they hold one of those
roles; a system-wide superuser sees all. Anyone else, and any other organisation, is "not found"
(the pages answer 404, as for data out of scope). The scoped selectors check the subtree again.

The 通报 is the organisation's own 公文, numbered with its 代字 and sealed with its seal: only
someone who acts for that organisation — a supervisor or decision maker *of that organisation
itself* — issues it (``can_issue``). A head of the level above reads it but does not issue it in
the name of the unit below; a superuser without such a membership does not either.
"""

from __future__ import annotations

from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import Actor

INDICATOR_ROLES = (Role.SUPERVISOR, Role.DECISION_MAKER)


def can_view_indicators(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*INDICATOR_ROLES)


def roots(actor: Actor) -> tuple[str, ...]:
    """The subtree roots (paths) of the viewer, without those inside another one."""
    paths = sorted(actor.paths_for(INDICATOR_ROLES), key=lambda p: (len(p), p))
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(k) for k in kept):
            kept.append(path)
    return tuple(kept)


def viewable_organisation(actor: Actor, raw: str | int | None) -> Organisation | None:
    """The organisation asked for (its id), or the viewer's own top one when none is asked for;
    ``None`` when the id is malformed, unknown, inactive or outside the viewer's subtrees."""
    if not can_view_indicators(actor):
        return None
    active = Organisation.objects.filter(is_active=True)
    if raw is None or raw == "":
        if actor.is_superuser and not roots(actor):
            return active.filter(parent__isnull=True).order_by("path").first()
        tops = roots(actor)
        return active.filter(path=tops[0]).first() if tops else None
    try:
        pk = int(str(raw))
    except ValueError:
        return None
    if not 0 < pk < 2**63:
        return None
    org = active.filter(pk=pk).first()
    if org is None:
        return None
    if actor.is_superuser or any(org.path.startswith(root) for root in roots(actor)):
        return org
    return None


def can_issue(actor: Actor, organisation: Organisation) -> bool:
    """Whether ``actor`` holds a supervisor or decision-maker role at ``organisation`` itself."""
    wanted = {str(r) for r in INDICATOR_ROLES}
    return any(org_id == organisation.pk and role in wanted for org_id, _p, role in actor.memberships)
