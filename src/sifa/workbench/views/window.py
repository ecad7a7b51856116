"""窗口受理 (一窗受理): a window clerk files an application for a walk-in applicant and prints the
receipt (回执).

start (item) → identity and receiving organisation → 情形 → form steps → scanned materials → 领取地点
(where the applicant collects the result; this window by default) → check and submit → receipt;
``correction/`` answers a 一次性告知书 (补正) for the walk-in. The form pages are the citizen's own apply journey (``sifa.web.journey``: the
same JSON-Schema form, checklist and upload gate) under the workbench's addresses and frame.
Every step is a plain GET/POST and writes only through ``sifa.applications.services`` (each
command audited). Submitting carries an Idempotency-Key derived from the draft, so a double click
or a reload replays the first answer — one application, one number, one query code — and the
receipt reads the query code back from that answer, so it can be reprinted.

``rating/`` asks the person just served to rate the visit; ``rating/back-entry/`` enters ratings
collected on paper cards or an offline 评价器, as of the card's date (离线补录).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from sifa.applications import selectors, services
from sifa.applications.models import Application, ApplicationStatus, SubmissionChannel
from sifa.applications.services.drafts import PRE_ACCEPTANCE
from sifa.applications.uploads import attachment_response
from sifa.catalogue import guides
from sifa.catalogue import selectors as catalogue_selectors
from sifa.catalogue.models import ItemType, LimitStart
from sifa.catalogue.processes import process_available
from sifa.core.errors import NotFound, ServiceError
from sifa.evaluation import selectors as evaluation_selectors
from sifa.evaluation import services as evaluation
from sifa.evaluation.models import Channel as RatingChannel
from sifa.evaluation.models import EntrySource
from sifa.evaluation.models import Level as RatingLevel
from sifa.web.correction import correction_page
from sifa.web.journey import Journey, Routes, checklist, flow
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.forms_window import COMPANY, ItemChoiceForm, WalkInForm
from sifa.workbench.views.common import error_summary, page, paginate
from sifa.workflow.selectors import pickup_windows, window_deliveries

ROUTES = Routes(
    situations="workbench-window-situations",
    form="workbench-window-form",
    materials="workbench-window-materials",
    check="workbench-window-check",
    file_url=lambda app, file_id: reverse("workbench-window-file", args=[app.pk, file_id]),
    pickup="workbench-window-pickup",
    pickup_windows=pickup_windows,
)

PREFILL = {
    "person": {"applicant_name": "name", "id_number": "id_number", "phone": "phone"},
    COMPANY: {"organisation_name": "name", "uscc": "uscc", "phone": "phone"},
}
"""Form fields filled from the identity the clerk has just typed (when the item's form has them)."""


WITHDRAWABLE = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CORRECTION_REQUIRED,
    ApplicationStatus.PENDING_ACCEPTANCE,
)
"""Submitted walk-ins the window may withdraw at the applicant's request (before acceptance:
``applications.services.withdraw``); a draft is withdrawn from the list of the clerk's walk-ins."""


def _window_page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200):
    return page(request, template, {"nav": "window", **context}, status=status)


def _refused(request: HttpRequest, error: ServiceError) -> HttpResponse:
    """A command refused for a reason the clerk cannot fix on the page: its message and status."""
    return _window_page(
        request,
        "workbench/window/refused.html",
        {"message": error.message, "code": error.code},
        status=error.status,
    )


def _items(request: HttpRequest) -> tuple[list[tuple[str, str]], dict[str, list]]:
    """The items this clerk's windows may receive for, and the receiving entries of each — only
    those whose version names a shipped process, so the window never offers a dead end
    (``catalogue.no_process``, docs/workflow.md)."""
    by_item: dict[str, list] = {}
    names: dict[str, str] = {}
    for entry in selectors.window_entries(request.actor):
        if not process_available(entry.version):
            continue
        by_item.setdefault(entry.item.basic_code, []).append(entry)
        names[entry.item.basic_code] = entry.item.name
    return list(names.items()), by_item


def _walk_in(request: HttpRequest, app_id: Any) -> Application:
    """A walk-in application this clerk may handle at the window; anything else is 404."""
    try:
        return selectors.window_application(request.actor, app_id)
    except NotFound:
        raise Http404("未找到该窗口申请") from None


