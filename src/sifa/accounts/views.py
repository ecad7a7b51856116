"""The account pages: sign in (citizens by password or SMS code, staff by password + TOTP), sign out,
账户与安全, 忘记密码, 修改密码, 更换手机号码, 详细地址, and the session keep-alive of the idle warning.

Server-rendered, GOV.UK-style (error summary, labels, hints), no inline script or style (CSP
forbids both); every page works without JavaScript. The pages use the portal's look through its
templates (``portal/citizen/layout.html``); the staff sign-in page the workbench's. The commands
are :mod:`sifa.accounts.services`; these views only read forms and show answers.

Sessions end server-side after ``SIFA_SESSION_IDLE_SECONDS`` without a request (the session row
expires; every request renews it). With JavaScript, ``accounts/session.js`` warns two minutes
before (继续 renews the session with :func:`keep_alive`, 退出 signs out).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from sifa.accounts import forms, services
from sifa.accounts.middleware import signed_out_for_idleness
from sifa.accounts.models import AccountKind
from sifa.accounts.services.common import normalize_phone
from sifa.core.errors import ServiceError
from sifa.core.masking import mask_phone
from sifa.organisations import places

RESET_PHONE = "sifa_reset_phone"
SMS_LOGIN_PHONE = "sifa_sms_login_phone"
NEW_PHONE = "sifa_new_phone"
"""Session keys holding the number of a two-step form between its pages (never shown in full)."""


def _next_url(request: HttpRequest, default: str = "") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _home_of(user) -> str:
    return "/workbench/" if user.is_superuser or user.kind == AccountKind.STAFF else "/me/"


def _posted(request: HttpRequest):
    """The form data of a POST (an empty one too: its fields are then missing), else None."""
    return request.POST if request.method == "POST" else None


def _client(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or ""


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    form = context.get("form")
    if form is not None:
        form.describe()
        context.setdefault("errors", form.summary())
    context.setdefault("nav", "login")
    context.setdefault("idle_minutes", settings.SESSION_COOKIE_AGE // 60)
    return render(request, template, context, status=status)


def _status(form: forms.PageForm, exc: ServiceError | None = None) -> int:
    if exc is not None and exc.status == 429:
        return 429
    return 400 if form.errors else 200


def _with_next(name: str, next_url: str, *, timed_out: bool = False) -> str:
    url = reverse(name)
    query = {"timeout": "1"} if timed_out else {}
    if next_url:
        query["next"] = next_url
    return f"{url}?{urlencode(query)}" if query else url


def _timed_out(request: HttpRequest) -> bool:
    """Whether the sign-in page says the session ended for idleness: the idle warning's
    ``?timeout=1`` (with JavaScript), or the signed-in session of this browser ended by itself
    (:mod:`sifa.accounts.middleware`, also without JavaScript). Only a notice: nothing else follows
    from the flag."""
    shown = request.GET.get("timeout") == "1" or signed_out_for_idleness(request)
    if shown:
        request.idle_notice_shown = True
    return shown


def _sign_in(request: HttpRequest, result, next_url: str) -> HttpResponse:
    login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    if result.device is not None:
        otp_login(request, result.device)
    return redirect(next_url or _home_of(result.user))


# --- sign in ---------------------------------------------------------------------------------------


def _password_login(request: HttpRequest, *, staff: bool) -> HttpResponse:
    next_url = _next_url(request)
    if not staff and request.method == "GET" and next_url.startswith("/workbench/"):
        timed_out = request.GET.get("timeout") == "1"
        return redirect(_with_next("accounts-login-staff", next_url, timed_out=timed_out))
    form_class = forms.StaffLoginForm if staff else forms.LoginForm
    form = form_class(_posted(request))
    exc = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.login_with_password(
                request,
                identifier=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                totp=form.cleaned_data["totp"],
            )
        except ServiceError as error:
            exc = error
            form.add_error(None, error.message)
        else:
            return _sign_in(request, result, next_url)
    template = "accounts/login_staff.html" if staff else "accounts/login.html"
    context = {
        "form": form,
        "next": next_url,
        "staff_hint": exc is not None and exc.code == "auth.totp_required" and not staff,
        "timed_out": request.method == "GET" and _timed_out(request),
        "method": "password",
    }
    return _page(request, template, context, status=_status(form, exc))


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Citizens and companies: phone number and password."""
    return _password_login(request, staff=False)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def staff_login_view(request: HttpRequest) -> HttpResponse:
    """Staff: username, password and the TOTP code (two factors, 等保 2.0 身份鉴别)."""
    return _password_login(request, staff=True)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def sms_login_view(request: HttpRequest) -> HttpResponse:
    """Citizens: a code sent to the phone. Step 1 asks the number (``action=send``), step 2 the code."""
    next_url = _next_url(request)
    phone = request.session.get(SMS_LOGIN_PHONE, "")
    step = "code" if phone and request.GET.get("change") != "1" else "phone"
    exc = None
    if request.method == "POST" and request.POST.get("action") == "send":
        step = "phone"
        form = forms.PhoneForm(request.POST)
        if form.is_valid():
            try:
                services.send_sms_code(form.cleaned_data["phone"], client=_client(request))
            except ServiceError as error:
                exc = error
                form.add_error("phone", error.message)
            else:
                request.session[SMS_LOGIN_PHONE] = normalize_phone(form.cleaned_data["phone"])
                messages.success(request, "如果该号码已注册，验证码已发送，5分钟内有效。")
                return redirect(_with_next("accounts-login-sms", next_url))
    elif step == "code":
        form = forms.SmsLoginForm(_posted(request))
        if request.method == "POST" and form.is_valid():
            try:
                result = services.login_with_sms_code(request, phone=phone, code=form.cleaned_data["code"])
            except ServiceError as error:
                exc = error
                form.add_error("code", error.message)
            else:
                request.session.pop(SMS_LOGIN_PHONE, None)
                return _sign_in(request, result, next_url)
    else:
        form = forms.PhoneForm()
    context = {
        "form": form,
        "step": step,
        "phone_masked": mask_phone(phone) if phone else "",
        "next": next_url,
        "method": "sms",
    }
    return _page(request, "accounts/login_sms.html", context, status=_status(form, exc))


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    """Ends the session on the server (the row is deleted, the cookie cleared)."""
    staff = request.user.is_authenticated and _home_of(request.user) == "/workbench/"
    if request.user.is_authenticated:
        services.record_logout(request.user)
    logout(request)
    messages.success(request, "您已安全退出。如果使用的是公共电脑，请关闭浏览器。")
    return redirect("accounts-login-staff" if staff else "accounts-login")


