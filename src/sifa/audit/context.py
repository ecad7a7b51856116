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


_EMPTY = AuditContext()
# No default on the variable itself (a shared mutable-looking default is flagged by B039);
# ``current()`` falls back to the frozen empty context instead.
_current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar(
    "sifa_audit_context", default=None
)


def current() -> AuditContext:
    """The context of the running request or task (an empty one outside any request)."""
    return _current.get() or _EMPTY


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