def _draft(request: HttpRequest, app_id: Any) -> Application | HttpResponse:
    app = _walk_in(request, app_id)
    if app.status != ApplicationStatus.DRAFT:
        return redirect("workbench-window-receipt", app_id=app.pk)
    return app


def _applicant_name(app: Application) -> str:
    party = app.applicant_person or app.applicant_company
    return party.name if party else ""


WINDOW = Journey(
    routes=ROUTES,
    templates={
        "situations": "workbench/window/situations.html",
        "form": "workbench/window/form.html",
        "materials": "workbench/window/materials.html",
        "check": "workbench/window/check.html",
        "pickup": "workbench/window/pickup.html",
    },
    render=_window_page,
    draft=_draft,
    shows=lambda app: {"applicant": _applicant_name(app)},  # a busy window must not mix up two people
)


# --- start: my walk-in applications, and which item -------------------------------------------


@require_safe
@staff_required
def start_view(request: HttpRequest) -> HttpResponse:
    items, _entries = _items(request)
    rows = paginate(request, selectors.window_applications(request.user))
    return _window_page(
        request,
        "workbench/window/start.html",
        {
            "form": ItemChoiceForm(items=items),
            "has_items": bool(items),
            "page_obj": rows,
            "rows": [
                {"app": app, "applicant": _applicant_name(app), "withdrawable": app.status in PRE_ACCEPTANCE}
                for app in rows
            ],
            "deliveries": list(window_deliveries(request.actor)[:50]),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def new_view(request: HttpRequest) -> HttpResponse:
    """Which organisation receives it, and who applies. GET ``?item=`` comes from the start page."""
    items, by_item = _items(request)
    choice = ItemChoiceForm(request.GET or request.POST or None, items=items)
    if not choice.is_bound or not choice.is_valid():
        context = {"form": choice, "errors": error_summary(choice), "has_items": bool(items), "rows": []}
        return _window_page(
            request, "workbench/window/start.html", context, status=400 if choice.is_bound else 200
        )
    entries = {e.implementation_code: e for e in by_item[choice.cleaned_data["item"]]}
    version = entries[next(iter(entries))].version
    schema = _version_schema(version)
    form = WalkInForm(
        request.POST if request.method == "POST" else None,
        entries=[(code, e.accepting_organisation.name) for code, e in entries.items()],
        ask_phone="phone" in (schema.get("properties") or {}),
    )
    context = {"item": choice.cleaned_data["item"], "item_name": dict(items)[choice.cleaned_data["item"]]}
    if request.method == "POST" and form.is_valid():
        entry = entries[form.cleaned_data["entry"]]
        try:
            app = services.start_draft(
                entry,
                actor=request.user,
                walk_in=form.walk_in(),
                form_data=_prefilled(_version_schema(entry.version), form.cleaned_data),
                channel=SubmissionChannel.WINDOW,
            )
        except ServiceError as refused:
            if refused.status != 400:
                return _refused(request, refused)
            for problem in refused.errors or [{"field": "", "message": refused.message}]:
                name = str(problem.get("field", "")).removeprefix("applicant.")
                form.add_error(name if name in form.fields else None, problem["message"])
        else:
            messages.success(request, f"已为{_applicant_name(app)}建立窗口申请，请继续录入。")
            return redirect(flow(app, ROUTES)[0]["url"])
    context.update({"form": form, "errors": error_summary(form)})
    return _window_page(request, "workbench/window/new.html", context, status=400 if form.errors else 200)


def _version_schema(version: Any) -> dict[str, Any]:
    form = getattr(version, "form", None)
    return (form.schema or {}) if form is not None else {}


def _prefilled(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties") or {}
    values = {**data, "id_number": str(data.get("id_number") or "").strip().upper()}
    values["uscc"] = str(data.get("uscc") or "").strip().upper()
    return {
        field: values[source]
        for field, source in PREFILL[data["kind"]].items()
        if field in properties and values.get(source)
    }


# --- 情形, form steps, materials (sifa.web.journey under workbench addresses) ---------------------


situations_view, form_view, materials_view = WINDOW.step_views(staff_required)
pickup_view = WINDOW.pickup_view(staff_required)


@require_safe
@staff_required
def file_view(request: HttpRequest, app_id: Any, material_id: str) -> HttpResponse:
    try:
        row = selectors.window_material(request.actor, app_id, material_id)
        return attachment_response(row.storage_key, row.display_name, row.content_type)
    except NotFound:
        raise Http404("未找到该材料") from None


# --- check, submit, receipt --------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def check_view(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = _walk_in(request, app_id)
    if request.method == "GET" and app.status != ApplicationStatus.DRAFT:
        return redirect("workbench-window-receipt", app_id=app.pk)
    if request.method == "GET":
        return WINDOW.check(request, app)
    try:
        answer = WINDOW.submit(request, app, selectors.WINDOW_SUBMIT_KEY.format(pk=app.pk))
    except ServiceError as refused:
        return _refused(request, refused)
    if isinstance(answer, HttpResponse):
        return answer
    return redirect("workbench-window-receipt", app_id=app.pk)


@never_cache
@require_safe
@staff_required
def receipt_view(request: HttpRequest, app_id: Any) -> HttpResponse:
    """回执: proof that the materials were received (not the 受理 decision, 行政许可法 §32 ¶2)."""
    app = _walk_in(request, app_id)
    if app.status == ApplicationStatus.DRAFT:
        return redirect("workbench-window-check", app_id=app.pk)
    entry, version = app.entry, catalogue_selectors.guide_version(app.version_id)
    guide = guides.build(entry, version)["e"]  # the guide's own wording of the limits and phone
    context = {
        "app": app,
        "applicant": _applicant_name(app),
        "identifier": (app.applicant_person.id_number_masked if app.applicant_person else "")
        or (app.applicant_company.uscc if app.applicant_company else ""),
        "query_code": selectors.window_query_code(request.user, app),
        "window": _receiving_window(request, app),
        # 领取地点: where the decision and certificate wait (chosen on the 领取地点 page; this window
        # by default) — only for an item whose result is handed over.
        "pickup": selectors.default_pickup_window(app).name if pickup_windows(app) else "",
        "materials": [row for row in checklist(app, ROUTES) if row["satisfied"]],
        "limits": guide["time_limits"],
        "licensing": version.item.item_type == ItemType.LICENSING,
        # 法律援助法 §43/§49 count from 收到申请之日, not from 受理 (``LimitStart``): the note says which.
        "limit_start": LimitStart(version.limit_start).label
        if version.limit_start
        else LimitStart.ACCEPTANCE.label,
        "phone": guide["consultation"]["phone"],
        "track_url": f"{settings.PUBLIC_URL}/track/",
        "printed_at": timezone.localtime(),
        "can_withdraw": app.status in WITHDRAWABLE,
    }
    return _window_page(request, "workbench/window/receipt.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def correction_view(request: HttpRequest, app_id: Any) -> HttpResponse:
    """补正 at the window: the 一次性告知书 answered for a walk-in applicant (行政许可法 §32) — the
    scanned replacements and the corrected form on one page, as the applicant's own page in 我的空间
    (:mod:`sifa.web.correction`). One recorded without an account has no other way to answer it."""
    app = _walk_in(request, app_id)
    if app.status != ApplicationStatus.CORRECTION_REQUIRED:
        messages.info(request, "该申请当前没有待补正的内容。")
        return redirect("workbench-window-receipt", app_id=app.pk)
    try:
        done, context = correction_page(request, app, ROUTES)
    except ServiceError as refused:
        return _refused(request, refused)
    if done:
        messages.success(request, f"已提交 {app.number} 的补正材料，受理机构将重新预审。")
        return redirect("workbench-window-receipt", app_id=app.pk)
    context["applicant"] = _applicant_name(app)
    status = 400 if context["errors"] else 200
    return _window_page(request, "workbench/window/correction.html", context, status=status)


def _receiving_window(request: HttpRequest, app: Application) -> str:
    """The window that took the materials (``receiving_window``, recorded when the clerk started
    the walk-in); the accepting organisation for a walk-in filed before it was recorded."""
    return (app.receiving_window or app.accepting_organisation).name


# --- 评价: the visit just served is rated on the counter's 评价器 or by SMS ------------------------


class VisitRatingForm(forms.Form):
    phone = forms.CharField(
        label="群众的手机号码（发送评价短信时填写）",
        required=False,
        max_length=20,
        help_text="只用于发送评价短信，不保存；在评价器上评价的不用填写。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "class": "sifa-input"}),
    )


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def rating_view(request: HttpRequest) -> HttpResponse:
    """请群众评价: a single-use link for the visit just served (``sifa.evaluation``): opened on the
    counter's 评价器 (``window_tablet``), or sent by SMS. The page shows the link once, on the POST
    answer (never in an address), and the clerk's latest links with whether each was used."""
    form = VisitRatingForm(request.POST or None)
    context: dict[str, Any] = {
        "form": form,
        "issued": None,
        "links": evaluation_selectors.my_visit_links(request.actor),
        "tablet_hours": int(evaluation.LINK_VALID[RatingChannel.WINDOW_TABLET].total_seconds() // 3600),
        "sms_days": evaluation.LINK_VALID[RatingChannel.SMS].days,
        "errors": [],
    }
    if request.method == "POST" and form.is_valid():
        channel = request.POST.get("channel", "")
        try:
            issued = evaluation.invite_visit(request.user, channel=channel, phone=form.cleaned_data["phone"])
        except ServiceError as refused:
            context["errors"] = error_summary(form, refused)
            return _window_page(request, "workbench/window/rating.html", context, status=refused.status)
        context.update(
            issued=issued,
            url=f"{settings.PUBLIC_URL}{issued.path}",
            form=VisitRatingForm(),
            links=evaluation_selectors.my_visit_links(request.actor),
        )
    response = _window_page(request, "workbench/window/rating.html", context)
    response["Referrer-Policy"] = "same-origin"
    return response


# --- 离线补录: ratings collected on paper cards or an offline 评价器, entered afterwards ----------


class CardForm(DecoratedForm):
    """One card: what the clerk copies from it. ``enter_card`` judges the bounds and the scope."""

    organisation = forms.ChoiceField(label="评价的窗口所属机构", error_messages={"required": "请选择机构"})
    source = forms.ChoiceField(
        label="补录来源",
        choices=EntrySource.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择补录来源", "invalid_choice": "请选择补录来源"},
    )
    collected_on = forms.DateField(
        label="评价日期",
        help_text="评价卡或评价器记录上的日期，格式 2026-11-20；只能补录今天及之前60天内的评价",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请填写评价日期", "invalid": "评价日期应为 年-月-日，如 2026-11-20"},
    )
    card_number = forms.CharField(
        label="评价卡编号",
        max_length=40,
        help_text="评价卡上印的编号或评价器记录号；同一张卡只能补录一次",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "请填写评价卡编号"},
    )
    level = forms.ChoiceField(
        label="满意程度",
        choices=RatingLevel.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择评价卡上的满意程度", "invalid_choice": "请选择评价卡上的满意程度"},
    )
    comment = forms.CharField(
        label="文字评价（选填）",
        max_length=500,
        required=False,
        help_text="照录评价卡上的文字，500字以内",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "文字评价不能超过500字"},
    )

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisations
        if len(organisations) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = organisations[0][0]
            self.fields["organisation"].required = False  # the clerk's one window


def _clerk_windows(request: HttpRequest) -> list[tuple[str, str]]:
    from sifa.organisations.models import Organisation, Role

    ids = [m[0] for m in request.actor.memberships if m[2] == Role.WINDOW_CLERK]
    return [(str(pk), name) for pk, name in Organisation.objects.filter(pk__in=ids).values_list("pk", "name")]


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def back_entry_view(request: HttpRequest) -> HttpResponse:
    """补录评价: a paper card or an offline 评价器 record, entered as of its date (window clerks)."""
    windows = _clerk_windows(request)
    if not windows:
        raise Http404("未找到该页面")
    form = CardForm(request.POST if request.method == "POST" else None, organisations=windows)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rating = evaluation.enter_card(
                request.user,
                organisation=data["organisation"] or windows[0][0],
                collected_on=data["collected_on"],
                source=data["source"],
                card_number=data["card_number"],
                level=data["level"],
                comment=data["comment"],
            )
        except ServiceError as refused:
            error = refused
        else:
            done = f"已补录评价卡 {rating.card_number}（来访编号 {rating.number}，{data['collected_on']:%Y-%m-%d}）。"
            if rating.is_bad:
                done += "差评已在本机构启动整改，期限自评价日期起算。"
            messages.success(request, done)
            return redirect("workbench-window-back-entry")
    status = 200 if request.method == "GET" else (error.status if error else 400)
    context = {
        "form": form,
        "errors": error_summary(form if form.is_bound else None, error),
        "days": evaluation.BACK_ENTRY_DAYS,
    }
    return _window_page(request, "workbench/window/back_entry.html", context, status=status)
