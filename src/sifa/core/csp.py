"""django-csp's middleware with the policy built once per process.

``csp.middleware.CSPMiddleware`` builds both headers' text anew for every answer (``asdict`` of its
policy parts, a copy of the settings' directives, their join: ≈ 10 % of the CPU of the cheapest
answers, docs/performance.md, "session 8: me"), though for an answer that carries no policy of its
own (no ``@csp_update``/``@csp_replace``/``@csp_exempt``-style attributes) and a request whose nonce
was never asked for, the text depends on the settings alone. Such answers get the text built the
first time (by django-csp's own ``build_policy``, so the same string) and kept until a setting
changes; everything else — and the choice of which header to set, the excluded prefixes, the
debug pages, the nonce's guard after the answer — is django-csp's, unchanged.
"""

from __future__ import annotations

import http.client as http_client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
"""The answer's attributes that make its policy its own (django-csp's ``get_policy_parts``)."""

# [(header, its text or "", the excluded path prefixes, the answer's exemption attribute)], built once.
_POLICIES: list[tuple[str, str, tuple[str, ...], str]] = []


@receiver(setting_changed)
def _forget(**kwargs: object) -> None:
    _POLICIES.clear()


def _policies() -> list[tuple[str, str, tuple[str, ...], str]]:
    if not _POLICIES:
        for header, setting, report_only, exempt in (
            (HEADER, "CONTENT_SECURITY_POLICY", False, "_csp_exempt"),
            (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True, "_csp_exempt_ro"),
        ):
            text = build_policy(config=None, update=None, replace=None, nonce=None, report_only=report_only)
            policy = getattr(settings, setting, None) or {}
            prefixes = tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())
            _POLICIES.append((header, text, prefixes, exempt))
    return _POLICIES


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _OWN_POLICY
        ):
            return super().process_response(request, response)  # a policy of its own: built anew
        if settings.DEBUG and response.status_code in (
            http_client.INTERNAL_SERVER_ERROR,
            http_client.NOT_FOUND,
        ):
            return response
        for header, text, prefixes, exempt in _policies():
            if (
                text
                and header not in response
                and getattr(response, exempt, False) is False
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = text
        # The nonce was not asked for (else the branch above): asking now is an error, as in django-csp.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
