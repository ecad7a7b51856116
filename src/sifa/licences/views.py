"""The public verification page ``/verify/<identifier>`` (and ``/verify/?id=…`` from its form).

Server-rendered Chinese HTML on the portal's template (its header, navigation and 关怀模式), no
login, no caching (the status is live); the holder's 执业机构 shows where the licence records one.
The same rate limit as the API applies per client address.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from sifa.core.errors import ServiceError
from sifa.core.identifiers import IdentifierError
from sifa.licences.api import VerifyThrottle
from sifa.licences.models import Licence
from sifa.licences.selectors import law_firm_of
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
    return _page(
        request,
        {"identifier": identifier, "result": result, "practice_organisation": _practice_organisation(result)},
    )


def _practice_organisation(result: dict) -> str:
    """The holder's 执业机构 where the licence records one (a lawyer's: 律师法 §10), "" otherwise.
    Only an authentic licence's: a row whose signature fails says nothing more than the verdict."""
    if not result["authentic"]:
        return ""
    licence = Licence.objects.filter(identifier=result["identifier"]).only("particulars").first()
    return law_firm_of(licence) if licence is not None else ""
