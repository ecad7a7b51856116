"""法律咨询 for citizens: ask online, the confirmation, follow up and rate, turn it into an application.

Server-rendered on the portal's base template; every page works without JavaScript (plain form
posts) and at 375 px. The pages only call :mod:`sifa.consultation.services` and
:mod:`sifa.consultation.selectors`:

* ``/consultations/`` — what 12348 法律咨询 is, the two ways in (ask, 查询答复) and, signed in,
  my consultations;
* ``/consultations/new/`` — the ask form. A hidden token generated with the form is the
  idempotency key, so a double submit files one consultation. The place is chosen from a list
  (the asker's own county and its townships when signed in) or found by name with the
  “查找地区” button, which re-shows the form with everything typed kept;
* ``/consultations/new/done/`` — the confirmation: number, answering organisation, due date and,
  for an anonymous asker, the tracking code (查询码) — once: it is kept in the session for this
  one view, never in an address;
* ``/consultations/<number>/`` — the signed-in asker's consultation: question, answer with its
  articles linked to the law library, history, the rating form, 转为法律援助/人民调解申请;
* ``/consultations/track/`` — an anonymous asker's consultation by number and tracking code (a
  POST, so the code stays out of addresses and logs; the API's per-address budget: a lookup is
  checked and counted only when it finds nothing, ``TrackingThrottle``, a rating counted every
  time, ``RatingThrottle``), read-only plus the rating form.

Out of reach is 404 (another asker's number does not exist for the caller).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sifa.applications.models import ApplicationStatus
from sifa.consultation import selectors, services
from sifa.consultation.api.tickets import RatingThrottle, TrackingThrottle
from sifa.consultation.models import Category, Channel, Satisfaction, Ticket, TicketStatus
from sifa.core.errors import ServiceError
from sifa.organisations import places
from sifa.organisations.models import Region, RegionLevel

SESSION_CREATED = "consultation_created"
"""The confirmation's facts (and, once, the tracking code) between the POST and its redirect."""

ASK_FIELDS = ("category", "region", "title", "question", "name", "phone")
FIELD_LABELS = {
    "category": "咨询类别",
    "region": "咨询事项发生地或您所在的地区",
    "title": "标题",
    "question": "咨询内容",
    "name": "称呼",
    "phone": "手机号码",
    "wants_sms": "短信告知答复",
    "where": "查找地区",
    "satisfaction": "满意程度",
    "comment": "评价意见",
    "number": "工单编号",
    "code": "查询码",
}
TOKEN = re.compile(r"^[0-9a-f]{32}$")
FIND_LIMIT = 30
WHERE_MAX = 30
PAGE_SIZE = 20
NOT_FOUND_MESSAGE = "工单编号或查询码不正确，请核对后重新输入"
CONVERT_KINDS = {"legal_aid": "转为法律援助申请", "mediation": "转为人民调解申请"}


