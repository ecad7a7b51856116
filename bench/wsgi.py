"""The benchmarked WSGI application: Sifa's own, plus one bare WSGI route in front of Django.

``/bench/bare`` answers from plain WSGI without entering Django, so "bare WSGI hello" (the R1
denominator of scale.md §7.2 W1) is measured on the same granian process, workers and threads as
every Django route. Every other path goes to ``sifa.conf.wsgi.application`` unchanged; the only
added cost is a string comparison or two per request.

``/bench/norollup/<path>`` serves ``<path>`` with the indicators' roll-up maintenance switched off
for that request only (a thread-local flag read by a wrapper around the receiver), so W8d measures
W4 with maintenance ÷ W4 without on the same server, alternating, in the same run.

``/bench/nocache/<path>`` serves ``<path>`` past the public page cache (``sifa.core.pagecache``:
the WSGI environ key ``sifa.public_cache`` set to ``off``), so W1/W1h/W2 measure the uncached
path and W1c/W1hc/W2c the cached one on the same server.

``/bench/dbcache/<path>`` serves ``<path>`` with the public page cache in the database store
(table ``core_pagecacheentry``) for that request, whatever ``SIFA_CACHE_URL`` configures, so a
run whose server caches in Redis (``BENCH_CACHE_URL``) measures the database store's hits too
(W1cd/W1hcd/W2cd). Its entries are never invalidated by a publish while Redis is the configured
store: bench only, where nothing publishes during a run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from sifa.conf.wsgi import application as django_application

NO_ROLLUP_PREFIX = "/bench/norollup"
NO_CACHE_PREFIX = "/bench/nocache"
_request = threading.local()


def _install_switch() -> None:
    from sifa.applications.signals import application_changed
    from sifa.indicators import receivers

    def maintain(sender: Any, **kwargs: Any) -> None:
        if not getattr(_request, "no_rollup", False):
            receivers.on_application_changed(sender, **kwargs)

    if application_changed.disconnect(dispatch_uid="indicators.application"):
        application_changed.connect(maintain, dispatch_uid="bench.indicators.application", weak=False)


_install_switch()


def _install_store_switch() -> None:
    from sifa.core import pagecache
    from sifa.core.pagecache.stores import DatabaseStore

    configured, database = pagecache.store, DatabaseStore()

    def store() -> Any:
        return database if getattr(_request, "database_cache", False) else configured()

    pagecache.store = store  # the middleware looks the name up on every request


_install_store_switch()
DATABASE_CACHE_PREFIX = "/bench/dbcache"

BARE_PATH = "/bench/bare"
_BODY = b'{"hello":"world"}'
_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == BARE_PATH:
        start_response("200 OK", _HEADERS)
        return [_BODY]
    path = environ.get("PATH_INFO", "")
    if path.startswith(NO_CACHE_PREFIX + "/"):
        environ["PATH_INFO"] = path[len(NO_CACHE_PREFIX) :]
        environ["sifa.public_cache"] = "off"
        return django_application(environ, start_response)
    for prefix, flag in ((DATABASE_CACHE_PREFIX, "database_cache"), (NO_ROLLUP_PREFIX, "no_rollup")):
        if path.startswith(prefix + "/"):
            environ["PATH_INFO"] = path[len(prefix) :]
            setattr(_request, flag, True)  # for this request only: the thread serves it to the end
            try:
                return django_application(environ, start_response)
            finally:
                setattr(_request, flag, False)
    return django_application(environ, start_response)
