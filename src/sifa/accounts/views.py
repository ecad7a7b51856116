"""Login and logout pages (server-rendered, no inline script or style: CSP forbids both)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from sifa.accounts import services
from sifa.accounts.forms import LoginForm
from sifa.core.errors import ServiceError


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return "/accounts/me/"


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = services.login_with_password(
                request,
                identifier=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                totp=form.cleaned_data["totp"],
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
            status = exc.status if exc.status == 429 else 400
        else:
            login(request, result.user)
            if result.device is not None:
                otp_login(request, result.device)
            return redirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    context = {"form": form, "next": _next_url(request), "idle_minutes": settings.SESSION_COOKIE_AGE // 60}
    return render(request, "accounts/login.html", context, status=status)


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.record_logout(request.user)
    logout(request)
    return redirect("accounts-login")


@never_cache
@login_required
def me_view(request: HttpRequest) -> HttpResponse:
    """A minimal "my account" page: who is logged in, masked identifiers only."""
    return render(request, "accounts/me.html", {"account": request.user})
