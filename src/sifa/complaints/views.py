"""Public 投诉举报 pages, mounted at the site root: ``path("", include("sifa.complaints.urls"))``.

Server-rendered on the portal's base template; every page works without JavaScript (plain form
posts). The pages only call :mod:`sifa.complaints.services` and :mod:`sifa.complaints.selectors`:

* ``/complaints/new/`` — the form: named or anonymous, about a case (办件编号, or one of the
  signed-in person's own applications from a list), a service or a staff member's conduct (the
  organisation from a place chooser: 省 → 市 → 县（区） → 机构, successive lists each refreshed
  by the 选择 button — a plain POST that keeps everything typed, so it works without
  JavaScript). A hidden token generated with the form is the idempotency key, so a double
  submit files one complaint;
* ``/complaints/new/places/?province=&city=&county=&organisation=`` — the place chooser alone
  (``complaints/_places.html``), for htmx: with JavaScript, choosing a level fills the next list in
  place, and the polite live region under it says what is now listed (sent out of band, so the
  focus never moves); the 选择所在地 button stays for browsers without it. Reads only;
* ``/complaints/new/done/`` — number, handling organisation, due date and, when no account is
  behind it, the tracking code (查询码) — once: kept in the session for this one view;
* ``/complaints/track/`` — progress and outcome by number and tracking code (a POST, so the code
  stays out of addresses and logs; the API's ``TrackingThrottle``: failed lookups per address,
  the count shared with the API).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from sifa.complaints import selectors, services
from sifa.complaints.api import TrackingThrottle
from sifa.complaints.models import Kind, SubjectKind
from sifa.core.errors import ServiceError

SESSION_DONE = "complaint_submitted"
FIELDS = ("kind", "subject_kind", "case_number", "organisation", "staff_member", "text", "name", "phone")
PLACE_FIELDS = ("province", "city", "county")
NOT_FOUND_MESSAGE = "投诉编号或查询码不正确，请核对后重新输入"


def _render(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    response = render(request, template, {"nav": "complaints", **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    return [{"href": f"#f-{name}", "message": message} for name, message in errors.items()]


def _organisation(value: str, chooser: dict[str, Any], errors: dict[str, str]) -> int | None:
    """The organisation chosen from the list of the place chosen (a value not in it is refused)."""
    if not value:
        return None
    offered = {str(o.pk): o.pk for o in chooser["organisations"]}
    if value not in offered:
        errors["organisation"] = "请先选择所在地，再从列表中选择机构"
        return None
    return offered[value]


def _chooser(source: Any) -> dict[str, Any]:
    return selectors.places({key: source.get(key, "") for key in selectors.PLACE_LEVELS})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    signed_in = bool(request.user.is_authenticated)
    context: dict[str, Any] = {
        "kinds": Kind.choices,
        "subjects": SubjectKind.choices,
        "signed_in": signed_in,
        "reply_days": services.reply_days(),
        "data": {"kind": Kind.COMPLAINT, "subject_kind": SubjectKind.SERVICE, "anonymous": not signed_in},
        "errors": {},
        "summary": [],
        "token": uuid.uuid4().hex,
        "places": _chooser(request.GET),
        "my_cases": selectors.my_cases(request.user),
    }
    if request.method != "POST":
        return _render(request, "complaints/new.html", context)
    data: dict[str, Any] = {name: request.POST.get(name, "").strip()[:3000] for name in FIELDS}
    data["anonymous"] = request.POST.get("anonymous") == "on"
    data["wants_sms"] = request.POST.get("wants_sms") == "on"
    my_case = request.POST.get("my_case", "").strip()[:30]
    if my_case and not data["case_number"]:
        data["case_number"] = my_case
    data["my_case"] = my_case
    token = request.POST.get("token", "")[:64] or uuid.uuid4().hex
    chooser = _chooser(request.POST)
    context.update(data=data, token=token, places=chooser)
    if "refine" in request.POST:  # 选择所在地: the next list, the rest of the form kept as typed
        return _render(request, "complaints/new.html", context)
    errors: dict[str, str] = {}
    organisation = None if data["case_number"] else _organisation(data["organisation"], chooser, errors)
    if errors:
        context.update(errors=errors, summary=_summary(errors))
        return _render(request, "complaints/new.html", context, status=400)
    try:
        done = services.submit(
            request.user,
            kind=data["kind"],
            subject_kind=data["subject_kind"],
            text=data["text"],
            case_number=data["case_number"],
            organisation=organisation,
            staff_member=data["staff_member"],
            name=data["name"],
            phone=data["phone"],
            anonymous=data["anonymous"],
            wants_sms=data["wants_sms"],
            idempotency_key=f"web-{token}",
        )
    except ServiceError as exc:
        for problem in exc.errors or [{"field": "text", "message": exc.message}]:
            field = problem.get("field") or "text"
            errors.setdefault(field if field in (*FIELDS, "wants_sms") else "text", problem["message"])
        context.update(errors=errors, summary=_summary(errors))
        return _render(request, "complaints/new.html", context, status=exc.status)
    complaint = done.complaint
    request.session[SESSION_DONE] = {
        "number": complaint.number,
        "handler": complaint.handler.name,
        "due": services.due_text(complaint),
        "code": done.tracking_code,
        "signed_in": complaint.complainant_id is not None,
    }
    return redirect("complaints-done")


@never_cache
@require_safe
def places(request: HttpRequest) -> HttpResponse:
    """The chooser for the places asked for (anything not a child of the level above is dropped)."""
    chooser = _chooser(request.GET)
    organisation = request.GET.get("organisation", "")[:20]
    return _render(
        request,
        "complaints/_places_fragment.html",
        {"places": chooser, "data": {"organisation": organisation}, "errors": {}},
    )


@never_cache
@require_safe
def done(request: HttpRequest) -> HttpResponse:
    submitted = request.session.get(SESSION_DONE)
    if not submitted:
        return redirect("complaints-new")
    shown = dict(submitted)
    if submitted.get("code"):  # shown once: a reload no longer has it
        request.session[SESSION_DONE] = {**submitted, "code": ""}
    return _render(request, "complaints/done.html", {"submitted": shown})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {"number": request.GET.get("number", "")[:30], "errors": {}, "summary": []}
    if request.method != "POST":
        return _render(request, "complaints/track.html", context)
    number = request.POST.get("number", "").strip().upper()[:30]
    code = request.POST.get("code", "").strip().upper()
    context["number"] = number
    if not TrackingThrottle().allow_request(request, None):  # looks only: failed lookups are counted
        return _limited(request, context)
    errors = {}
    if not number:
        errors["number"] = "请输入投诉编号"
    if not code:
        errors["code"] = "请输入查询码"
    if errors:
        context.update(errors=errors, summary=_summary(errors))
        return _render(request, "complaints/track.html", context, status=400)
    try:
        complaint = selectors.by_tracking_code(number, code)
    except ServiceError:
        if not TrackingThrottle().count_failure(request, None):  # the failures reached the rate meanwhile
            return _limited(request, context)
        errors = {"number": NOT_FOUND_MESSAGE}
        context.update(errors=errors, summary=_summary(errors))
        return _render(request, "complaints/track.html", context, status=404)
    return _render(request, "complaints/progress.html", {"complaint": selectors.view(complaint)})


def _limited(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    errors = {"number": "查询过于频繁，请一分钟后再试"}
    context.update(errors=errors, summary=_summary(errors))
    return _render(request, "complaints/track.html", context, status=429)
