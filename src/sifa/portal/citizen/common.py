"""Shared pieces of the citizen pages: rendering with care mode, error pages, who may use them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from sifa.accounts.models import AccountKind
from sifa.applications.uploads.errors import materials_rule, upload_rule
from sifa.core.errors import ServiceError
from sifa.core.identifiers import IdentifierError

CARE_COOKIE = "sifa_care"
"""关怀模式 is remembered per browser in this cookie ("1" = on); no account needed."""

CARE_COOKIE_AGE = 365 * 24 * 3600

APPLICANT_KINDS = (AccountKind.PERSON, AccountKind.COMPANY)


def care_mode_on(request: HttpRequest) -> bool:
    return request.COOKIES.get(CARE_COOKIE) == "1"


def page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """Render a citizen page; ``care_mode`` switches the 关怀模式 class on ``<body>``."""
    context.setdefault("care_mode", care_mode_on(request))
    context.setdefault("upload_rule", upload_rule())
    context.setdefault("materials_rule", materials_rule())
    context.setdefault("nav", "me")
    return render(request, template, context, status=status)


def error_page(request: HttpRequest, status: int, message: str, code: str = "") -> HttpResponse:
    titles = {404: "未找到您要访问的页面", 403: "无法办理", 409: "当前不能办理", 429: "请求过于频繁"}
    context = {"title": titles.get(status, "请求有误"), "message": message, "code": code}
    return page(request, "portal/citizen/error.html", context, status=status)


def service_errors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A refused command becomes a Chinese error page with its stable code (never a 500)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ServiceError as exc:
            return error_page(request, exc.status, exc.message, exc.code)
        except IdentifierError as exc:  # a malformed code in the path is just an unknown page
            return error_page(request, 404, exc.message, exc.code)

    return wrapper


def applicant_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-in citizens and companies (and their agents, who are citizens too); staff are sent
    to the workbench, which is where they act for walk-in applicants (一窗受理)."""

    @functools.wraps(view)
    @service_errors
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.kind not in APPLICANT_KINDS:
            return error_page(
                request,
                403,
                "“我的空间”和网上申请面向群众和企业。工作人员请在工作台通过窗口受理为申请人录入申请。",
                "portal.applicant_only",
            )
        return view(request, *args, **kwargs)

    return wrapper


def safe_next(request: HttpRequest, candidate: str, default: str = "/") -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def bound_fields(data: dict[str, str], errors: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each field's value and error for a template (``f.<name>.value`` / ``f.<name>.error``)."""
    return {name: {"value": value, "error": errors.get(name, "")} for name, value in data.items()}
