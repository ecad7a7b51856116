"""What the mediation's commands share: one 400 listing every problem, each with a stable code."""

from __future__ import annotations

from sifa.core.errors import ServiceError


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    return ServiceError(
        "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
    )


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": f"mediation.{code}", "message": message}
