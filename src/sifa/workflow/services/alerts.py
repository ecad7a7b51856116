"""Cases whose process could not be started: recorded, logged, shown — never silently stuck.

:func:`record_start_failure` runs *outside* the failed attempt's transaction (the attempt rolled
back), in its own short one: one ``StartAlert`` per case with an occurrence count, an ERROR line
in the ``sifa.workflow`` log with the stable code (what monitoring watches), and an audit event.
:func:`resolve_start_failure` closes the alert when the case starts after all (e.g. once its
process file is shipped). Staff read open alerts in their jurisdiction with
``sifa.workflow.selectors.open_alerts``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from sifa.audit.models import AuditResult
from sifa.core.errors import ServiceError
from sifa.workflow.models import StartAlert
from sifa.workflow.services.case_audit import record_case

logger = logging.getLogger("sifa.workflow")

UNEXPECTED = "workflow.start_error"


def _code_and_message(error: BaseException) -> tuple[str, str]:
    if isinstance(error, ServiceError):
        return error.code, error.message
    return UNEXPECTED, f"启动办理流程时发生意外错误（{type(error).__name__}）"


def record_start_failure(application: Any, error: BaseException, *, source: str) -> StartAlert:
    """Record (or count again) that ``application``'s process could not be started."""
    code, message = _code_and_message(error)
    now = timezone.now()
    logger.error(
        "办件 %s 未能启动办理流程（%s，%s）：%s",
        application.number or application.pk,
        code,
        source,
        message,
        extra={"event": "workflow.start_failed", "code": code, "application": str(application.number)},
    )
    with transaction.atomic():
        updated = StartAlert.objects.filter(application=application).update(
            code=code[:60],
            message=message[:500],
            source=source[:40],
            occurrences=F("occurrences") + 1,
            last_seen_at=now,
            resolved_at=None,
        )
        if not updated:
            StartAlert.objects.create(
                application=application,
                code=code[:60],
                message=message[:500],
                source=source[:40],
                last_seen_at=now,
                scope_path=application.scope_path,
            )
        record_case(
            "workflow.start_failed",
            application,
            result=AuditResult.FAILED,
            detail={"code": code, "source": source},
        )
    return StartAlert.objects.get(application=application)


def resolve_start_failure(application: Any) -> int:
    """The case started after all: close its open alert (inside the start's transaction)."""
    return StartAlert.objects.filter(application=application, resolved_at__isnull=True).update(
        resolved_at=timezone.now()
    )
