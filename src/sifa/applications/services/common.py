"""Shared pieces of the application commands: who may act, audit, notifications."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sifa.accounts.models import Mandate
from sifa.accounts.selectors import mandate_for
from sifa.applications.models import Application
from sifa.applications.selectors import window_covers, window_ids
from sifa.audit.services import append
from sifa.core.errors import Forbidden, NotFound, ServiceError
from sifa.notifications.services import notify
from sifa.organisations.scope import Role, actor_for

INVALID = "application.invalid"
INVALID_MESSAGE = "申请材料或表单有误，请按提示逐项修改后重新提交"


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    return ServiceError(INVALID, INVALID_MESSAGE, errors=errors)


def clerk_covers(user: Any, organisation_path: str) -> bool:
    """A window clerk at the organisation, in its subtree, or above it (一窗受理)."""
    return window_covers(actor_for(user), organisation_path)


def at_receiving_window(user: Any, application: Application) -> bool:
    """A window clerk at the window that received this walk-in (``receiving_window``), 一窗受理."""
    actor = actor_for(user)
    return actor.is_superuser or (
        application.receiving_window_id is not None and application.receiving_window_id in window_ids(actor)
    )


def staff_in_scope(user: Any, application: Application, roles=(Role.WINDOW_CLERK,)) -> bool:
    actor = actor_for(user)
    if actor.is_superuser:
        return True
    return any(application.scope_path.startswith(path) for path in actor.paths_for(roles))


MANDATE_ENDED = "application.mandate_ended"
MANDATE_ENDED_MESSAGE = (
    "委托人已撤销委托或委托已过期（或不再包含该事项），您不能再代其办理此申请；如需继续，请委托人重新办理委托"
)


def is_applicant_side(user: Any, application: Application) -> bool:
    uid = getattr(user, "pk", None)
    return uid is not None and uid in (application.applicant_id, application.agent_id)


def item_codes(item: Any) -> list[str]:
    """The basic codes a mandate may name to cover ``item``: its own and its 主项's."""
    codes = [item.basic_code]
    if item.parent_id:
        codes.append(item.parent.basic_code)
    return codes


def agent_mandate(user: Any, application: Application) -> Mandate | None:
    """The mandate in force today under which ``user`` acts as the application's agent."""
    if application.applicant is None:
        return None
    return mandate_for(user, application.applicant, item_codes(application.entry.item), timezone.localdate())


def acting_as_agent_only(user: Any, application: Application) -> bool:
    uid = getattr(user, "pk", None)
    return uid is not None and uid == application.agent_id and uid != application.applicant_id


def agent_may_act(user: Any, application: Application) -> bool:
    """False for an agent whose mandate for this principal and item has ended (revoked, expired,
    or narrowed): they may still read what they filed, but no longer act on it."""
    return not acting_as_agent_only(user, application) or agent_mandate(user, application) is not None


def require_actor(user: Any, application: Application) -> None:
    """The applicant, their agent (while a mandate is in force), or a window clerk at the window
    where the application was filed (``receiving_window``).

    Everyone else is told the application does not exist (404), never that it is forbidden. An
    agent whose mandate has ended gets 403 ``application.mandate_ended``: they filed it and know it
    exists, and must be told why they can no longer act.
    """
    if is_applicant_side(user, application):
        if not agent_may_act(user, application):
            raise Forbidden(MANDATE_ENDED_MESSAGE, MANDATE_ENDED)
        return
    if application.channel == "window" and at_receiving_window(user, application):
        return
    raise NotFound()


def audit(action: str, application: Application, actor: Any, detail: dict[str, Any] | None = None) -> None:
    # The stored event is not used: appended as a row, without an ``AuditEvent`` instance.
    append(
        [
            {
                "action": f"application.{action}",
                "actor": actor,
                "organisation": application.accepting_organisation_id,
                "subject": application,
                "detail": detail or {},
                "scope_path": application.scope_path,
            }
        ]
    )


def notify_applicant(application: Application, event: str, context: dict[str, Any]) -> None:
    """Notify the applicant (and agent) in this transaction, which rolls back as a whole if this
    fails (no savepoint of its own).

    A walk-in applicant without an account gets the paper notice at the window instead.
    """
    recipients = [u for u in (application.applicant, application.agent) if u is not None]
    for recipient in recipients:
        notify(
            recipient,
            event,
            {"number": application.number, "item_name": application.entry.item.name, **context},
            related=application,
            link=f"/applications/{application.number}/",
            savepoint=False,
        )
