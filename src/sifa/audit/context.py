"""Per-request audit context (who, from where), set by middleware and read by ``audit.record``."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse


@dataclass(frozen=True)
class AuditContext:
    user: Any = None
    ip_address: str | None = None


_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "sifa_audit_context", default=AuditContext()
)


def current() -> AuditContext:
    return _current.get()


def client_ip(request: HttpRequest) -> str | None:
    """The peer address. Behind a proxy, configure the proxy to set REMOTE_ADDR (we do not trust
    X-Forwarded-For from the open internet)."""
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(AuditContext(user=getattr(request, "user", None), ip_address=client_ip(request)))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def bind_user(user: Any) -> None:
    """DRF authenticates after middleware ran: views call this so events name the API caller."""
    _current.set(AuditContext(user=user, ip_address=current().ip_address))
