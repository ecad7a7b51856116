"""What the evaluation commands share: one 400 listing every problem, the audit call, text checks."""

from __future__ import annotations

import re
from typing import Any

from sifa.audit.services import record
from sifa.core.errors import ServiceError

UNREADABLE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\u202a-\u202e\u2066-\u2069]")
"""Lone surrogates, control characters and bidirectional overrides: never stored."""


def problem(field: str, code: str, message: str) -> dict[str, str]:
    return {"field": field, "code": f"evaluation.{code}", "message": message}


def invalid(errors: list[dict[str, str]]) -> ServiceError:
    """One problem answers with its own code; several with ``validation_error`` listing each."""
    if len(errors) == 1:
        return ServiceError(errors[0]["code"], errors[0]["message"], errors=errors, status=400)
    return ServiceError(
        "validation_error", "；".join(e["message"] for e in errors), errors=errors, status=400
    )


def text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def check_text(
    field: str, label: str, value: str, errors: list[dict[str, str]], *, low: int, high: int, code: str
) -> None:
    if not low <= len(value) <= high:
        errors.append(
            problem(field, code, f"{label}应为{low}至{high}字" if low else f"{label}不能超过{high}字")
        )
    if UNREADABLE.search(value):
        errors.append(problem(field, "unreadable", f"{label}含有无法识别的字符，请删除后重新输入"))


def audit(action: str, user: Any, *, organisation: Any, subject: Any, scope_path: str, detail: dict) -> None:
    record(
        f"evaluation.{action}",
        actor=user if getattr(user, "is_authenticated", False) else None,
        organisation=organisation,
        subject=subject,
        scope_path=scope_path,
        detail=detail,
    )