# --- shared pieces ------------------------------------------------------------------------------


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, {"nav": "consultation", **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _error_page(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    titles = {404: "未找到您要访问的页面", 409: "当前不能办理", 429: "请求过于频繁", 403: "无法办理"}
    context = {"title": titles.get(exc.status, "请求有误"), "message": exc.message, "code": exc.code}
    return _render(request, "consultation/error.html", context, status=exc.status)


def _field_errors(exc: ServiceError, fields: tuple[str, ...], fallback: str) -> dict[str, str]:
    """The service's problems by form field (one message per field); the others go to ``fallback``."""
    out: dict[str, str] = {}
    for problem in exc.errors or [{"field": fallback, "message": exc.message}]:
        field = problem.get("field", "")
        field = field if field in fields else fallback
        out[field] = f"{out[field]}；{problem['message']}" if field in out else problem["message"]
    return out


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    """The error summary's links: each message to its field (``#f-<name>``)."""
    return [{"href": f"#f-{name}", "message": message} for name, message in errors.items()]


def _throttled(request: HttpRequest, *, rating: bool) -> bool:
    """Refused by the API's budget: a rating counts every request, a lookup only looks (a lookup
    that finds nothing is counted by :func:`_failed`)."""
    throttle = RatingThrottle() if rating else TrackingThrottle()
    return not throttle.allow_request(request, None)


def _failed(request: HttpRequest) -> bool:
    """Count a lookup that found nothing; True when the failures reached the rate meanwhile."""
    return not TrackingThrottle().count_failure(request, None)


def _signed_in(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated)


# --- the place ----------------------------------------------------------------------------------


def _label(region: Region) -> str:
    """``杭州市西湖区北山街道``: the place with the units above it (without the province)."""
    return places.label(region)


def _own_region(user: Any) -> Region | None:
    """The signed-in person's or company's registered place (常住地 / 登记地)."""
    return places.own_region(user)


def _near(region: Region) -> list[Region]:
    """The choices around a place: its county (全区) and the county's townships; a city or a
    province offers itself and the units below it."""
    anchor = region.parent if region.level == RegionLevel.TOWNSHIP and region.parent_id else region
    below = Region.objects.filter(parent=anchor).select_related("parent__parent").order_by("code")
    return [anchor, *below]


def _find(where: str) -> list[Region]:
    """Places by name as people type them (杭州西湖区, 西湖区, 北山街道): ``places.find``."""
    return [r for r in places.find(where, limit=FIND_LIMIT) if r.level >= RegionLevel.COUNTY]


def _whole(county: Region) -> str:
    """``（全区）`` after a county-level place offered next to its townships."""
    return f"（全{county.name[-1]}）" if county.name[-1] in "区县市旗" else "（全境）"


def _region_choices(regions: list[Region], selected: str) -> list[dict[str, Any]]:
    seen: set[str] = set()
    rows = []
    picked = (
        Region.objects.filter(code=selected).select_related("parent__parent").first() if selected else None
    )
    for region in ([picked] if picked else []) + regions:
        if region.code in seen:
            continue
        seen.add(region.code)
        suffix = _whole(region) if region.level == RegionLevel.COUNTY else ""
        rows.append(
            {"code": region.code, "label": _label(region) + suffix, "selected": region.code == selected}
        )
    return rows


# --- landing ------------------------------------------------------------------------------------


@never_cache
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    page = None
    if _signed_in(request):
        page = Paginator(selectors.mine(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "answer_days": services.answer_days(),
        "page": page,
        "tickets": page.object_list if page else [],
    }
    return _render(request, "consultation/index.html", context)


# --- ask ----------------------------------------------------------------------------------------


def _ask_context(request: HttpRequest, data: dict[str, Any], errors: dict[str, str], regions: list[Region]):
    return {
        "data": data,
        "errors": errors,
        "summary": _summary(errors),
        "categories": Category.choices,
        "regions": _region_choices(regions, data.get("region", "")),
        "token": data.get("token") or uuid.uuid4().hex,
        "signed_in": _signed_in(request),
        "answer_days": services.answer_days(),
    }


@never_cache
@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    own = _own_region(request.user)
    if request.method == "GET":
        data = {"region": own.code if own else "", "token": uuid.uuid4().hex}
        return _render(
            request, "consultation/ask.html", _ask_context(request, data, {}, _near(own) if own else [])
        )
    post = request.POST
    data = {name: post.get(name, "").strip() for name in (*ASK_FIELDS, "where")}
    data["where"] = data["where"][:WHERE_MAX]
    data["wants_sms"] = post.get("wants_sms") == "on"
    token = post.get("token", "")
    data["token"] = token if TOKEN.match(token) else uuid.uuid4().hex
    nearby = _near(own) if own else []
    if post.get("action") == "find":
        found, notice = _find(data["where"]) if data["where"] else [], ""
        if not data["where"]:
            notice = "请输入县（区）或乡镇（街道）的名称，如“西湖区”“北山街道”"
        elif not found:
            notice = f"没有找到名称包含“{data['where']}”的县（区）或乡镇（街道），请换一个名称再查"
        else:
            notice = f"找到{len(found)}个地区，请在上面的列表中选择"
            if not data["region"] or data["region"] not in {r.code for r in found}:
                data["region"] = found[0].code if len(found) == 1 else ""
        context = _ask_context(request, data, {}, found + nearby)
        context["find_notice"] = notice
        return _render(request, "consultation/ask.html", context)
    try:
        created = services.create_ticket(
            request.user,
            channel=Channel.WEB,
            category=data["category"],
            region=data["region"],
            title=data["title"],
            question=data["question"],
            name=data["name"],
            phone=data["phone"],
            wants_sms=data["wants_sms"],
            idempotency_key=data["token"],
        )
    except ServiceError as exc:
        errors = _field_errors(exc, (*ASK_FIELDS, "wants_sms"), "title")
        if exc.status != 400:  # too many open consultations, staff on the public form …
            errors = {"title": exc.message}
        context = _ask_context(request, data, errors, nearby)
        if exc.code == "idempotency.key_reused":  # the same form sent again with other content
            context["token"] = uuid.uuid4().hex
        return _render(request, "consultation/ask.html", context, status=exc.status)
    ticket = created.ticket
    request.session[SESSION_CREATED] = {
        "number": ticket.number,
        "organisation": ticket.organisation.name,
        "due": services.due_text(ticket),
        "due_provisional": ticket.due_provisional,
        "code": created.tracking_code,
        "signed_in": ticket.asker_id is not None,
        "wants_sms": ticket.wants_sms,
    }
    return redirect("consultation-done")


@never_cache
@require_safe
def done(request: HttpRequest) -> HttpResponse:
    created = request.session.get(SESSION_CREATED)
    if not created:
        return redirect("consultation-index")
    shown = dict(created)
    if created.get("code"):  # shown once: a reload no longer has it
        request.session[SESSION_CREATED] = {**created, "code": "", "code_shown": True}
    context = {"created": shown, "answer_days": services.answer_days()}
    return _render(request, "consultation/done.html", context)


# --- the asker's consultation -------------------------------------------------------------------


def _application_link(ticket: Ticket) -> dict[str, str] | None:
    app = ticket.application
    if app is None:
        return None
    name = app.entry.item.name
    if app.status == ApplicationStatus.DRAFT:
        return {"label": f"继续填写{name}", "url": reverse("citizen-apply-form", args=[app.pk, 1])}
    return {
        "label": f"查看{name}办理进度",
        "url": reverse("citizen-application", args=[app.number or app.pk]),
    }


def _conversions(ticket: Ticket) -> list[dict[str, str]]:
    """The conversion buttons, or why one cannot be offered (no organisation of the place has it)."""
    if ticket.application_id is not None:
        return []
    options = services.conversion_options(ticket)
    return [
        {"kind": kind, "label": label, "refused": options.get(kind, "")}
        for kind, label in CONVERT_KINDS.items()
    ]


def _ticket_context(ticket: Ticket) -> dict[str, Any]:
    return {
        "ticket": selectors.view(ticket),
        "can_rate": ticket.status == TicketStatus.ANSWERED,
        "satisfactions": Satisfaction.choices,
    }


def _detail(
    request: HttpRequest,
    number: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    ticket = selectors.for_asker(request.user, number)
    context = {
        **_ticket_context(ticket),
        "owner": True,
        "application": _application_link(ticket),
        "conversions": _conversions(ticket),
        "errors": errors or {},
        "summary": _summary(errors or {}),
        **extra,
    }
    return _render(request, "consultation/detail.html", context, status=status)


@never_cache
@require_safe
def detail(request: HttpRequest, number: str) -> HttpResponse:
    if not _signed_in(request):
        return redirect_to_login(request.get_full_path())
    try:
        return _detail(request, number)
    except ServiceError as exc:
        return _error_page(request, exc)


@never_cache
@require_POST
def rate(request: HttpRequest, number: str) -> HttpResponse:
    if not _signed_in(request):
        return redirect_to_login(reverse("consultation-detail", args=[number]))
    satisfaction, comment = request.POST.get("satisfaction", ""), request.POST.get("comment", "").strip()
    try:
        services.rate(request.user, number, satisfaction=satisfaction, comment=comment, channel=Channel.WEB)
    except ServiceError as exc:
        if exc.status == 404:
            return _error_page(request, exc)
        errors = _field_errors(exc, ("satisfaction", "comment"), "satisfaction")
        try:
            return _detail(request, number, errors=errors, status=exc.status, comment=comment)
        except ServiceError as again:
            return _error_page(request, again)
    messages.success(request, "感谢您的评价。")
    return redirect("consultation-detail", number=number)


@never_cache
@require_POST
def convert(request: HttpRequest, number: str) -> HttpResponse:
    if not _signed_in(request):
        return redirect_to_login(reverse("consultation-detail", args=[number]))
    try:
        application = services.convert(request.user, number, kind=request.POST.get("kind", ""))
    except ServiceError as exc:
        if exc.status == 404:
            return _error_page(request, exc)
        try:
            return _detail(request, number, errors={"convert": exc.message}, status=exc.status)
        except ServiceError as again:
            return _error_page(request, again)
    if application.status != ApplicationStatus.DRAFT:
        return redirect("citizen-application", ref=application.number or application.pk)
    return redirect("citizen-apply-form", app_id=application.pk, step=1)


# --- an anonymous asker, by number and tracking code --------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """Look up (``action=view``) or rate (``action=rate``) a consultation with its tracking code."""
    context: dict[str, Any] = {"number": "", "errors": {}, "summary": []}
    if request.method != "POST":
        return _render(request, "consultation/track.html", context)
    number = request.POST.get("number", "").strip().upper()
    code = request.POST.get("code", "").strip().upper()
    context.update(number=number)
    rating = request.POST.get("action") == "rate"
    if _throttled(request, rating=rating):
        return _limited(request, context)
    errors = {}
    if not number:
        errors["number"] = "请输入工单编号"
    if not code:
        errors["code"] = "请输入查询码"
    if errors:
        context.update(errors=errors, summary=_summary(errors))
        return _render(request, "consultation/track.html", context, status=400)
    try:
        ticket = selectors.by_tracking_code(number, code)
    except ServiceError:
        if not rating and _failed(request):
            return _limited(request, context)
        context.update(errors={"number": NOT_FOUND_MESSAGE}, summary=_summary({"number": NOT_FOUND_MESSAGE}))
        return _render(request, "consultation/track.html", context, status=404)
    context.update(_ticket_context(ticket), owner=False, code=code, errors={}, summary=[])
    if not rating:
        return _render(request, "consultation/detail.html", context)
    satisfaction, comment = request.POST.get("satisfaction", ""), request.POST.get("comment", "").strip()
    try:
        ticket = services.rate(
            request.user,
            ticket,
            satisfaction=satisfaction,
            comment=comment,
            channel=Channel.WEB,
            tracking_code=code,
        )
    except ServiceError as exc:
        errors = _field_errors(exc, ("satisfaction", "comment"), "satisfaction")
        context.update(errors=errors, summary=_summary(errors), comment=comment)
        return _render(request, "consultation/detail.html", context, status=exc.status)
    context.update(_ticket_context(ticket), rated=True)
    return _render(request, "consultation/detail.html", context)


def _limited(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    context["errors"] = {"number": "查询过于频繁，请一分钟后再试"}
    context["summary"] = _summary(context["errors"])
    return _render(request, "consultation/track.html", context, status=429)
