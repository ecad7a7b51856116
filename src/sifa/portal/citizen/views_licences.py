"""我的空间 → 电子证照: my licences, the sealed PDF, 用证授权 (grant with confirmation, revoke) and the
use log (国务院令716 §11; GB/T 36906 useCause).

Every read goes through ``sifa.licences.selectors`` (``my_licences`` / ``my_licence``: the holder's
own, a malformed or foreign identifier answers 404) and every change through the commands of
``sifa.licences.services`` (``grant`` / ``revoke_grant``). The grant form checks every field before the command so that all
problems are listed at once; the command stays the authority and its refusals land on the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from sifa.applications import selectors as app_selectors
from sifa.core.errors import NotFound, ServiceError
from sifa.core.identifiers import IdentifierError, validate_uscc
from sifa.licences import pdf as licence_pdf
from sifa.licences import selectors as licence_selectors
from sifa.licences import services as licence_services
from sifa.licences.models import Licence
from sifa.organisations import selectors as org_selectors
from sifa.organisations.models import Organisation
from sifa.organisations.scope import actor_for
from sifa.portal.citizen.common import applicant_required, bound_fields, page
from sifa.web.errors import error_list

GRANT_FIELDS = ("grantee", "organisation", "uscc", "application_number", "purpose", "valid_until")
GRANTEE_CHOICES = {"organisation": "司法行政机关", "application": "某一件办件（按办件编号）"}
USE_ACTIONS = {"download_pdf": "下载证照文件", "view": "查看证照", "once_only": "办事时免交材料（用证）"}

# Where a refusal of licence_services.grant belongs on the form (its stable codes).
CODE_FIELDS = {
    "licence.purpose_required": "purpose",
    "licence.purpose_too_long": "purpose",
    "licence.bad_validity": "valid_until",
    "licence.authorisation_too_long": "valid_until",
    "licence.grantee_required": "grantee",
    "licence.unknown_organisation": "organisation",
    "licence.unknown_application": "application_number",
}
ANCHORS = {"grantee": "#f-grantee", "organisation": "#f-organisation"}


def licence_row(licence: Licence) -> dict[str, Any]:
    status = licence.effective_status()
    return {
        "licence": licence,
        "status": status,
        "status_label": licence.effective_status_label(),
        "usable": licence.is_usable,
        "has_pdf": bool(licence.pdf_storage_key),
        "verify_path": f"/verify/{licence.identifier}",
    }


@never_cache
@require_safe
@applicant_required
def licences(request: HttpRequest) -> HttpResponse:
    rows = [licence_row(licence) for licence in licence_selectors.my_licences(request.user)]
    context = {"title": "我的电子证照", "rows": rows, "section": "licences"}
    return page(request, "portal/citizen/me_licences.html", context)


@never_cache
@require_safe
@applicant_required
def licence_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    licence = licence_selectors.my_licence(request.user, identifier)
    grants = licence.authorisations.select_related("grantee_organisation", "grantee_application")
    uses = [
        {"use": use, "action": USE_ACTIONS.get(use.action, use.action)}
        for use in licence_selectors.uses_for_holder(licence)[:100]
    ]
    context = {
        "title": f"{licence.name} {licence.number}",
        "row": licence_row(licence),
        "licence": licence,
        "grants": [{"grant": g, "active": g.is_active()} for g in grants],
        "uses": uses,
        "section": "licences",
    }
    return page(request, "portal/citizen/me_licence.html", context)


@require_safe
@applicant_required
def licence_file(request: HttpRequest, identifier: str) -> HttpResponse:
    """The sealed PDF of my licence, as an attachment (never rendered inline from our origin)."""
    licence = licence_selectors.my_licence(request.user, identifier)
    if not licence.pdf_storage_key:
        raise NotFound("该电子证照暂无版式文件（PDF），请稍后再试或联系颁发机构", "licence.no_pdf")
    response = HttpResponse(licence_pdf.read_pdf(licence), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="licence-{licence.number}-{licence.version:03d}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SM3"] = licence.pdf_sm3
    return response


def suggested_organisations(user: Any, licence: Licence) -> list[Organisation]:
    """The bodies a holder usually authorises: the issuer and the bodies above it, and the
    organisations handling my applications. Others are reached by their 统一社会信用代码."""
    chosen: dict[int, Organisation] = {}
    issuer_ids = [int(part) for part in licence.scope_path.strip("/").split("/") if part.isdigit()]
    for organisation in org_selectors.organisations().filter(pk__in=issuer_ids):
        chosen[organisation.pk] = organisation
    mine = app_selectors.applications(actor_for(user)).filter(applicant=user)
    for organisation in org_selectors.organisations().filter(pk__in=mine.values("accepting_organisation_id")):
        chosen[organisation.pk] = organisation
    return sorted(chosen.values(), key=lambda o: o.path)


def _parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def check_grant(data: dict[str, str], options: list[Organisation]) -> tuple[dict[str, str], dict[str, Any]]:
    """Every problem of the grant form at once, and the values ``licence_services.grant`` takes."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    grantee = data.get("grantee", "")
    if grantee not in GRANTEE_CHOICES:
        errors["grantee"] = "请选择授权给司法行政机关还是某一件办件"
    elif grantee == "organisation":
        organisation = _organisation_from(data, options, errors)
        if organisation is not None:
            values["organisation_id"] = organisation.pk
            values["organisation"] = organisation
    else:
        number = data.get("application_number", "").strip().upper()
        if not number:
            errors["application_number"] = "请填写被授权的办件编号"
        elif len(number) > 50:
            errors["application_number"] = "办件编号不超过50个字符"
        else:
            values["application_number"] = number
    purpose = data.get("purpose", "").strip()
    if not purpose:
        errors["purpose"] = "请填写用证事由"
    elif len(purpose) > licence_services.MAX_PURPOSE:
        errors["purpose"] = f"用证事由不能超过{licence_services.MAX_PURPOSE}字"
    values["purpose"] = purpose
    until = _parse_date(data.get("valid_until", ""))
    today = timezone.localdate()
    if until is None:
        errors["valid_until"] = "请按“年-月-日”填写授权截止日期，如 2026-12-31"
    elif until < today:
        errors["valid_until"] = "授权截止日期不能早于今天"
    elif until > today + dt.timedelta(days=licence_services.MAX_AUTHORISATION_DAYS):
        errors["valid_until"] = "用证授权最长一年，请缩短授权期限"
    values["valid_until"] = until
    return errors, values


