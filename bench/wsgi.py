"""The benchmarked WSGI application: Sifa's own, plus one bare WSGI route in front of Django.

``/bench/bare`` answers from plain WSGI without entering Django, so "bare WSGI hello" (the R1
denominator of scale.md §7.2 W1) is measured on the same granian process, workers and threads as
every Django route. Every other path goes to ``sifa.conf.wsgi.application`` unchanged; the only
added cost is one string comparison per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sifa.conf.wsgi import application as django_application

BARE_PATH = "/bench/bare"
_BODY = b'{"hello":"world"}'
_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == BARE_PATH:
        start_response("200 OK", _HEADERS)
        return [_BODY]
    return django_application(environ, start_response)
