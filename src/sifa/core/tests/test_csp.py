"""``sifa.core.csp.CSPMiddleware``: django-csp's headers, the policy's text built once per process
(docs/performance.md, "session 8: me") — the same headers as django-csp's own middleware gives."""

from __future__ import annotations

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from sifa.core.csp import CSPMiddleware


def _answers(path: str = "/", nonce: bool = False, **attributes) -> list[list[tuple[str, str]]]:
    """The headers of one answer through Sifa's middleware and through django-csp's."""
    found = []
    for middleware_class in (CSPMiddleware, DjangoCSPMiddleware):
        request = RequestFactory().get(path)

        def view(request):
            response = HttpResponse("ok")
            for name, value in attributes.items():
                setattr(response, name, value)
            if nonce:
                str(request.csp_nonce)
            return response

        response = middleware_class(view)(request)
        headers = [(k, v) for k, v in response.headers.items() if k.startswith("Content-Security")]
        if nonce:
            headers = [(k, v.replace(request._csp_nonce, "N")) for k, v in headers]
        else:
            with pytest.raises(CSPNonceError):
                str(request.csp_nonce)
        found.append(headers)
    return found


def test_the_headers_are_django_csps():
    ours, theirs = _answers()
    assert ours == theirs and ours[0][0] == HEADER and "default-src 'self'" in ours[0][1]
    assert _answers()[0] == ours  # the kept text


@pytest.mark.parametrize(
    "attributes",
    [
        {"_csp_update": {"img-src": ["https://example.org"]}},
        {"_csp_replace": {"script-src": ["'none'"]}},
        {"_csp_config": {"default-src": ["'none'"]}},
        {"_csp_exempt": True},
        {"_csp_update_ro": {"img-src": ["https://example.org"]}},
    ],
)
def test_an_answers_own_policy_is_django_csps(attributes):
    ours, theirs = _answers(**attributes)
    assert ours == theirs


def test_a_nonce_asked_for_is_django_csps():
    with override_settings(
        CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'self'"], "script-src": ["'self'", NONCE]}}
    ):
        ours, theirs = _answers(nonce=True)
        assert ours == theirs


def test_changed_settings_are_followed():
    before = _answers()[0]
    policy = {"DIRECTIVES": {"default-src": ["'none'"]}, "EXCLUDE_URL_PREFIXES": ["/skip/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=policy):
        ours, theirs = _answers()
        assert ours == theirs == [(HEADER, "default-src 'none'"), (HEADER_REPORT_ONLY, "default-src 'none'")]
        assert _answers("/skip/x") == [[], []]
    assert _answers()[0] == before