@require_GET
def keep_alive(request: HttpRequest) -> HttpResponse:
    """The idle warning's 继续: any request renews the session; this one answers 204 (or 401
    when the session has already ended)."""
    response = HttpResponse(status=204 if request.user.is_authenticated else 401)
    response["Cache-Control"] = "no-store"
    return response


# --- 账户与安全 ------------------------------------------------------------------------------------


@never_cache
@login_required
def me_view(request: HttpRequest) -> HttpResponse:
    """账户与安全: who is signed in (masked identifiers only) and what they can change."""
    person = _own_person(request.user)
    context = {"account": request.user, "home": _home_of(request.user), "nav": "account", "person": person}
    if person is not None:
        context["region_label"] = places.full_label(places.own_region(request.user))
    return _page(request, "accounts/me.html", context)


def _own_person(user):
    """The signed-in citizen's 自然人 record, or None (companies, staff)."""
    return getattr(user, "person", None) if user.kind == AccountKind.PERSON else None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def change_address_view(request: HttpRequest) -> HttpResponse:
    """详细地址: the street and number below the registered region; fills the address of applications."""
    person = _own_person(request.user)
    if person is None:
        messages.info(request, "只有个人账户可以填写详细地址。")
        return redirect("accounts-me")
    initial = None if request.method == "POST" else {"address": person.reveal_address()}
    form = forms.AddressForm(_posted(request), initial=initial)
    exc = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.change_address(request.user, address=form.cleaned_data["address"])
        except ServiceError as error:
            exc = error
            form.add_service_error(error)
        else:
            done = f"详细地址已保存：{saved.address_masked}" if saved.address_masked else "详细地址已删除。"
            messages.success(request, done)
            return redirect("accounts-me")
    context = {
        "form": form,
        "nav": "account",
        "region_label": places.full_label(places.own_region(request.user)),
    }
    return _page(request, "accounts/address.html", context, _status(form, exc))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def change_password_view(request: HttpRequest) -> HttpResponse:
    form = forms.ChangePasswordForm(_posted(request))
    exc = None
    if request.method == "POST" and form.is_valid():
        try:
            services.change_password(request.user, **_password_args(form))
        except ServiceError as error:
            exc = error
            form.add_service_error(error)
        else:
            update_session_auth_hash(request, request.user)  # this session stays; the others end
            messages.success(request, "密码已修改。其他设备上的登录已失效。")
            return redirect("accounts-me")
    return _page(
        request, "accounts/password_change.html", {"form": form, "nav": "account"}, _status(form, exc)
    )


