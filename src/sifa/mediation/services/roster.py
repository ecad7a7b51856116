"""The roster of a 司法所 — 人民调解委员会 and 人民调解员 — kept by its staff (人民调解法 §5, §10, §13).

Staff of the 司法所, or of a bureau above it (which guides 人民调解), put committees and mediators on
the roster and take mediators off it; each command checks the role, validates every field at once
(400) and writes its audit event in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from sifa.audit.services import record
from sifa.core.errors import Forbidden, ServiceError
from sifa.core.requesttext import name_problem
from sifa.mediation.models import CommitteeKind, MediationCommittee, Mediator, MediatorPosition
from sifa.mediation.services.common import invalid, problem
from sifa.organisations.models import Organisation, OrganisationKind, Role
from sifa.organisations.scope import actor_for

ROSTER_ROLES = (Role.WINDOW_CLERK, Role.REVIEWER, Role.SUPERVISOR)
"""Who keeps a 司法所's roster: its staff, and staff of the bureaus above it (which guide 人民调解)."""


def can_keep_roster(user: Any, office: Organisation) -> bool:
    actor = actor_for(user)
    return actor.is_superuser or any(office.path.startswith(p) for p in actor.paths_for(ROSTER_ROLES))


def _require_keeper(user: Any, office: Organisation) -> None:
    if not can_keep_roster(user, office):
        raise Forbidden(
            f"只有{office.name}或其上级司法行政机关的工作人员可以维护人民调解员名册", "mediation.not_keeper"
        )


def _audit(
    action: str,
    user: Any,
    office: Organisation,
    subject: MediationCommittee | Mediator,
    detail: dict[str, Any],
) -> None:
    record(
        f"mediation.{action}",
        actor=user,
        organisation=office,
        subject=subject,
        scope_path=office.path,
        detail=detail,
    )


@transaction.atomic
def create_committee(user: Any, office: Organisation, *, name: str, kind: str) -> MediationCommittee:
    """Put a 人民调解委员会 on ``office``'s roster."""
    if office.kind != OrganisationKind.JUDICIAL_OFFICE:
        raise ServiceError("mediation.not_judicial_office", "人民调解员名册由司法所维护，请选择司法所")
    _require_keeper(user, office)
    name = str(name or "").strip()
    errors = []
    if not 2 <= len(name) <= 100:
        errors.append(problem("name", "name_required", "请填写人民调解委员会名称（2至100字）"))
    elif found := name_problem("name", "人民调解委员会名称", name):
        errors.append(found)
    if kind not in CommitteeKind.values:
        errors.append(problem("kind", "bad_kind", "请选择人民调解委员会的类别"))
    if errors:
        raise invalid(errors)
    try:
        with transaction.atomic():
            committee = MediationCommittee.objects.create(organisation=office, name=name, kind=kind)
    except IntegrityError:
        raise invalid([problem("name", "duplicate", f"名册中已有“{name}”")]) from None
    _audit("committee.create", user, office, committee, {"name": name, "kind": kind})
    return committee


@transaction.atomic
def add_mediator(
    user: Any, committee: MediationCommittee, *, name: str, position: str, specialties: str = ""
) -> Mediator:
    """Put a 人民调解员 on the committee's roster (§13)."""
    office = committee.organisation
    _require_keeper(user, office)
    name, specialties = str(name or "").strip(), str(specialties or "").strip()
    errors = []
    if not 2 <= len(name) <= 50:
        errors.append(problem("name", "name_required", "请填写人民调解员姓名（2至50字）"))
    elif found := name_problem("name", "人民调解员姓名", name):
        errors.append(found)
    if position not in MediatorPosition.values:
        errors.append(problem("position", "bad_position", "请选择人民调解员的职务"))
    if len(specialties) > 200:
        errors.append(problem("specialties", "too_long", "擅长调解的纠纷不能超过200字"))
    if not committee.is_active:
        errors.append(problem("committee", "committee_inactive", "该人民调解委员会已不在册"))
    if errors:
        raise invalid(errors)
    mediator = Mediator.objects.create(
        committee=committee, name=name, position=position, specialties=specialties
    )
    _audit("mediator.add", user, office, mediator, {"name": name, "committee": committee.name})
    return mediator


@transaction.atomic
def set_mediator_active(user: Any, mediator: Mediator, active: bool) -> Mediator:
    """Take a mediator off the roster (or back on). Sessions already recorded keep their names."""
    office = mediator.committee.organisation
    _require_keeper(user, office)
    if mediator.is_active != active:
        mediator.is_active = active
        mediator.save(update_fields=["is_active"])
        _audit("mediator.active" if active else "mediator.inactive", user, office, mediator, {})
    return mediator
