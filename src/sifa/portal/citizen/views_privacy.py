"""授权与个人数据: the citizen's consents (个人信息保护法 §14, §15, §29) with the exact text and
version they agreed to, withdrawal after a page that explains what it changes, giving the ID-number
consent again; the copy of all their data as JSON (§45); the retention table (§17, §19).

Every address names only the caller's own rows (a consent record of someone else is a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sifa.accounts import consents
from sifa.accounts import selectors as account_selectors
from sifa.accounts import services as account_services
from sifa.accounts.models import ConsentChannel
from sifa.core.errors import Conflict, NotFound
from sifa.portal.citizen.common import applicant_required, page
from sifa.privacy import retention
from sifa.privacy.api import export_response


@never_cache
@require_safe
@applicant_required
def privacy(request: HttpRequest) -> HttpResponse:
    rows = account_selectors.consent_rows(request.user)
    id_number = consents.current(consents.REGISTER_ID_NUMBER)
    context = {
        "title": "授权与个人数据",
        "section": "privacy",
        "rows": rows,
        "id_number_consent": id_number,
        "id_number_withdrawn": account_selectors.has_withdrawn(request.user, consents.REGISTER_ID_NUMBER),
        "retention": retention.RULES,
    }
    return page(request, "portal/citizen/me_privacy.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def withdraw(request: HttpRequest, consent_id: str) -> HttpResponse:
    """The consequence first, then withdrawing is one button (as easy as giving it, §15)."""
    row = next((r for r in account_selectors.consent_rows(request.user) if str(r["id"]) == consent_id), None)
    if row is None:
        raise NotFound()
    if row["withdrawn_at"] is not None:
        raise Conflict("consent.already_withdrawn", "该同意已经撤回")
    if request.method == "POST":
        account_services.withdraw_consent(request.user, consent_id, channel=ConsentChannel.WEB)
        messages.success(request, f"已撤回“{row['title']}”。")
        return redirect("citizen-privacy")
    if not row["withdrawable"]:
        raise Conflict(
            "consent.withdraw_on_application", "该同意针对一件申请，请在该申请的材料页取消勾选撤回"
        )
    return page(
        request,
        "portal/citizen/me_consent_withdraw.html",
        {"title": "撤回同意", "row": row, "section": "privacy"},
    )


@require_POST
@applicant_required
def give(request: HttpRequest) -> HttpResponse:
    """Giving the ID-number consent again (after withdrawing it): the box ticked, today's version."""
    if not request.POST.get("consent"):
        messages.error(request, "请勾选同意后再提交")
        return redirect("citizen-privacy")
    account_services.give_consent_again(
        request.user,
        request.POST.get("code", ""),
        version=request.POST.get("version", ""),
        channel=ConsentChannel.WEB,
    )
    messages.success(request, "已记录您的同意。")
    return redirect("citizen-privacy")


@never_cache
@require_safe
@applicant_required
def export(request: HttpRequest) -> HttpResponse:
    return export_response(request.user)
