"""Why the sign-in page is shown: after a session ended for idleness, say so (also without JavaScript).

A session ends on the server after ``SIFA_SESSION_IDLE_SECONDS`` without a request; the browser
still sends the dead session's cookie and the next page that needs a signed-in person redirects to
the sign-in page — with JavaScript the idle warning has already said why (``?timeout=1``), without
it nothing did. :class:`IdleSignOutMiddleware` tells the two endings apart with a marker cookie
(``sifa_signed_in``, HttpOnly, no personal data, gone when the browser closes) that is set while a
person is signed in and removed when they sign out themselves:

* marker present, but the session holds no signed-in person at the start of the request → the
  session ended by itself (idle expiry). A redirect to ``LOGIN_URL`` then gets ``timeout=1``
  added to its query (the sign-in page says why; its ``next`` is untouched and still validated by
  the sign-in view, so nothing here can send anyone elsewhere) and the marker is removed; so is it
  when the sign-in page itself is shown with the notice (``request.idle_notice_shown``). Public
  pages on the way leave the marker in place, so the notice comes with the first sign-in page.
* the session held a signed-in person and no longer does (退出, or a password changed on another
  device) → the marker is removed; nothing is said about idleness.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse

MARKER = "sifa_signed_in"
TIMEOUT_PARAM = "timeout"


def signed_out_for_idleness(request: HttpRequest) -> bool:
    """Whether this request comes from a browser whose signed-in session ended by itself."""
    return bool(getattr(request, "signed_out_idle", False))


def _login_redirect(response: HttpResponse) -> tuple[str, list[tuple[str, str]]] | None:
    """The parts of a redirect to the sign-in page (a local address only), else None."""
    if response.status_code not in (301, 302, 303, 307, 308) or not response.has_header("Location"):
        return None
    parts = urlsplit(response["Location"])
    if parts.scheme or parts.netloc or parts.path != settings.LOGIN_URL:
        return None
    return parts.path, parse_qsl(parts.query, keep_blank_values=True)


def with_timeout_flag(location: str) -> str:
    """``location`` (a sign-in address) with ``timeout=1`` in its query, once."""
    parts = urlsplit(location)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != TIMEOUT_PARAM]
    query.insert(0, (TIMEOUT_PARAM, "1"))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


class IdleSignOutMiddleware:
    """Sets, keeps and removes the marker; flags the sign-in redirect after an idle expiry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        marked = request.COOKIES.get(MARKER) == "1"
        if marked:
            # The session was going to be loaded anyway (it is saved on every request).
            request.signed_out_idle = SESSION_KEY not in request.session
        response = self.get_response(request)
        if not marked and not request.session.accessed:
            return response  # no session touched and never signed in: nothing to do (no Vary)
        signed_in = SESSION_KEY in request.session
        if signed_in:
            if not marked:
                response.set_cookie(
                    MARKER,
                    "1",
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            return response
        if not marked:
            return response
        if not signed_out_for_idleness(request):
            response.delete_cookie(MARKER, samesite="Lax")  # signed out, not timed out
        elif _login_redirect(response) is not None:
            response["Location"] = with_timeout_flag(response["Location"])
            response.delete_cookie(MARKER, samesite="Lax")
        elif getattr(request, "idle_notice_shown", False):
            response.delete_cookie(MARKER, samesite="Lax")
        return response
