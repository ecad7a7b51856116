"""Tracking without login (办件查询) and the 关怀模式 switch.

Tracking is a POST so that the query code never lands in an address bar, a history list or a
server log. An unknown number and a wrong code give the same message and status (the selector
compares in constant time), and each client address gets 30 failed lookups a minute, like the API
(after them every lookup is refused, a right code too; one that finds the case is not counted).
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from sifa.applications import selectors
from sifa.applications.serializers import tracking
from sifa.core.api import throttles
from sifa.core.errors import NotFound
from sifa.portal.citizen.common import CARE_COOKIE, CARE_COOKIE_AGE, page, safe_next
from sifa.web.errors import error_list

TRACK_RATE = "30/m"


class TrackThrottle(throttles.FailureThrottle):
    """The 办件查询 form's failed lookups (unknown number or wrong code) per client address, signed
    in or not, counted in the shared limits store: every POST looks, once 30 failures are in the
    window every POST is refused, a right code too, and a lookup that finds the case writes
    nothing (docs/adr/0012-count-only-failed-progress-queries.md)."""

    scope = "portal_track"
    rate = TRACK_RATE


NOT_FOUND_MESSAGE = "办件编号或查询码不正确，请核对后重新输入"


class TrackForm(forms.Form):
    number = forms.CharField(
        label="办件编号",
        max_length=50,
        error_messages={"required": "请输入办件编号", "max_length": "办件编号不超过50个字符"},
    )
    code = forms.CharField(
        label="查询码",
        max_length=20,
        error_messages={"required": "请输入查询码", "max_length": "查询码不超过20个字符"},
    )

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST if request.method == "POST" else None)
    context = {"title": "办件查询", "form": form, "nav": "track", "result": None, "errors": []}
    if request.method != "POST":
        return page(request, "portal/citizen/track.html", context)
    if not TrackThrottle().allow_request(request, None):  # looks only: failed lookups are counted
        return _limited(request, context)
    if not form.is_valid():
        errors = {name: " ".join(messages) for name, messages in form.errors.items()}
        context["errors"] = error_list(errors)
        return page(request, "portal/citizen/track.html", context, status=400)
    try:
        app = selectors.track(form.cleaned_data["number"], form.cleaned_data["code"])
    except NotFound:
        if not TrackThrottle().count_failure(request, None):  # the failures reached the rate meanwhile
            return _limited(request, context)
        context["errors"] = [{"href": "#f-number", "message": NOT_FOUND_MESSAGE}]
        return page(request, "portal/citizen/track.html", context, status=404)
    context["result"] = tracking(app)
    context["form"] = TrackForm()
    return page(request, "portal/citizen/track.html", context)


def _limited(request: HttpRequest, context: dict) -> HttpResponse:
    context["errors"] = [{"href": "#f-number", "message": "查询过于频繁，请一分钟后再试"}]
    return page(request, "portal/citizen/track.html", context, status=429)


@require_POST
def care_mode(request: HttpRequest) -> HttpResponse:
    """Switch 关怀模式 on or off for this browser (a cookie, so it works without login or JS)."""
    response = redirect(safe_next(request, request.POST.get("next", ""), "/"))
    if request.POST.get("care") == "on":
        response.set_cookie(CARE_COOKIE, "1", max_age=CARE_COOKIE_AGE, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(CARE_COOKIE, samesite="Lax")
    return response
