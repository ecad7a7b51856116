"""Apply online: start → 情形 → form steps → materials → check your answers → submit → confirmation.

Every page is a normal GET and POST (the journey works without JavaScript) and every POST saves
the draft through ``sifa.applications.services``, so an applicant can stop and resume from
我的空间. Submitting carries an Idempotency-Key derived from the draft: a double click, a refresh
or a resent form replays the first answer (same 办件编号) instead of failing or filing twice.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.accounts.selectors import principals_for
from sifa.applications import selectors, services
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.common import item_codes
from sifa.catalogue import selectors as catalogue_selectors
from sifa.catalogue.processes import require_process
from sifa.core.errors import ServiceError
from sifa.mediation.selectors import public_roster
from sifa.organisations.scope import actor_for
from sifa.portal.citizen import jsonschema_forms as jf
from sifa.portal.citizen.common import applicant_required, error_list, page
from sifa.portal.citizen.drafts import (
    answers_summary,
    bound_fields,
    checklist,
    error_links,
    flow,
    my_application,
    position,
    read_situations,
    schema_of,
    situation_rows,
    situations_of,
    upload_from_post,
)

QUERY_CODE_SESSION = "sifa_query_code:{pk}"
"""The query code waits here between the submit POST and the confirmation page, shown once."""


def submit_key(app: Application) -> str:
    """One Idempotency-Key per draft: every resend of the same draft's submission replays."""
    return f"portal-submit-{app.pk}"


def _draft(request: HttpRequest, app_id: Any) -> Application | HttpResponse:
    app = my_application(request, app_id, acting=True)
    if app.status != ApplicationStatus.DRAFT:
        return redirect("citizen-application", ref=app.number or app.pk)
    return app


# --- start -------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def start(request: HttpRequest, implementation_code: str) -> HttpResponse:
    """Start a draft — for myself, or, for an agent, for a principal whose mandate covers the item
    today (代委托人申请; the service checks the mandate again)."""
    entry, version = catalogue_selectors.guide_entry(implementation_code)
    require_process(version)  # no dead end: 409 page instead of a draft nobody can ever handle
    principals = principals_for(request.user, item_codes(entry.item), timezone.localdate())
    if request.method == "POST":
        on_behalf_of = request.POST.get("for", "self")
        app = services.start_draft(
            entry, actor=request.user, on_behalf_of=None if on_behalf_of == "self" else on_behalf_of
        )
        return redirect(flow(app)[0]["url"])
    drafts = (
        selectors.applications(actor_for(request.user))
        .filter(entry=entry, status=ApplicationStatus.DRAFT)
        .filter(Q(applicant=request.user) | Q(agent=request.user))
        .select_related("applicant")
    )
    context = {
        "entry": entry,
        "version": version,
        "drafts": [
            {
                "app": draft,
                "for": "" if draft.applicant_id == request.user.pk else draft.applicant.display_name,
            }
            for draft in drafts
        ],
        "principals": [{"user": user, "mandate": mandate} for user, mandate in principals],
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
    if not situations_of(app):  # an item without 情形: the journey starts at the form
        return redirect(flow(app)[0]["url"])
    answers, errors = dict(app.situation_answers or {}), {}
    if request.method == "POST":
        answers, errors = read_situations(app, request.POST)
        if not errors:
            services.update_draft(app, actor=request.user, situation_answers=answers)
            return redirect(position(app, "situations")["next"]["url"])
    context = {
        "app": app,
        "flow": position(app, "situations"),
        "questions": situation_rows(app, answers, errors),
        "errors": error_list(errors, {code: f"#s-{code}-0" for code in errors}),
    }
    return page(request, "portal/citizen/apply_situations.html", context, status=400 if errors else 200)


# --- form steps --------------------------------------------------------------------------------


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


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def check(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = my_application(request, app_id, acting=True)
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
