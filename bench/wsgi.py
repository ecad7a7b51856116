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
    if path.startswith(NO_ROLLUP_PREFIX + "/"):
        environ["PATH_INFO"] = path[len(NO_ROLLUP_PREFIX) :]
        _request.no_rollup = True
        try:
            return django_application(environ, start_response)
        finally:
            _request.no_rollup = False
    return django_application(environ, start_response)
