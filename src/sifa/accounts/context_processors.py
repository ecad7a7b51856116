"""What every page needs to know about the session: the idle timeout and when to warn before it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

WARN_SECONDS = 120
"""The idle warning shows this long before the session ends (a quarter of a short timeout)."""


def session(request: HttpRequest) -> dict[str, int]:
    idle = settings.SESSION_COOKIE_AGE
    return {"session_idle_seconds": idle, "session_warn_seconds": min(WARN_SECONDS, max(2, idle // 4))}
