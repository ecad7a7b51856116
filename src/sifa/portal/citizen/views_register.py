"""注册: a citizen (自然人) or a company (法人) opens an account, then is logged in.

The accounts services decide (``register_person`` / ``register_company`` check every field and
report all problems at once); this page shows them in an error summary linked to the fields.
After the account exists the new user is logged in through ``login_with_password``, so the login
is audited and counted like any other. Registrations share the API's limit per client address.
A person ticks the 公民身份号码 separate consent (个人信息保护法 §29), unticked by default; the page
sends the version of the text it showed, and the service records it (or lists the missing tick
with the other errors).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.accounts import consents
from sifa.accounts import services as account_services
from sifa.accounts.api import RegistrationThrottle
from sifa.accounts.models import ConsentChannel
from sifa.core.errors import ServiceError
from sifa.portal.citizen.common import bound_fields, page, safe_next
from sifa.web.errors import error_list

PERSON_FIELDS = ("name", "id_number", "phone", "password", "region_code", "id_number_consent")
COMPANY_FIELDS = ("name", "uscc", "legal_representative", "phone", "password", "region_code")

# A refusal without a field (a duplicate found after the field checks) still belongs to one.
CONFLICT_FIELDS = {
    "account.duplicate_id_number": "id_number",
    "account.duplicate_uscc": "uscc",
    "account.duplicate_phone": "phone",
    "account.duplicate": "phone",
}


def _field_errors(exc: ServiceError, fields: tuple[str, ...]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in exc.errors or [{"field": CONFLICT_FIELDS.get(exc.code, ""), "message": exc.message}]:
        field = item.get("field") if item.get("field") in fields else fields[0]
        errors[field] = f"{errors[field]}；{item['message']}" if field in errors else item["message"]
    return errors


def _register(kind: str, data: dict[str, str]):
    if kind == "company":
        return account_services.register_company(**data)
    return account_services.register_person(**data, channel=ConsentChannel.WEB)


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, kind: str = "person") -> HttpResponse:
    fields = COMPANY_FIELDS if kind == "company" else PERSON_FIELDS
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next", ""), "/me/")
    data = {name: request.POST.get(name, "") for name in fields}
    if kind != "company":
        # The §29 separate consent: an unticked box sends nothing; ticked, it sends the version of
        # the text the page showed (a stale version is asked again with today's text).
        data["id_number_consent"] = (
            request.POST.get("id_number_consent_version", "") if request.POST.get("id_number_consent") else ""
        )
    shown = {**data, "password": "", "id_number_consent": ""}  # never sent back ticked
    context = {
        "title": "法人注册" if kind == "company" else "个人注册",
        "kind": kind,
        "f": bound_fields(shown, {}),
        "errors": [],
        "next": next_url,
        "nav": "register",
        "id_number_consent": consents.current(consents.REGISTER_ID_NUMBER),
    }
    if request.method != "POST":
        return page(request, "portal/citizen/register.html", context)
    if not RegistrationThrottle().allow_request(request, None):
        context["errors"] = [{"href": "#f-name", "message": "注册过于频繁，请稍后再试"}]
        return page(request, "portal/citizen/register.html", context, status=429)
    try:
        _register(kind, data)
    except ServiceError as exc:
        errors = _field_errors(exc, fields)
        context["f"] = bound_fields(shown, errors)
        context["errors"] = error_list(errors)
        return page(request, "portal/citizen/register.html", context, status=exc.status)
    try:
        result = account_services.login_with_password(
            request, identifier=data["phone"], password=data["password"]
        )
    except ServiceError:
        # The account exists; only the automatic login was refused (e.g. a lockout on this address).
        messages.success(request, "注册成功，请使用手机号码和密码登录。")
        return redirect(f"{reverse('accounts-login')}?{urlencode({'next': next_url})}")
    login(request, result.user)
    messages.success(request, "注册成功，已为您登录。")
    return redirect(next_url)
