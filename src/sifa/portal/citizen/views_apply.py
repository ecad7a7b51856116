"""Apply online: start → 情形 → form steps → materials → check your answers → submit → confirmation.

Every page is a normal GET and POST (the journey works without JavaScript) and every POST saves
the draft through ``sifa.applications.services``, so an applicant can stop and resume from
我的空间. Submitting carries an Idempotency-Key derived from the draft: a double click, a refresh
or a resent form replays the first answer (same 办件编号) instead of failing or filing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.applications import selectors, services
from sifa.applications.models import Application, ApplicationStatus
from sifa.catalogue import selectors as catalogue_selectors
from sifa.catalogue.processes import require_process
from sifa.core.errors import ServiceError
from sifa.mediation.selectors import public_roster
from sifa.organisations.scope import actor_for
from sifa.portal.citizen import jsonschema_forms as jf
from sifa.portal.citizen.common import applicant_required, error_list, page
from sifa.portal.citizen.drafts import (
    checklist,
    error_links,
    flow,
    my_application,
    position,
    schema_of,
    situations_of,
)

QUERY_CODE_SESSION = "sifa_query_code:{pk}"
"""The query code waits here between the submit POST and the confirmation page, shown once."""


def submit_key(app: Application) -> str:
    """One Idempotency-Key per draft: every resend of the same draft's submission replays."""
    return f"portal-submit-{app.pk}"


def _draft(request: HttpRequest, app_id: Any) -> Application | HttpResponse:
    app = my_application(request, app_id)
    if app.status != ApplicationStatus.DRAFT:
        return redirect("citizen-application", ref=app.number or app.pk)
    return app


# --- start -------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def start(request: HttpRequest, implementation_code: str) -> HttpResponse:
    entry, version = catalogue_selectors.guide_entry(implementation_code)
    require_process(version)  # no dead end: 409 page instead of a draft nobody can ever handle
    if request.method == "POST":
        app = services.start_draft(entry, actor=request.user)
        return redirect(flow(app)[0]["url"])
    drafts = selectors.applications(actor_for(request.user)).filter(
        entry=entry, status=ApplicationStatus.DRAFT, applicant=request.user
    )
    context = {
        "entry": entry,
        "version": version,
        "drafts": drafts,
        "title": f"申请：{entry.item.name}",
        # 人民调解法 §23: an applicant may choose mediators — show the 司法所's roster to choose from.
        "roster": public_roster(entry.accepting_organisation)
        if "preferred_mediators" in _fields(version)
        else [],
    }
    return page(request, "portal/citizen/apply_start.html", context)


def _fields(version: Any) -> dict[str, Any]:
    form = getattr(version, "form", None)
    return (form.schema.get("properties") or {}) if form is not None else {}


# --- 情形 -----------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def situations(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = _draft(request, app_id)
    if isinstance(app, HttpResponse):
        return app
    questions = situations_of(app)
    answers = dict(app.situation_answers or {})
    errors: dict[str, str] = {}
    if request.method == "POST":
        for question in questions:
            value = request.POST.get(f"s-{question.code}", "")
            if value not in {str(o.get("value")) for o in question.options}:
                errors[question.code] = f"请选择：{question.question}"
                answers.pop(question.code, None)
            else:
                answers[question.code] = value
        if not errors:
            services.update_draft(app, actor=request.user, situation_answers=answers)
            return redirect(position(app, "situations")["next"]["url"])
    rows = [
        {
            "code": q.code,
            "question": q.question,
            "error": errors.get(q.code, ""),
            "options": [
                {"value": str(o.get("value")), "label": o.get("label") or o.get("value"), "index": i}
                for i, o in enumerate(q.options)
            ],
            "answer": answers.get(q.code, ""),
        }
        for q in questions
    ]
    context = {
        "app": app,
        "flow": position(app, "situations"),
        "questions": rows,
        "errors": error_list(errors, {code: f"#s-{code}-0" for code in errors}),
    }
    return page(request, "portal/citizen/apply_situations.html", context, status=400 if errors else 200)


# --- form steps --------------------------------------------------------------------------------


def bound_fields(
    fields,
    data: dict[str, Any],
    errors: dict[str, str],
    posted: Any = None,
    issues: dict[str, str] | None = None,
) -> list[dict]:
    """What the field partial needs: the field, the value to show, its error and notice item, and
    the ids its input is described by (hint, notice item, error)."""
    issues = issues or {}
    out = []
    for f in fields:
        value = str(posted.get(f.name, "")) if posted is not None else jf.input_value(data, f.name)
        row = {"field": f, "value": value, "error": errors.get(f.name, ""), "issue": issues.get(f.name, "")}
        parts = [(f.description, "hint"), (row["issue"], "issue"), (row["error"], "error")]
        row["describedby"] = " ".join(f"{f.html_id}-{suffix}" for text, suffix in parts if text)
        out.append(row)
    return out


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def form_step(request: HttpRequest, app_id: Any, step: int) -> HttpResponse:
    app = _draft(request, app_id)
    if isinstance(app, HttpResponse):
        return app
    schema = schema_of(app)
    steps = jf.steps_of(schema)
    if not 1 <= step <= len(steps):
        return redirect("citizen-apply-check", app_id=app.pk)
    current = steps[step - 1]
    errors: dict[str, str] = {}
    posted = None
    if request.method == "POST":
        data, errors = jf.read_fields(current.fields, request.POST, app.form_data or {}, schema)
        if not errors:
            services.update_draft(app, actor=request.user, form_data=data)
            return redirect(position(app, f"form-{step}")["next"]["url"])
        posted = request.POST
    context = {
        "app": app,
        "flow": position(app, f"form-{step}"),
        "step": current,
        "fields": bound_fields(current.fields, app.form_data or {}, errors, posted),
        "errors": error_list(errors),
    }
    return page(request, "portal/citizen/apply_form.html", context, status=400 if errors else 200)


