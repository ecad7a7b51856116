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


NOT_FOUND_ACTION = "access.not_found"


class NotFoundMiddleware:
    """Record ``access.not_found`` when a signed-in account's request for a page or API object
    named by an id (a route with parameters) is answered 404: the scoped lookup found nothing it may
    show — another jurisdiction's object or an invented id, which is how enumeration looks. The
    security detector counts these per account (docs/security.md). Anonymous requests and routes
    without parameters record nothing; the event names the route and its ids, never a body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404:
            match = getattr(request, "resolver_match", None)
            user = getattr(request, "user", None)
            if match is not None and match.kwargs and getattr(user, "is_authenticated", False):
                _record_not_found(request, user, match)
        return response


def _record_not_found(request: HttpRequest, user: Any, match: Any) -> None:
    from sifa.audit.models import AuditResult
    from sifa.audit.services import record
    from sifa.audit.subjects import AuditSubject

    ids = "/".join(str(value) for value in match.kwargs.values())
    route = match.view_name or match.route
    record(
        NOT_FOUND_ACTION,
        actor=user,
        subject=AuditSubject("conf.Route", f"{route}:{ids}"),
        result=AuditResult.DENIED,
        detail={"route": route, "method": request.method},
        ip_address=client_ip(request),
    )
