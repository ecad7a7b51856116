"""The public page cache: answers that are the same for every anonymous visitor (the catalogue's
list, pages and guides), kept in a store every web process shares — the database table
``core_pagecacheentry`` by default, Redis when ``SIFA_CACHE_URL`` names one — for at most
``SIFA_PUBLIC_CACHE_SECONDS`` (0 turns the cache off).

* :func:`public` decorates a view: an anonymous ``GET`` (no session user, no ``Authorization``
  header) is answered from the store when an entry of the namespace's current generation is
  there, otherwise rendered by the view and stored if it is a plain 200 that sets no cookie.
  Signed-in visitors and API clients with a token always get a fresh answer, and theirs is never
  stored: the header's 登录/退出 and anything personal stay out of the cache.
* :func:`bump` invalidates a namespace at once (the catalogue services call it on every change,
  ``sifa.catalogue.services``): the generation goes up by one and older entries are never served.

The key is the method, scheme, host, full path with its query string as sent, the language
negotiated by ``LocaleMiddleware``, the ``sifa_care`` cookie (关怀模式 changes the page) and, for
API views (``accept=True``), the ``Accept`` header, and the values of the session keys a view names
(``vary_session``: the place an anonymous visitor chose). An HTML page's CSRF token (the 关怀模式 switch
is a POST form) is stored as a placeholder and replaced by the visitor's own token when served,
so the CSRF cookie is set as on a rendered page.

A front WSGI wrapper may set ``environ["sifa.public_cache"] = "off"`` to bypass the cache for one
request (the bench's ``/bench/nocache/…`` measures the uncached path on the same server); no HTTP
client can set an environ key of that form.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token

from sifa.core.limits.stores import now_ms
from sifa.core.pagecache import stores
from sifa.core.pagecache.stores import PageStore

__all__ = ["BYPASS", "HEADER", "bump", "clear", "public", "store"]

log = logging.getLogger(__name__)

BYPASS = "sifa.public_cache"
"""The WSGI environ key that, set to ``"off"``, bypasses the cache for one request."""
HEADER = "X-Sifa-Cache"
"""``hit`` or ``miss`` on a cacheable request's answer (absent when the cache was not asked)."""
VARY_COOKIES = ("sifa_care",)
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")([A-Za-z0-9]{32,64})(")')
_CSRF_PLACEHOLDER = b"\x00csrf\x00"
_SKIPPED_HEADERS = {"content-length", "set-cookie"}

_stores: dict[str, PageStore] = {}


def store() -> PageStore:
    """The configured store, one per process and URL (``SIFA_CACHE_URL``)."""
    url = getattr(settings, "CACHE_URL", "") or ""
    if url not in _stores:
        _stores[url] = stores.build(url)
    return _stores[url]


def _seconds() -> int:
    return int(getattr(settings, "PUBLIC_CACHE_SECONDS", 0) or 0)


def bump(namespace: str) -> None:
    """Invalidate every cached answer of ``namespace`` (call it inside the changing transaction).

    The database store counts in the caller's transaction (a rollback undoes it); Redis counts at
    once and again after the commit, so no answer rendered from the old rows outlives the commit.
    """
    target = store()
    target.bump(namespace)
    if target.name != "database":
        transaction.on_commit(lambda: target.bump(namespace))


def clear() -> None:
    """Forget every entry (tests; an operator starting afresh)."""
    store().clear()


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method != "GET" or request.META.get(BYPASS) == "off":
        return False
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return True  # no session, no signed-in user (and no session read to find that out)
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _session_values(request: HttpRequest, names: tuple[str, ...]) -> str:
    if not names or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return ""
    session = getattr(request, "session", None)
    if session is None:
        return ""
    return "\x1e".join(str(session.get(name, "")) for name in names)


def _key(namespace: str, request: HttpRequest, accept: bool, session_values: str = "") -> str:
    parts = [
        namespace,
        request.method or "",
        request.scheme or "",
        request.get_host(),
        request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", ""),
        *(request.COOKIES.get(name, "") for name in VARY_COOKIES),
        request.META.get("HTTP_ACCEPT", "") if accept else "",
        session_values,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _payload(response: HttpResponse, session_read: bool) -> bytes | None:
    """The stored form of a response, or None when it must not be stored."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    if "private" in response.get("Cache-Control", "") or "no-store" in response.get("Cache-Control", ""):
        return None
    body = response.content
    csrf = False
    if b"csrfmiddlewaretoken" in body:
        body, replaced = _CSRF_INPUT.subn(rb"\1" + _CSRF_PLACEHOLDER + rb"\3", body)
        csrf = replaced > 0
    headers = [(k, v) for k, v in response.items() if k.lower() not in _SKIPPED_HEADERS]
    meta = {"status": response.status_code, "headers": headers, "csrf": csrf, "session": session_read}
    return json.dumps(meta).encode() + b"\n" + body


def _response(request: HttpRequest, payload: bytes) -> HttpResponse:
    meta_line, _, body = payload.partition(b"\n")
    meta = json.loads(meta_line)
    if meta.get("session") and hasattr(request, "session"):
        request.session.accessed = True  # as the rendered answer did: SessionMiddleware adds Vary: Cookie
    if meta.get("csrf"):
        body = body.replace(_CSRF_PLACEHOLDER, get_token(request).encode())
    response = HttpResponse(body, status=meta["status"])
    for name, value in meta["headers"]:
        response[name] = value
    return response


def public(
    namespace: str, *, accept: bool = False, vary_session: tuple[str, ...] = ()
) -> Callable[[Callable], Callable]:
    """Cache the anonymous answers of a view in ``namespace`` (see the module's docstring).

    ``accept``: the view negotiates its format from the ``Accept`` header (DRF), so the header is
    part of the key. ``vary_session``: session keys the anonymous page depends on (the place a
    visitor chose, ``catalogue.chooser.SESSION_KEY``); their values are part of the key, so one
    visitor's choice is never served to another.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            seconds = _seconds()
            if seconds <= 0 or not _cacheable_request(request):
                return view(request, *args, **kwargs)
            key = _key(namespace, request, accept, _session_values(request, vary_session))
            target = store()
            try:
                generation, cached = target.lookup(namespace, key, now_ms())
            except Exception:  # a store that is down (Redis): answer uncached, never a 500
                if target.name == "database":
                    raise
                log.warning("public page cache unavailable; answering uncached", exc_info=True)
                return view(request, *args, **kwargs)
            if cached is not None:
                response = _response(request, cached)
                response[HEADER] = "hit"
                return response
            response = view(request, *args, **kwargs)
            if callable(getattr(response, "render", None)):
                response = response.render()
            session = getattr(request, "session", None)
            payload = _payload(response, bool(getattr(session, "accessed", False)))
            if payload is not None:
                try:
                    target.save(namespace, key, generation, payload, seconds * 1000)
                except Exception:
                    if target.name == "database":
                        raise
                    log.warning("public page cache unavailable; answer not stored", exc_info=True)
                response[HEADER] = "miss"
            return response

        return wrapper

    return decorate
