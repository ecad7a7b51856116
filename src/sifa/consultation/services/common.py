"""What the consultation commands share: one 400 listing every problem, and the audit call."""

from __future__ import annotations

from typing import Any

from sifa.audit.services import record
from sifa.core.errors import ServiceError


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": f"consultation.{code}", "message": message}


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    """One problem answers with its own code; several with ``validation_error`` listing each."""
    if len(errors) == 1:
        return ServiceError(errors[0]["code"], errors[0]["message"], errors=errors, status=400)
    return ServiceError(
        "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
    )


def audit(action: str, user: Any, *, organisation: Any, subject: Any, scope_path: str, detail: dict) -> None:
    record(
        f"consultation.{action}",
        actor=user,
        organisation=organisation,
        subject=subject,
        scope_path=scope_path,
        detail=detail,
    )
