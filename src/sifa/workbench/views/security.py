"""安全事件 pages for the security administrator (三员分立: only 安全管理员; everyone else 404):
the incidents of my jurisdiction (open ones first, then by severity), an incident with its
events and timeline, and the actions 确认 / 处置（记录措施）/ 关闭（处置结果）as plain HTML forms;
the 安全周报 of my jurisdictions (list, printable detail); and 解除登录限制 (an account in my
jurisdiction, or an address), the page form of ``sifa lift-login-limits``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sifa.accounts.services import backoff
from sifa.core.errors import NotFound, ServiceError
from sifa.security import selectors
from sifa.security import services as security
from sifa.security.models import IncidentStatus
from sifa.security.services.incidents import NOTE_MAX
from sifa.workbench.access import can_handle_incidents, staff_required
from sifa.workbench.views.common import error_summary, page, paginate


class MeasuresForm(forms.Form):
    measures = forms.CharField(
        label="处置措施",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="已采取的措施，例如：已解除该账户登录限制并通知本人修改密码；已封禁来源地址。",
        error_messages={"required": "请填写处置措施", "max_length": "处置措施不能超过 %(limit_value)d 字"},
    )


class OutcomeForm(forms.Form):
    outcome = forms.CharField(
        label="处置结果",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="结论和遗留问题，例如：确认为撞库攻击，未造成账户被盗。",
        error_messages={"required": "请填写处置结果", "max_length": "处置结果不能超过 %(limit_value)d 字"},
    )


def _security_admin_only(request: HttpRequest) -> None:
    if not can_handle_incidents(request.actor):
        raise Http404("未找到该页面")


@require_safe
@staff_required
def incidents_view(request: HttpRequest) -> HttpResponse:
    _security_admin_only(request)
    return page(
        request,
        "workbench/security/incidents.html",
        {"nav": "security", "page_obj": paginate(request, selectors.visible_incidents(request.actor))},
    )


def _detail(request: HttpRequest, incident, *, status: int = 200, **extra) -> HttpResponse:
    context = {
        "nav": "security",
        "incident": incident,
        "timeline": selectors.timeline(incident),
        "events": selectors.recent_events(incident),
        "can_acknowledge": incident.status == IncidentStatus.NEW,
        "can_handle": incident.status in (IncidentStatus.ACKNOWLEDGED, IncidentStatus.HANDLING),
        "measures_form": extra.pop("measures_form", None) or MeasuresForm(),
        "outcome_form": extra.pop("outcome_form", None) or OutcomeForm(),
        **extra,
    }
    return page(request, "workbench/security/incident.html", context, status=status)


def _incident(request: HttpRequest, public_id):
    incident = selectors.incident_for(request.actor, public_id)
    if incident is None:
        raise Http404("未找到该安全事件单")
    return incident


@require_safe
@staff_required
def incident_view(request: HttpRequest, public_id) -> HttpResponse:
    _security_admin_only(request)
    return _detail(request, _incident(request, public_id))


FORMS: dict[str, tuple[type[forms.Form] | None, str, str]] = {
    "acknowledge": (None, "measures_form", "已确认该安全事件，您是负责人。"),
    "handle": (MeasuresForm, "measures_form", "已记录处置措施。"),
    "close": (OutcomeForm, "outcome_form", "已关闭该安全事件。"),
}


@require_POST
@staff_required
def incident_action_view(request: HttpRequest, public_id, key: str) -> HttpResponse:
    _security_admin_only(request)
    incident = _incident(request, public_id)
    if key not in FORMS:
        raise Http404("未找到该操作")
    form_class, slot, done = FORMS[key]
    form = form_class(request.POST) if form_class else None
    bound = {slot: form} if form is not None else {}
    if form is not None and not form.is_valid():
        return _detail(request, incident, status=400, errors=error_summary(form), **bound)
    try:
        if key == "acknowledge":
            security.acknowledge(request.user, incident.public_id)
        elif key == "handle":
            security.handle(request.user, incident.public_id, form.cleaned_data["measures"])
        else:
            security.close(request.user, incident.public_id, form.cleaned_data["outcome"])
    except NotFound:
        raise Http404("未找到该安全事件单") from None
    except ServiceError as refused:
        incident.refresh_from_db()
        status = 409 if refused.status == 409 else 400
        return _detail(request, incident, status=status, errors=error_summary(form, refused), **bound)
    messages.success(request, done)
    return redirect("workbench-security-incident", public_id=incident.public_id)


@require_safe
@staff_required
def reports_view(request: HttpRequest) -> HttpResponse:
    _security_admin_only(request)
    return page(
        request,
        "workbench/security/reports.html",
        {"nav": "security", "page_obj": paginate(request, selectors.visible_reports(request.actor))},
    )


@require_safe
@staff_required
def report_view(request: HttpRequest, public_id) -> HttpResponse:
    _security_admin_only(request)
    report = selectors.report_for(request.actor, public_id)
    if report is None:
        raise Http404("未找到该安全周报")
    return page(
        request,
        "workbench/security/report.html",
        {"nav": "security", "report": report, "f": report.figures},
    )


class LiftLimitsForm(forms.Form):
    username = forms.CharField(
        label="账户用户名",
        required=False,
        max_length=150,
        help_text="解除该账户在所有地址的登录锁定和跨地址退避。",
    )
    address = forms.GenericIPAddressField(
        label="来源地址",
        required=False,
        help_text="解除从该地址登录的所有账户的锁定，例如 198.51.100.7。",
        error_messages={"invalid": "请输入有效的 IPv4 或 IPv6 地址"},
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("username")) == bool(data.get("address")):
            raise forms.ValidationError("请填写账户用户名或来源地址（二者填一项）")
        return data


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required
def login_limits_view(request: HttpRequest) -> HttpResponse:
    _security_admin_only(request)
    form = LiftLimitsForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if form.cleaned_data["username"]:
                    done = backoff.lift_username(form.cleaned_data["username"].strip(), by=request.user)
                else:
                    done = backoff.lift_address(form.cleaned_data["address"], by=request.user)
            except ServiceError as refused:
                status = refused.status if refused.status in (403, 404) else 400
                return page(
                    request,
                    "workbench/security/login_limits.html",
                    {"nav": "security", "form": form, "errors": error_summary(form, refused)},
                    status=status,
                )
            messages.success(request, done)
            return redirect("workbench-security-login-limits")
        status = 400
    context = {"nav": "security", "form": form}
    if status == 400:
        context["errors"] = error_summary(form)
    return page(request, "workbench/security/login_limits.html", context, status=status)
