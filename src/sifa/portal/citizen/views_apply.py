"""Apply online: start → 情形 → form steps → materials → 领取地点 (where to collect the result, when
the item's result is handed over at a window) → check your answers → submit → confirmation.

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
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.accounts.selectors import principals_for
from sifa.applications import selectors, services
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.common import item_codes
from sifa.catalogue import selectors as catalogue_selectors
from sifa.catalogue.processes import require_process
from sifa.mediation.selectors import public_roster
from sifa.organisations.scope import actor_for
from sifa.portal.citizen.common import applicant_required, page
from sifa.portal.citizen.drafts import CITIZEN, my_application
from sifa.web.journey import Journey, flow

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
        return redirect(flow(app, CITIZEN)[0]["url"])
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
        # 律师法 §10: one who already holds the licence the item issues is told before starting.
        "refusal": services.second_licence_refusal(entry, request.user),
        # 人民调解法 §23: an applicant may choose mediators — show the 司法所's roster to choose from.
        "roster": public_roster(entry.accepting_organisation)
        if "preferred_mediators" in _fields(version)
        else [],
    }
    return page(request, "portal/citizen/apply_start.html", context)


def _fields(version: Any) -> dict[str, Any]:
    form = getattr(version, "form", None)
    return (form.schema.get("properties") or {}) if form is not None else {}


# --- 情形, form steps, materials (sifa.web.journey) ---------------------------------------------

APPLY = Journey(
    routes=CITIZEN,
    templates={
        "situations": "portal/citizen/apply_situations.html",
        "form": "portal/citizen/apply_form.html",
        "materials": "portal/citizen/apply_materials.html",
        "check": "portal/citizen/apply_check.html",
        "pickup": "portal/citizen/apply_pickup.html",
    },
    render=page,
    draft=_draft,
)


situations, form_step, materials = APPLY.step_views(applicant_required)
pickup = APPLY.pickup_view(applicant_required)


# --- check your answers, submit, confirmation --------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def check(request: HttpRequest, app_id: Any) -> HttpResponse:
    app = my_application(request, app_id, acting=True)
    if request.method == "POST":
        answer = APPLY.submit(request, app, submit_key(app))
        if isinstance(answer, HttpResponse):
            return answer
        request.session[QUERY_CODE_SESSION.format(pk=app.pk)] = answer["query_code"]
        return redirect("citizen-apply-done", app_id=app.pk)
    if app.status != ApplicationStatus.DRAFT:
        return redirect("citizen-application", ref=app.number or app.pk)
    return APPLY.check(request, app)


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
