"""Content negotiation with DRF's commonest case decided without parsing the Accept header.

DRF parses the Accept header into media types and orders them by precedence on every request
(about a tenth of a small read's time: docs/performance.md, "2026-12-06: me"). For a request with
no format override (no ``?format=``, no format suffix) whose Accept header is absent, ``*/*`` or
exactly ``application/json`` the answer is known beforehand, and this class gives it without the
parse; it is the API's default negotiation (``REST_FRAMEWORK["DEFAULT_CONTENT_NEGOTIATION_CLASS"]``).

Exactly DRF's answer, because the short cut is only taken where DRF's loop provably ends the
same way: the renderers' media types it looks at must be plain ``type/subtype`` strings (no
parameters, no wildcard, no spaces, lower case), so that

* for ``*/*`` DRF's first renderer matches and, being more specific than ``*/*``, is answered
  with its own media type: ``(renderers[0], renderers[0].media_type)``;
* for ``application/json`` a plain renderer matches exactly when its media type is
  ``application/json``, with the same precedence, so DRF answers ``(that renderer,
  "application/json")`` for the first such renderer.

Any other header, a format override, or a renderer list with a non-plain media type before the
answer goes through DRF's negotiation unchanged (same renderer, same 404/406 errors).
``tests/test_api_negotiation.py`` compares both for every route's renderers.
"""

from __future__ import annotations

import functools

from rest_framework.negotiation import DefaultContentNegotiation

JSON = "application/json"
ANY = "*/*"
QUICK_ACCEPT = frozenset({ANY, JSON})
"""The ``Accept`` headers (or none: ``*/*``) the plain views of the hottest reads answer without DRF's
negotiation (``sifa.licences.api.verify``, ``sifa.accounts.api.me``): for a view whose renderers
are DRF's default ones both choose ``JSONRenderer`` with no parameters (an ``indent``, or HTML for a
browser, goes through DRF)."""


@functools.cache  # a renderer's media type: a handful of strings, looked at on every request
def _plain(media_type: str) -> bool:
    main, slash, sub = media_type.partition("/")
    return (
        bool(slash and main and sub)
        and "*" not in media_type
        and ";" not in media_type
        and "/" not in sub
        and not any(c.isspace() for c in media_type)
        and media_type == media_type.lower()
    )


class QuickNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if format_suffix is None and renderers and not self._format_override(request):
            accept = request.META.get("HTTP_ACCEPT", ANY)
            if accept == ANY:
                if _plain(renderers[0].media_type):
                    return renderers[0], renderers[0].media_type
            elif accept == JSON:
                for renderer in renderers:
                    if not _plain(renderer.media_type):
                        break  # DRF decides (a wildcard or parameters could match differently)
                    if renderer.media_type == JSON:
                        return renderer, JSON
        return super().select_renderer(request, renderers, format_suffix)

    def _format_override(self, request) -> bool:
        override = self.settings.URL_FORMAT_OVERRIDE
        # No query string, no override: DRF's query_params would parse an empty one to see it.
        return bool(override) and bool(request.META.get("QUERY_STRING")) and override in request.query_params
