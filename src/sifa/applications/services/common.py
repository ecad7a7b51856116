"""Shared pieces of the application commands: who may act, audit, notifications."""

from __future__ import annotations

import logging
from typing import Any

from sifa.applications.models import Application
from sifa.audit.services import record
from sifa.core.errors import NotFound, ServiceError
from sifa.organisations.scope import Role, actor_for

logger = logging.getLogger("sifa.applications")

INVALID = "application.invalid"
INVALID_MESSAGE = "申请材料或表单有误，请按提示逐项修改后重新提交"


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    return ServiceError(INVALID, INVALID_MESSAGE, errors=errors)


def clerk_covers(user: Any, organisation_path: str) -> bool:
    """A window clerk at the organisation, in its subtree, or above it (一窗受理)."""
    actor = actor_for(user)
    if actor.is_superuser:
        return True
    return any(
        organisation_path.startswith(path) or path.startswith(organisation_path)
        for path in actor.paths_for([Role.WINDOW_CLERK])
    )


def staff_in_scope(user: Any, application: Application, roles=(Role.WINDOW_CLERK,)) -> bool:
    actor = actor_for(user)
    if actor.is_superuser:
        return True
    return any(application.scope_path.startswith(path) for path in actor.paths_for(roles))


def is_applicant_side(user: Any, application: Application) -> bool:
    uid = getattr(user, "pk", None)
    return uid is not None and uid in (application.applicant_id, application.agent_id)


def require_actor(user: Any, application: Application) -> None:
    """The applicant, their agent, or a window clerk for an application filed at the window.

    Everyone else is told the application does not exist (404), never that it is forbidden.
    """
    if is_applicant_side(user, application):
        return
    if application.channel == "window" and clerk_covers(user, application.scope_path):
        return
    raise NotFound()


def audit(action: str, application: Application, actor: Any, detail: dict[str, Any] | None = None) -> None:
    record(
        f"application.{action}",
        actor=actor,
        organisation=application.accepting_organisation_id,
        object_type="applications.Application",
        object_id=application.number or str(application.pk),
        detail=detail or {},
        scope_path=application.scope_path,
    )


def notify_applicant(application: Application, event: str, context: dict[str, Any]) -> None:
    """Notify the applicant (and agent) in this transaction, when the notifications app is present.

    A walk-in applicant without an account gets the paper notice at the window instead.
    """
    try:
        from sifa.notifications.services import notify
    except ImportError:  # the notifications app is optional for this module
        return
    recipients = [u for u in (application.applicant, application.agent) if u is not None]
    for recipient in recipients:
        notify(
            recipient,
            event,
            {"number": application.number, "item_name": application.entry.item.name, **context},
            related=application,
            link=f"/applications/{application.number}/",
        )
