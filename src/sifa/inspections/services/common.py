"""What the inspection commands share: who is an inspector where, the error shape, the audit call."""

from __future__ import annotations

from typing import Any

from sifa.audit.services import record
from sifa.core.errors import Forbidden, NotFound, ServiceError
from sifa.organisations.models import Organisation, Role
from sifa.organisations.scope import Actor, actor_for

INSPECTOR_ROLES = (Role.INSPECTOR,)


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": f"inspections.{code}", "message": message}


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    if len(errors) == 1:
        return ServiceError(errors[0]["code"], errors[0]["message"], errors=errors, status=400)
    return ServiceError(
        "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
    )


def not_found(what: str = "督查记录") -> NotFound:
    return NotFound(f"未找到该{what}", code="inspections.not_found")


def inspector_actor(user: Any) -> Actor:
    """The caller as an inspector; 403 ``inspections.not_inspector`` for anyone without the role."""
    actor = actor_for(user)
    if not actor.paths_for(INSPECTOR_ROLES):
        raise Forbidden("只有督查人员可以进行模拟办件和随机抽查", "inspections.not_inspector")
    return actor


def covers(actor: Actor, path: str) -> bool:
    return any(path.startswith(p) for p in actor.paths_for(INSPECTOR_ROLES))


def inspecting_organisation(actor: Actor, path: str) -> Organisation:
    """The inspector's organisation nearest above ``path`` (404 when none covers it)."""
    grants = [m for m in actor.memberships if m[2] == Role.INSPECTOR and path.startswith(m[1])]
    if not grants:
        raise not_found("机构")
    return Organisation.objects.get(pk=max(grants, key=lambda m: len(m[1]))[0])


def audit(action: str, user: Any, *, subject: Any, organisation: Any, scope_path: str, detail: dict) -> None:
    record(
        f"inspections.{action}",
        actor=user,
        organisation=organisation,
        role=Role.INSPECTOR,
        subject=subject,
        scope_path=scope_path,
        detail=detail,
    )


def scores_of(checklist: tuple, raw: Any) -> tuple[dict[str, int], int]:
    """Checklist scores: every item, an integer from 0 to its points. 400 naming each problem."""
    errors: list[dict[str, str]] = []
    if not isinstance(raw, dict):
        raise invalid([problem("scores", "bad_scores", "评分应为评查项目与分值的对应")])
    known = {item.key for item in checklist}
    for key in raw:
        if key not in known:
            errors.append(problem(f"scores.{key}", "unknown_item", f"评查表中没有“{key}”这一项"))
    scores: dict[str, int] = {}
    for item in checklist:
        value = raw.get(item.key)
        if isinstance(value, bool) or (
            not isinstance(value, int) and not (isinstance(value, str) and value.strip().isdigit())
        ):
            errors.append(
                problem(f"scores.{item.key}", "bad_score", f"请为“{item.label}”评分（0至{item.points}分）")
            )
            continue
        number = int(value)
        if not 0 <= number <= item.points:
            errors.append(
                problem(f"scores.{item.key}", "bad_score", f"“{item.label}”的得分应为0至{item.points}分")
            )
            continue
        scores[item.key] = number
    if errors:
        raise invalid(errors)
    return scores, sum(scores.values())
