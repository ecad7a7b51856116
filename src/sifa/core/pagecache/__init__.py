"""The public page cache: answers that are the same for every anonymous visitor (the catalogue's
list, pages and guides), kept in a store every web process shares — the database table
``core_pagecacheentry`` by default, Redis when ``SIFA_CACHE_URL`` names one — for at most
``SIFA_PUBLIC_CACHE_SECONDS`` (0 turns the cache off).

* :func:`public` marks a view's anonymous answers as cacheable in a namespace, and
  :class:`PublicPageCacheMiddleware` does the work **before URL resolution**: an anonymous ``GET``
  (no session user, no ``Authorization`` header) to a path whose view is marked is answered from
  the store when an entry of the namespace's current generation is there — the resolver, the view
  and the middlewares after this one never run — otherwise it falls through to today's path and
  the answer is stored if it is a plain 200 that sets no cookie and changes no session. Which
  view a path reaches is resolved once per process and path (an LRU of ``ROUTES`` paths), so a hit
  costs a dictionary look-up instead of the resolver. Signed-in visitors and API clients with a
  token always get a fresh answer, and theirs is never stored: the header's 登录/退出 and anything
  personal stay out of the cache.
* :func:`bump` invalidates a namespace at once (the catalogue services call it on every change,
  ``sifa.catalogue.services``): the generation goes up by one and older entries are never served.
  A process answers a public page's hit it read again for ``stores.NEAR_MS`` (10 ms) without
  asking its store, and the commit's bump of a :func:`public_namespace` waits as long before the
  publisher's answer, so from that answer on no process serves the old generation
  (``stores.NearHits``).

The key is the method, scheme, host, full path with its query string as sent, the language
negotiated by ``LocaleMiddleware``, the ``sifa_care`` cookie (关怀模式 changes the page) and, for
API views (``accept=True``), the ``Accept`` header, and the values of the session keys a view names
(``vary_session``: the place an anonymous visitor chose). An HTML page is stored without its CSRF
token (the 关怀模式 switch is a POST form) and with the offsets where the token goes; the visitor's
own token is put there when served, so the CSRF cookie is set as on a rendered page.

What is stored is the answer as it leaves the middlewares inside this one (``MIDDLEWARE`` in
``sifa.conf.settings``: after authentication and ``IdleSignOutMiddleware``; inside it CSP, OTP,
messages, X-Frame-Options, axes, the audit context), so their headers (``Content-Security-Policy``,
``X-Frame-Options``) are stored with it; a hit goes back out through the same outer middlewares as
a miss — the security headers, the session's ``Vary: Cookie`` (replayed when the rendered answer
read the session), ``Content-Language``, the CSRF cookie — so a hit is the miss's answer byte for
byte, but for ``X-Sifa-Cache`` and the visitor's own (freshly masked) CSRF token. ``HEAD`` and
every other method are never cached. The key also carries :data:`FORMAT` and a fingerprint of
``MIDDLEWARE`` and the header settings stored with the answer, so a deployment that changes them
never serves an answer stored before it.

A front WSGI wrapper may set ``environ["sifa.public_cache"] = "off"`` to bypass the cache for one
request (the bench's ``/bench/nocache/…`` measures the uncached path on the same server); no HTTP
client can set an environ key of that form.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import ResponseHeaders
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.urls import Resolver404, get_resolver, get_urlconf

from sifa.core.limits.stores import now_ms
from sifa.core.pagecache import stores
from sifa.core.pagecache.stores import PageStore

__all__ = [
    "BYPASS",
    "HEADER",
    "PublicPageCacheMiddleware",
    "Route",
    "bump",
    "clear",
    "public",
    "public_namespace",
    "store",
]

log = logging.getLogger(__name__)

BYPASS = "sifa.public_cache"
"""The WSGI environ key that, set to ``"off"``, bypasses the cache for one request."""
HEADER = "X-Sifa-Cache"
"""``hit`` or ``miss`` on a cacheable request's answer (absent when the cache was not asked)."""
VARY_COOKIES = ("sifa_care",)
_CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")([A-Za-z0-9]{32,64})(")')
_SKIPPED_HEADERS = {"content-length", "set-cookie"}
FORMAT = "5"
"""The stored form's version, part of every key: entries of an older form are never read."""
ROUTES = 4096
"""Paths whose view (cacheable or not) each process remembers, least recently used dropped first."""
ROUTE_ATTRIBUTE = "sifa_public_cache"


