"""The workflow's audit events about one case: one place names the object (the application, by its
办件编号 — its id before one is assigned) and the case's scope, so every event of a case is found
with the same query."""

from __future__ import annotations

from typing import Any

from sifa.applications.models import Application
from sifa.audit.models import AuditEvent, AuditResult
from sifa.audit.services import record


def record_case(
    action: str,
    application: Application,
    *,
    actor: Any = None,
    organisation: Any = None,
    role: str = "",
    result: str = AuditResult.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append ``action`` about ``application`` to the audit trail, in the caller's transaction."""
    return record(
        action,
        actor=actor,
        organisation=organisation,
        role=role,
        subject=application,
        scope_path=application.scope_path,
        result=result,
        detail=detail or {},
    )
