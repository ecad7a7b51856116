"""The public verification page ``/verify/<identifier>`` (and ``/verify/?id=…`` from its form).

Plain server-rendered Chinese HTML, no login, no JavaScript, no caching (the status is live).
The same rate limit as the API applies per client address.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sifa.core.errors import ServiceError
from sifa.core.identifiers import IdentifierError
from sifa.licences.api import VerifyThrottle
from sifa.licences.verification import verify_identifier

TEMPLATE = "licences/verify.html"


def _page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, TEMPLATE, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _throttled(request: HttpRequest) -> bool:
    return not VerifyThrottle().allow_request(request, None)


def verify_form(request: HttpRequest) -> HttpResponse:
    """The empty form; a submitted ``?id=`` goes to the canonical page for that identifier."""
    identifier = (request.GET.get("id") or "").strip()
    if identifier:
        return redirect("licence-verify-page", identifier=identifier[:200])
    return _page(request, {})


def verify_page(request: HttpRequest, identifier: str) -> HttpResponse:
    if _throttled(request):
        return _page(request, {"identifier": identifier, "error": "查询过于频繁，请稍后再试"}, status=429)
    try:
        result = verify_identifier(identifier)
    except IdentifierError as error:
        return _page(
            request, {"identifier": identifier, "error": error.message, "code": error.code}, status=400
        )
    except ServiceError as error:
        return _page(
            request, {"identifier": identifier, "error": error.message, "code": error.code}, error.status
        )
    return _page(request, {"identifier": identifier, "result": result})