# --- materials ---------------------------------------------------------------------------------


def _valid_until(raw: str) -> tuple[dt.date | None, str]:
    if not raw:
        return None, ""
    try:
        return dt.date.fromisoformat(raw), ""
    except ValueError:
        return None, "有效期应为有效日期，格式如 2027-01-31"


def upload_from_post(request: HttpRequest, app: Application) -> dict[str, str]:
    """Store the one posted file for its material; the errors, keyed by the input's id."""
    material = request.POST.get("material", "")
    prefix = f"m-{material}" if material.isdigit() else "m"
    upload = request.FILES.get("file")
    valid_until, date_error = _valid_until(request.POST.get("valid_until", "").strip())
    errors: dict[str, str] = {}
    if upload is None:
        errors[f"{prefix}-file"] = "请选择要上传的文件"
    if date_error:
        errors[f"{prefix}-valid-until"] = date_error
    if errors:
        return errors
    try:
        row = services.upload_material(
            app,
            actor=request.user,
            material_id=material,
            fileobj=upload,
            filename=upload.name or "",
            valid_until=valid_until,
            declared_content_type=upload.content_type,
        )
    except ServiceError as exc:
        if exc.status >= 500 or exc.status in (404, 409):
            raise
        detail = "；".join(e.get("message", "") for e in exc.errors)
        return {f"{prefix}-file": detail or exc.message}
    messages.success(request, f"已上传“{row.material.name}”：{row.display_name}")
    return {}


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def materials(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = _draft(request, app_id)
    if isinstance(app, HttpResponse):
        return app
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = upload_from_post(request, app)
        if not errors:
            return redirect(
                reverse("citizen-apply-materials", args=[app.pk]) + f"#m-{request.POST['material']}"
            )
    context = {
        "app": app,
        "flow": position(app, "materials"),
        "checklist": [
            {
                **row,
                "error": errors.get(f"m-{row['material']}-file", ""),
                "date_error": errors.get(f"m-{row['material']}-valid-until", ""),
            }
            for row in checklist(app)
        ],
        "errors": [{"href": "#" + key, "message": message} for key, message in errors.items()],
        "upload_url": reverse("citizen-apply-materials", args=[app.pk]),
    }
    return page(request, "portal/citizen/apply_materials.html", context, status=400 if errors else 200)


# --- check your answers, submit, confirmation --------------------------------------------------


def answers_summary(app: Application) -> dict[str, Any]:
    """The 情形 answers and the form as label → answer rows, each with its change link."""
    schema = schema_of(app)
    labels = {
        q.code: (q.question, {str(o.get("value")): o.get("label") for o in q.options})
        for q in situations_of(app)
    }
    situation_rows = [
        {"label": question, "value": options.get(str(app.situation_answers.get(code)), "未选择")}
        for code, (question, options) in labels.items()
    ]
    step_rows = [
        {
            "step": step,
            "url": reverse("citizen-apply-form", args=[app.pk, step.number]),
            "rows": [{"field": f, "value": jf.display_value(f, app.form_data or {})} for f in step.fields],
        }
        for step in jf.steps_of(schema)
    ]
    return {"situations": situation_rows, "steps": step_rows}


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def check(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = my_application(request, app_id)
    if request.method == "POST":
        return _submit(request, app)
    if app.status != ApplicationStatus.DRAFT:
        return redirect("citizen-application", ref=app.number or app.pk)
    context = {
        "app": app,
        "flow": position(app, "check"),
        "summary": answers_summary(app),
        "checklist": checklist(app),
        "errors": [],
    }
    return page(request, "portal/citizen/apply_check.html", context)


def _submit(request: HttpRequest, app: Application) -> HttpResponse:
    def run() -> tuple[int, dict[str, Any]]:
        submitted, code = services.submit(app, actor=request.user)
        return 201, {"number": submitted.number, "query_code": code, "id": str(submitted.pk)}

    try:
        _status, body = services.idempotent(
            user=request.user,
            key=submit_key(app),
            scope=f"applications.submit:{app.pk}",
            payload={"application": str(app.pk)},
            run=run,
        )
    except ServiceError as exc:
        if not exc.errors:
            raise
        app.refresh_from_db()
        context = {
            "app": app,
            "flow": position(app, "check"),
            "summary": answers_summary(app),
            "checklist": checklist(app),
            "errors": error_links(app, exc.errors),
            "error_title": exc.message,
        }
        return page(request, "portal/citizen/apply_check.html", context, status=400)
    request.session[QUERY_CODE_SESSION.format(pk=app.pk)] = body["query_code"]
    return redirect("citizen-apply-done", app_id=app.pk)


@never_cache
@require_http_methods(["GET"])
@applicant_required
def done(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = my_application(request, app_id)
    if app.status == ApplicationStatus.DRAFT:
        return redirect("citizen-apply-check", app_id=app.pk)
    code = request.session.pop(QUERY_CODE_SESSION.format(pk=app.pk), "")
    context = {"app": app, "query_code": code, "title": "申请已提交"}
    return page(request, "portal/citizen/apply_done.html", context)