def _password_args(form: forms.ChangePasswordForm) -> dict[str, str]:
    return {
        "current": form.cleaned_data["current_password"],
        "password": form.cleaned_data["password"],
        "password_confirm": form.cleaned_data["password_confirm"],
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def change_phone_view(request: HttpRequest) -> HttpResponse:
    """Step 1: the new number and the password; the code goes to the new number."""
    form = forms.ChangePhoneForm(_posted(request))
    exc = None
    if request.method == "POST" and form.is_valid():
        try:
            phone = services.send_phone_change_code(
                request.user,
                new_phone=form.cleaned_data["new_phone"],
                current=form.cleaned_data["current_password"],
                client=_client(request),
            )
        except ServiceError as error:
            exc = error
            form.add_service_error(error)
        else:
            request.session[NEW_PHONE] = phone
            messages.success(request, f"验证码已发送到 {mask_phone(phone)}，5分钟内有效。")
            return redirect("accounts-phone-confirm")
    context = {"form": form, "nav": "account", "account": request.user}
    return _page(request, "accounts/phone_change.html", context, _status(form, exc))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def confirm_phone_view(request: HttpRequest) -> HttpResponse:
    """Step 2: the code sent to the new number."""
    phone = request.session.get(NEW_PHONE, "")
    if not phone:
        return redirect("accounts-phone-change")
    form = forms.ConfirmPhoneForm(_posted(request))
    exc = None
    if request.method == "POST" and form.is_valid():
        try:
            services.change_phone(request.user, new_phone=phone, code=form.cleaned_data["code"])
        except ServiceError as error:
            exc = error
            form.add_service_error(error)
        else:
            request.session.pop(NEW_PHONE, None)
            messages.success(request, f"手机号码已更换为 {mask_phone(phone)}，请用新号码登录。")
            return redirect("accounts-me")
    context = {"form": form, "nav": "account", "phone_masked": mask_phone(phone)}
    return _page(request, "accounts/phone_confirm.html", context, _status(form, exc))


# --- 忘记密码 ---------------------------------------------------------------------------------------


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def forgot_password_view(request: HttpRequest) -> HttpResponse:
    """Step 1: the number. The answer is the same whether or not it has an account."""
    form = forms.PhoneForm(_posted(request))
    exc = None
    if request.method == "POST" and form.is_valid():
        try:
            services.send_reset_code(form.cleaned_data["phone"], client=_client(request))
        except ServiceError as error:
            exc = error
            form.add_error("phone", error.message)
        else:
            request.session[RESET_PHONE] = normalize_phone(form.cleaned_data["phone"])
            return redirect("accounts-password-reset")
    return _page(request, "accounts/password_forgot.html", {"form": form}, _status(form, exc))


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def reset_password_view(request: HttpRequest) -> HttpResponse:
    """Step 2: the code and the new password; then sign in with it."""
    phone = request.session.get(RESET_PHONE, "")
    if not phone:
        return redirect("accounts-password-forgot")
    form = forms.ResetForm(_posted(request))
    exc = None
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(phone=phone, **form.cleaned_data)
        except ServiceError as error:
            exc = error
            form.add_service_error(error)
        else:
            request.session.pop(RESET_PHONE, None)
            messages.success(request, "密码已重新设置，请用新密码登录。")
            return redirect("accounts-login")
    context = {"form": form, "phone_masked": mask_phone(phone)}
    return _page(request, "accounts/password_reset.html", context, _status(form, exc))
