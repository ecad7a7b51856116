"""Sifa's URLs plus ``/bench/hello``: the framework-floor view that workloads are divided by."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from sifa.conf.urls import urlpatterns as sifa_urlpatterns


def hello(request: HttpRequest) -> JsonResponse:
    """The cheapest Django view: full middleware stack, no database, a tiny JSON body."""
    return JsonResponse({"hello": "world"})


urlpatterns = [path("bench/hello", hello, name="bench-hello"), *sifa_urlpatterns]