@dataclass(frozen=True)
class Route:
    """What :func:`public` said about a view: its namespace and what its answer depends on."""

    namespace: str
    accept: bool = False
    vary_session: tuple[str, ...] = ()


_stores: dict[str, PageStore] = {}


def store() -> PageStore:
    """The configured store, one per process and URL (``SIFA_CACHE_URL``)."""
    url = getattr(settings, "CACHE_URL", "") or ""
    if url not in _stores:
        _stores[url] = stores.build(url)
    return _stores[url]


def _seconds() -> int:
    return int(getattr(settings, "PUBLIC_CACHE_SECONDS", 0) or 0)


_PUBLIC: set[str] = set()
_after_commit: dict[tuple[int, str], Callable[[], None]] = {}


def public_namespace(namespace: str) -> str:
    """Declare ``namespace`` as one whose answers :func:`public` views serve (returns it): its hits
    may be answered from what a process read at most ``stores.NEAR_MS`` before, so :func:`bump`
    waits that long after the commit's increment. Declare it where the module that bumps it can
    see it (``sifa.catalogue.services.pages``)."""
    _PUBLIC.add(namespace)
    return namespace


def _bump_after_commit(target: PageStore, namespace: str) -> Callable[[], None]:
    """What follows the commit of ``namespace``'s increment, one callable per store and namespace
    (so a transaction registers it once): with Redis the increment again, with the database this
    process's kept hits forgotten again; for a public namespace then a wait until no process can
    still answer from a generation read before the commit (``stores.NEAR_MS``)."""
    found = _after_commit.get((id(target), namespace))
    if found is None:
        again = target.forget if target.name == "database" else target.bump

        def after_commit() -> None:
            again(namespace)
            if namespace in _PUBLIC:
                time.sleep(stores.NEAR_MS / 1000)

        found = _after_commit[(id(target), namespace)] = after_commit
    return found


def bump(namespace: str) -> None:
    """Invalidate every cached answer of ``namespace`` (call it inside the changing transaction).

    The database store counts in the caller's transaction (a rollback undoes it); Redis counts at
    once and again after the commit, so no answer rendered from the old rows outlives the commit.
    For a :func:`public_namespace`, the commit is followed by a wait of ``stores.NEAR_MS``, so no
    process answers a hit from a generation read before the commit once the publisher has its
    answer (registered once per transaction: a bulk change waits once). The database store's other
    namespaces register nothing: their lookups are never ``near``.
    """
    target = store()
    target.bump(namespace)
    if target.name != "database" or namespace in _PUBLIC:
        after_commit = _bump_after_commit(target, namespace)
        connection = transaction.get_connection()
        if connection.in_atomic_block:
            savepoints = set(connection.savepoint_ids)
            for held, registered, _robust in connection.run_on_commit:
                if registered is after_commit and held <= savepoints:
                    return  # already registered where a rollback that drops it drops this change too
        transaction.on_commit(after_commit)


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


def _fingerprint() -> str:
    """What the stored headers depend on besides the view: the middlewares inside this one and the
    header settings they read. Part of every key, so a deployment that changes them never serves an
    answer stored before (the CSP or X-Frame-Options of the old settings)."""
    names = (
        "MIDDLEWARE",
        "CONTENT_SECURITY_POLICY",
        "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        "X_FRAME_OPTIONS",
    )
    described = repr([getattr(settings, name, None) for name in names])
    return FORMAT + ":" + hashlib.sha256(described.encode()).hexdigest()[:16]


