"""The API's quick content negotiation answers exactly what DRF's own negotiation answers."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory

from sifa.core.api.negotiation import QuickNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "text/html",
    "application/json, */*;q=0.8",
    "application/json; indent=4",
    "application/*",
    "*/*;q=0.5",
    "text/csv",
    "Application/JSON",
    " application/json",
    "",
]
QUERIES = ["", "?format=json", "?format=api", "?format=", "?format=csv"]


def _views(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _views(entry)
        elif isinstance(entry, URLPattern):
            cls = getattr(entry.callback, "cls", None) or getattr(entry.callback, "view_class", None)
            if cls is not None and hasattr(cls, "renderer_classes"):
                yield cls


def _renderer_lists():
    seen = {}
    for cls in _views():
        key = tuple(cls.renderer_classes)
        seen.setdefault(key, cls.__name__)
    return list(seen)


class _Csv(BaseRenderer):
    media_type, format = "text/csv", "csv"


class _JsonWithParams(JSONRenderer):
    media_type = "application/json; version=2"


class _Anything(BaseRenderer):
    media_type, format = "*/*", "any"


class _Application(BaseRenderer):
    media_type, format = "application/*", "app"


SYNTHETIC = [
    (_Csv, JSONRenderer),
    (_JsonWithParams, JSONRenderer),
    (_Anything, JSONRenderer),
    (_Application, JSONRenderer),
    (_Csv,),
    (BrowsableAPIRenderer, JSONRenderer),
]


def _answer(negotiation, request, renderers, suffix):
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except (exceptions.NotAcceptable, Http404) as error:
        return type(error).__name__
    return type(renderer), media_type


@pytest.mark.parametrize("renderer_classes", _renderer_lists() + SYNTHETIC, ids=str)
def test_quick_negotiation_answers_what_drf_answers(renderer_classes):
    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is QuickNegotiation
    factory = APIRequestFactory()
    checked = 0
    for accept in ACCEPTS:
        for query in QUERIES:
            for suffix in (None, "json"):
                extra = {} if accept is None else {"HTTP_ACCEPT": accept}
                request = Request(factory.get(f"/api/v1/x/{query}", **extra))
                renderers = [cls() for cls in renderer_classes]
                quick = _answer(QuickNegotiation(), request, renderers, suffix)
                request = Request(factory.get(f"/api/v1/x/{query}", **extra))
                drf = _answer(
                    DefaultContentNegotiation(), request, [cls() for cls in renderer_classes], suffix
                )
                assert quick == drf, (accept, query, suffix)
                checked += 1
    assert checked == len(ACCEPTS) * len(QUERIES) * 2