def _organisation_from(
    data: dict[str, str], options: list[Organisation], errors: dict[str, str]
) -> Organisation | None:
    code = data.get("uscc", "").strip().upper()
    if code:
        try:
            code = validate_uscc(code)
        except IdentifierError as exc:
            errors["uscc"] = exc.message
            return None
        organisation = org_selectors.organisations().filter(uscc=code).first()
        if organisation is None:
            errors["uscc"] = "没有使用该统一社会信用代码的司法行政机关，请核对"
        return organisation
    picked = data.get("organisation", "")
    organisation = next((o for o in options if str(o.pk) == picked), None)
    if organisation is None:
        errors["organisation"] = "请选择被授权的机关，或填写其统一社会信用代码"
    return organisation


def _form_context(request: HttpRequest, licence: Licence, options: list, data: dict, errors: dict) -> dict:
    return {
        "title": "用证授权",
        "licence": licence,
        "options": options,
        "f": bound_fields(data, errors),
        "errors": error_list(errors, ANCHORS),
        "grantee_choices": GRANTEE_CHOICES,
        "today": timezone.localdate(),
        "last_day": timezone.localdate() + dt.timedelta(days=licence_services.MAX_AUTHORISATION_DAYS),
        "max_purpose": licence_services.MAX_PURPOSE,
        "section": "licences",
    }


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def authorise(request: HttpRequest, identifier: str) -> HttpResponse:
    """用证授权 in two steps: the form, then 确认授权 (the values ride along as hidden fields)."""
    licence = licence_selectors.my_licence(request.user, identifier)
    if not licence.is_usable:
        raise ServiceError(
            "licence.not_usable",
            f"该证照当前状态为“{licence.effective_status_label()}”，不能授权使用",
            status=409,
        )
    options = suggested_organisations(request.user, licence)
    if request.method != "POST" or "edit" in request.POST:
        data = {name: request.POST.get(name, "") for name in GRANT_FIELDS}
        return page(
            request,
            "portal/citizen/me_licence_authorise.html",
            _form_context(request, licence, options, data, {}),
        )
    data = {name: request.POST.get(name, "") for name in GRANT_FIELDS}
    errors, values = check_grant(data, options)
    if errors:
        context = _form_context(request, licence, options, data, errors)
        return page(request, "portal/citizen/me_licence_authorise.html", context, status=400)
    if "confirm" not in request.POST:
        context = {
            "title": "确认用证授权",
            "licence": licence,
            "data": data,
            "values": values,
            "section": "licences",
        }
        return page(request, "portal/citizen/me_licence_authorise_confirm.html", context)
    try:
        licence_services.grant(
            licence,
            holder=request.user,
            purpose=values["purpose"],
            valid_until=values["valid_until"],
            organisation_id=values.get("organisation_id"),
            application_number=values.get("application_number"),
        )
    except ServiceError as exc:
        field = CODE_FIELDS.get(exc.code)
        if field is None:
            raise
        context = _form_context(request, licence, options, data, {field: exc.message})
        return page(request, "portal/citizen/me_licence_authorise.html", context, status=400)
    messages.success(request, "用证授权已生效。您可随时撤销。")
    return redirect("citizen-licence", identifier=licence.identifier)


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def revoke(request: HttpRequest, identifier: str, authorisation_id: str) -> HttpResponse:
    licence = licence_selectors.my_licence(request.user, identifier)
    grant = next((g for g in licence.authorisations.all() if str(g.pk) == authorisation_id), None)
    if grant is None:
        raise NotFound("未找到该用证授权", "licence.authorisation_not_found")
    if request.method == "POST":
        licence_services.revoke_grant(licence, authorisation_id, holder=request.user)
        messages.success(request, "已撤销该用证授权。")
        return redirect("citizen-licence", identifier=licence.identifier)
    context = {"title": "撤销用证授权", "licence": licence, "grant": grant, "section": "licences"}
    return page(request, "portal/citizen/me_licence_revoke.html", context)