def _key(
    namespace: str, request: HttpRequest, accept: bool, session_values: str = "", fingerprint: str = FORMAT
) -> str:
    parts = [
        fingerprint,
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


def _payload(request: HttpRequest, response: HttpResponse) -> bytes | None:
    """The stored form of an answer as it leaves the inner middlewares, or None when it must not
    be stored (not a plain 200, a cookie, a changed session, ``private``/``no-store``)."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return None
    cache_control = response.get("Cache-Control", "")
    if "private" in cache_control or "no-store" in cache_control:
        return None
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return None  # SessionMiddleware would save it (and set a cookie): not the same for all
    body = response.content
    csrf = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))  # get_token ran (the cookie goes out)
    token_at: list[int] = []  # where the visitor's token goes, in the body stored without them
    if b"csrfmiddlewaretoken" in body:
        pieces = _CSRF_INPUT.split(body)  # text, before, token, after, text, …
        kept = [pieces[0]]
        for i in range(1, len(pieces), 4):
            kept.append(pieces[i])
            token_at.append(sum(map(len, kept)))
            kept += [pieces[i + 2], pieces[i + 3]]
        body = b"".join(kept)
        csrf = csrf or bool(token_at)
    headers = [(k, v) for k, v in response.items() if k.lower() not in _SKIPPED_HEADERS]
    accessed = bool(getattr(session, "accessed", False))
    meta = {
        "status": response.status_code,
        "headers": headers,
        "csrf": csrf,
        "token_at": token_at,
        "session": accessed,
    }
    return json.dumps(meta).encode() + b"\n" + body


@dataclass(frozen=True)
class _Stored:
    """The parsed head of a stored answer: its status, its headers already checked and encoded the
    way ``HttpResponse`` keeps them (name in lower case → name, value), and what a hit replays."""

    status: int
    headers: dict[str, tuple[str, str]]
    csrf: bool
    token_at: tuple[int, ...]
    session: bool


PARSED = 512
"""Distinct stored heads each process keeps parsed; all are dropped when there are more."""
_parsed: dict[bytes, _Stored] = {}


def _stored(meta_line: bytes) -> _Stored:
    """The head of a stored answer, parsed and its headers checked once per process and head (a
    page's head is the same for every hit): a hit neither parses JSON nor checks header values."""
    found = _parsed.get(meta_line)
    if found is None:
        meta = json.loads(meta_line)
        checked = ResponseHeaders({})
        for name, value in meta["headers"]:
            checked[name] = value  # HttpResponse's own checks and encoding, as on every set
        found = _Stored(
            meta["status"], dict(checked._store), meta["csrf"], tuple(meta["token_at"]), meta["session"]
        )
        if len(_parsed) >= PARSED:
            _parsed.clear()
        _parsed[meta_line] = found
    return found


def _response(request: HttpRequest, payload: bytes) -> HttpResponse:
    meta_line, _, body = payload.partition(b"\n")
    stored = _stored(meta_line)
    if stored.session and hasattr(request, "session"):
        request.session.accessed = True  # as the rendered answer did: SessionMiddleware adds Vary: Cookie
    if stored.csrf:
        token = visitor_token(request).encode()  # CsrfViewMiddleware sets the cookie, as on a rendered page
        if stored.token_at:
            pieces, start = [], 0
            for at in stored.token_at:
                pieces += [body[start:at], token]
                start = at
            pieces.append(body[start:])
            body = b"".join(pieces)
    response = HttpResponse(body, status=stored.status)
    # The stored headers were checked as ``response[name] = value`` checks them (``_stored``);
    # updating the store keeps Content-Type first, as setting them one by one did.
    response.headers._store.update(stored.headers)
    return response


_CHARS = CSRF_ALLOWED_CHARS
_UNBIASED = 256 - 256 % len(_CHARS)  # bytes below this map onto the 62 characters evenly
_TO_CHAR = bytes(ord(_CHARS[byte % len(_CHARS)]) for byte in range(256))
_DROPPED = bytes(range(_UNBIASED, 256))
_SHIFTED = {
    (secret, mask): _CHARS[(i + j) % len(_CHARS)]
    for i, secret in enumerate(_CHARS)
    for j, mask in enumerate(_CHARS)
}


def _draw(count: int) -> str:
    """``count`` characters of the 62 allowed, each equally likely, from one ``os.urandom`` call
    (bytes ≥ 248 dropped, so the 62 characters divide what is kept evenly)."""
    drawn = b""
    while len(drawn) < count:
        drawn += secrets.token_bytes(count + 8 + count // 4).translate(_TO_CHAR, _DROPPED)
    return drawn[:count].decode()


def _mask() -> str:
    return _draw(CSRF_SECRET_LENGTH)


def visitor_token(request: HttpRequest) -> str:
    """``django.middleware.csrf.get_token(request)``: the visitor's CSRF secret under a fresh random
    mask, and the cookie sent with the answer — the mask drawn from one ``os.urandom`` call instead
    of Django's 32 (``get_random_string``), which was a tenth of a cached page's CPU. The token is
    Django's form (mask + secret shifted by the mask over the 62 allowed characters, checked by
    ``CsrfViewMiddleware``).

    A visitor without a CSRF secret yet (a first visit; every request of a client that keeps no
    cookies) gets a new one as Django's ``_add_new_csrf_cookie`` makes it — 32 of the 62 characters,
    each equally likely, put in ``CSRF_COOKIE`` for the cookie — drawn with the mask from the same
    ``os.urandom`` call instead of Django's 64 (≈ 70 µs, a quarter of such a hit). A secret of
    another length (none is left in ``CSRF_COOKIE`` by Django 4.1+) still goes to ``get_token``."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        drawn = _draw(2 * CSRF_SECRET_LENGTH)
        secret, mask = drawn[:CSRF_SECRET_LENGTH], drawn[CSRF_SECRET_LENGTH:]
        request.META["CSRF_COOKIE"] = secret  # as _add_new_csrf_cookie: the new secret, sent as the cookie
    elif len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    else:
        mask = _mask()
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True  # as get_token: the cookie goes out (again)
    return mask + "".join(map(_SHIFTED.__getitem__, zip(secret, mask, strict=True)))


@lru_cache(maxsize=ROUTES)
def _route(urlconf: str | None, path: str) -> Route | None:
    try:
        match = get_resolver(urlconf).resolve(path)
    except Resolver404:
        return None
    return getattr(match.func, ROUTE_ATTRIBUTE, None)


def route(request: HttpRequest) -> Route | None:
    """The :class:`Route` of the view ``request``'s path reaches, or None (resolved once per path)."""
    return _route(getattr(request, "urlconf", None) or get_urlconf(), request.path_info)


class PublicPageCacheMiddleware:
    """Answers a cache hit before URL resolution (see the module's docstring); must come after
    ``AuthenticationMiddleware`` and every middleware that has to act on a hit too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.fingerprint = _fingerprint()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        seconds = _seconds()
        if seconds <= 0 or not _cacheable_request(request):
            return self.get_response(request)
        found = route(request)
        if found is None:
            return self.get_response(request)
        namespace = found.namespace
        session_values = _session_values(request, found.vary_session)
        key = _key(namespace, request, found.accept, session_values, self.fingerprint)
        target = store()
        try:
            generation, cached = target.lookup(namespace, key, now_ms(), near=True)
        except Exception:  # a store that is down (Redis): answer uncached, never a 500
            if target.name == "database":
                raise
            log.warning("public page cache unavailable; answering uncached", exc_info=True)
            return self.get_response(request)
        if cached is not None:
            response = _response(request, cached)
            response[HEADER] = "hit"
            return response
        csrf_before = bool(request.META.get("CSRF_COOKIE_NEEDS_UPDATE"))
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or getattr(match.func, ROUTE_ATTRIBUTE, None) != found:
            return response  # not the marked view's answer after all
        if csrf_before:
            return response  # a malformed CSRF cookie was replaced: this answer is that visitor's
        payload = _payload(request, response)
        if payload is not None:
            try:
                target.save(namespace, key, generation, payload, seconds * 1000)
            except Exception:
                if target.name == "database":
                    raise
                log.warning("public page cache unavailable; answer not stored", exc_info=True)
            response[HEADER] = "miss"
        return response


def public(
    namespace: str, *, accept: bool = False, vary_session: tuple[str, ...] = ()
) -> Callable[[Callable], Callable]:
    """Mark the anonymous answers of a view as cacheable in ``namespace`` (see the module's
    docstring; :class:`PublicPageCacheMiddleware` serves and stores them).

    ``accept``: the view negotiates its format from the ``Accept`` header (DRF), so the header is
    part of the key. ``vary_session``: session keys the anonymous page depends on (the place a
    visitor chose, ``catalogue.chooser.SESSION_KEY``); their values are part of the key, so one
    visitor's choice is never served to another.
    """
    marked = Route(public_namespace(namespace), accept, tuple(vary_session))

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return view(request, *args, **kwargs)

        setattr(wrapper, ROUTE_ATTRIBUTE, marked)
        return wrapper

    return decorate
