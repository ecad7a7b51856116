"""Content negotiation with DRF's commonest case decided without parsing the Accept header.

DRF parses the Accept header into media types and orders them by precedence on every request
(about a tenth of a small read's time: docs/performance.md, "2026-12-06: me"). For a request with
no ``format`` override whose Accept header is absent, ``*/*`` or exactly ``application/json`` the
answer is known beforehand: the first renderer (for ``*/*``) or the first JSON renderer, with the
media type DRF itself would return. Anything else goes through DRF's negotiation unchanged.
"""

from __future__ import annotations

from rest_framework.negotiation import DefaultContentNegotiation

JSON = "application/json"


class QuickNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        override = self.settings.URL_FORMAT_OVERRIDE
        if format_suffix is None and not (override and override in request.query_params) and renderers:
            accept = request.META.get("HTTP_ACCEPT", "*/*")
            if accept == "*/*":
                return renderers[0], renderers[0].media_type
            if accept == JSON:
                for renderer in renderers:
                    if renderer.media_type == JSON:
                        return renderer, JSON
        return super().select_renderer(request, renderers, format_suffix)
