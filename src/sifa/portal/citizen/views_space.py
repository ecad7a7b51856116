"""我的空间: my applications with their next action (and my newest e-licences, documents and
法律咨询), one application, materials, messages and who read my personal data (e-licences:
views_licences.py, documents: views_documents.py; consultations: sifa.consultation.views).
Everything is the caller's own; another citizen's ids answer 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sifa.applications import selectors, services
from sifa.applications.models import Application, ApplicationMaterial, ApplicationStatus
from sifa.applications.serializers import timeline
from sifa.applications.services.common import agent_may_act
from sifa.applications.services.drafts import PRE_ACCEPTANCE
from sifa.applications.uploads import attachment_response
from sifa.audit.selectors import my_access_log, reader_name
from sifa.consultation import selectors as consultations
from sifa.core.errors import NotFound, ServiceError
from sifa.evaluation import selectors as evaluation
from sifa.evaluation import services as evaluation_services
from sifa.evaluation.models import Channel as RatingChannel
from sifa.evaluation.models import Level, SubjectKind
from sifa.licences.selectors import my_licences
from sifa.notifications import services as notification_services
from sifa.notifications.selectors import my_messages
from sifa.organisations.scope import actor_for, scoped
from sifa.portal.citizen.common import applicant_required, page
from sifa.portal.citizen.drafts import CITIZEN, my_application
from sifa.portal.citizen.views_documents import my_documents
from sifa.portal.citizen.views_licences import licence_row
from sifa.web.journey import checklist, flow, ref_of

PAGE_SIZE = 20
DASHBOARD_LATEST = 3


def on_behalf(user: Any, app: Application) -> str:
    """Who acts for whom, in words: "代张三申请" for the agent, "由某律师事务所代办" for the principal."""
    if app.agent_id is None:
        return ""
    if app.agent_id == user.pk and app.applicant_id != user.pk:
        return f"代{app.applicant.display_name if app.applicant else '委托人'}申请（代办）"
    return f"由{app.agent.display_name}代办"


def next_action(app: Application, user: Any = None) -> dict[str, str]:
    """The one thing the applicant can do next, as a link (or just words when it is ours to do).
    An agent whose mandate has ended has nothing left to do."""
    if user is not None and not agent_may_act(user, app):
        return {"label": "委托已结束，不能再代为办理", "url": ""}
    label = selectors.NEXT_ACTIONS.get(app.status, "")
    if app.status == ApplicationStatus.DRAFT:
        return {"label": label, "url": flow(app, CITIZEN)[0]["url"]}
    if app.status == ApplicationStatus.CORRECTION_REQUIRED:
        return {"label": label, "url": reverse("citizen-correction", args=[ref_of(app)])}
    return {"label": label, "url": ""}


def _mine(request: HttpRequest):
    user = request.user
    return (
        selectors.applications(actor_for(user))
        .filter(Q(applicant=user) | Q(agent=user))
        .select_related("applicant", "agent")
    )


def _paged(request: HttpRequest, rows) -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@never_cache
@require_safe
@applicant_required
def dashboard(request: HttpRequest) -> HttpResponse:
    page_obj = _paged(request, _mine(request))
    rows = [
        {
            "app": app,
            "ref": ref_of(app),
            "stage": selectors.STAGES.get(app.status, ""),
            "next": next_action(app, request.user),
            "on_behalf": on_behalf(request.user, app),
        }
        for app in page_obj
    ]
    context = {
        "title": "我的空间",
        "rows": rows,
        "page_obj": page_obj,
        "unread": my_messages(request.user, unread_only=True).count(),
        "licences": [licence_row(licence) for licence in my_licences(request.user)[:DASHBOARD_LATEST]],
        "documents": list(my_documents(request.user)[:DASHBOARD_LATEST]),
        "consultations": list(consultations.mine(request.user)[:DASHBOARD_LATEST]),
        "section": "applications",
    }
    return page(request, "portal/citizen/me_dashboard.html", context)


def rating_context(user: Any, app: Application) -> dict[str, Any]:
    """好差评 on the case page: the applicant's own rating (and the rectification a 差评 opened), or
    whether they may rate it now (delivered or refused, once; an agent does not rate)."""
    rating = (
        evaluation.my_rating(user, subject=SubjectKind.APPLICATION, number=app.number) if app.number else None
    )
    return {
        "rating": rating,
        "rectification": evaluation.my_rectification_out(rating) if rating else None,
        "can_rate": rating is None
        and app.applicant_id == user.pk
        and app.status in evaluation_services.RATEABLE_STATUSES,
        "levels": Level.choices,
    }


def _detail(
    request: HttpRequest, app: Application, rating_form: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    may_act = agent_may_act(request.user, app)
    context = {
        "title": f"办件 {app.number or '草稿'}",
        "app": app,
        "ref": ref_of(app),
        "stage": selectors.STAGES.get(app.status, ""),
        "next": next_action(app, request.user),
        "on_behalf": on_behalf(request.user, app),
        "mandate_ended": not may_act,
        "deadline": selectors.deadline(app),
        "checklist": checklist(app, CITIZEN),
        "notices": list(app.correction_notices.order_by("issued_at")),
        "timeline": timeline(app),
        "can_withdraw": may_act and app.status in PRE_ACCEPTANCE,
        "documents": list(
            my_documents(request.user).filter(related_type="application", related_id=app.number)
        )
        if app.number
        else [],
        "section": "applications",
        **rating_context(request.user, app),
        "rating_form": rating_form or {"errors": [], "level": "", "comment": ""},
    }
    return page(request, "portal/citizen/me_application.html", context, status=status)


@never_cache
@require_safe
@applicant_required
def application_detail(request: HttpRequest, ref: str) -> HttpResponse:
    return _detail(request, my_application(request, ref))


RATING_FIELDS = {"level": "f-level", "comment": "f-comment"}
NO_LEVEL = "请选择您对本次服务的满意程度"


@never_cache
@require_POST
@applicant_required
def rate_application(request: HttpRequest, ref: str) -> HttpResponse:
    """评价本次服务: the applicant rates a delivered or refused case once (channel PC端/网站). Bad
    input is the case page again with the error summary (400); a case already rated or not yet
    finished goes back to the case page with the reason."""
    app = my_application(request, ref)
    level, comment = request.POST.get("level", ""), request.POST.get("comment", "").strip()
    if not app.number or app.applicant_id != request.user.pk:  # a draft, or the agent's view of it
        raise NotFound("未找到可评价的办件或咨询", code="evaluation.not_found")
    try:
        rating = evaluation_services.rate(
            request.user,
            subject=SubjectKind.APPLICATION,
            number=app.number,
            level=level,
            comment=comment,
            channel=RatingChannel.WEB,
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise
        if exc.status != 400:  # already rated, or not finished yet
            messages.info(request, exc.message)
            return redirect("citizen-application", ref=ref_of(app))
        problems = exc.errors or [{"field": "level", "message": exc.message}]
        if not level.strip():  # nothing chosen: say what to do rather than what is allowed
            problems = [{**e, "message": NO_LEVEL} if e.get("field") == "level" else e for e in problems]
        errors = [
            {"href": "#" + RATING_FIELDS.get(e.get("field", ""), "f-level"), "message": e.get("message", "")}
            for e in problems
        ]
        by_field = {e.get("field", "level"): e.get("message", "") for e in problems}
        form = {"errors": errors, "by_field": by_field, "level": level, "comment": comment}
        return _detail(request, app, rating_form=form, status=400)
    if rating.is_bad:
        messages.success(request, "感谢您的评价。我们已对您反映的问题启动整改，整改情况将告知您。")
    else:
        messages.success(request, "感谢您的评价。")
    return redirect("citizen-application", ref=ref_of(app))


@never_cache
@require_http_methods(["GET", "POST"])
@applicant_required
def withdraw(request: HttpRequest, ref: str) -> HttpResponse:
    app = my_application(request, ref, acting=True)
    if request.method == "POST":
        app = services.withdraw(app, request.user)
        messages.success(request, "申请已撤回。")
        return redirect("citizen-application", ref=ref_of(app))
    context = {"title": "撤回申请", "app": app, "ref": ref_of(app), "section": "applications"}
    return page(request, "portal/citizen/me_withdraw.html", context)


@require_safe
@applicant_required
def material_file(request: HttpRequest, ref: str, material_id: str) -> HttpResponse:
    my_application(request, ref)
    row = selectors.material(actor_for(request.user), ref, material_id)
    return attachment_response(row.storage_key, row.display_name, row.content_type)


@require_safe
def legacy_link(request: HttpRequest, ref: str) -> HttpResponse:
    """Notifications link to ``/applications/<number>/``: that is this application in 我的空间."""
    return redirect("citizen-application", ref=ref)


@never_cache
@require_safe
@applicant_required
def my_materials(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = (
        scoped(ApplicationMaterial.objects.all(), actor_for(user))
        .filter(Q(application__applicant=user) | Q(application__agent=user), superseded=False)
        .exclude(storage_key="")
        .select_related("application", "material")
        .order_by("-created_at")
    )
    page_obj = _paged(request, rows)
    items = [{"row": row, "ref": ref_of(row.application)} for row in page_obj]
    context = {"title": "我提交的材料", "items": items, "page_obj": page_obj, "section": "materials"}
    return page(request, "portal/citizen/me_materials.html", context)


@never_cache
@require_safe
@applicant_required
def my_messages_page(request: HttpRequest) -> HttpResponse:
    page_obj = _paged(request, my_messages(request.user))
    context = {"title": "我的消息", "page_obj": page_obj, "section": "messages"}
    return page(request, "portal/citizen/me_messages.html", context)


@require_POST
@applicant_required
def message_read(request: HttpRequest, public_id: str) -> HttpResponse:
    notification_services.mark_read(request.user, public_id)
    return redirect("citizen-messages")


DRAFT_REFERENCE = "草稿 "  # sifa.applications.partner_data.case_reference of a draft


def _my_cases(user: Any, references: list[str]) -> dict[str, dict[str, str]]:
    """The tracker's 办件 references that are the caller's own applications, as the number they bear
    now and their page: a check made while the application was still a draft (“草稿 d1bf3d3d”, the
    reference the exchange message carried) names the number it was submitted under, so the row
    leads to the case instead of to a draft the citizen can no longer find."""
    drafts = {r[len(DRAFT_REFERENCE) :] for r in references if r.startswith(DRAFT_REFERENCE)}
    numbers = {r for r in references if r and not r.startswith(DRAFT_REFERENCE)}
    if not drafts and not numbers:
        return {}
    prefixes = Q()
    for prefix in drafts:
        if prefix.isalnum():
            prefixes |= Q(pk__startswith=prefix)
    mine = Application.objects.filter(applicant=user).exclude(number="")
    found: dict[str, dict[str, str]] = {}
    for pk, number in mine.filter(prefixes | Q(number__in=numbers)).values_list("pk", "number"):
        url = reverse("citizen-application", args=[number])
        if number in numbers:
            found[number] = {"number": number, "url": url}
        draft = f"{DRAFT_REFERENCE}{str(pk).replace('-', '')[:8]}"
        if draft[len(DRAFT_REFERENCE) :] in drafts:
            found[draft] = {"number": number, "url": url, "draft": "1"}
    court = (
        numbers - found.keys()
    )  # an organ's 案号 (a 通知辩护 names its court case): the case it opened here
    if court:
        opened = mine.filter(form_data__court_case_number__in=sorted(court))
        for number, court_number in opened.values_list("number", "form_data__court_case_number"):
            if court_number in court:
                url = reverse("citizen-application", args=[number])
                found.setdefault(court_number, {"number": number, "url": url, "court": court_number})
    return found


@never_cache
@require_safe
@applicant_required
def access_log(request: HttpRequest) -> HttpResponse:
    """我的数据被谁查看 (我的数据使用记录): staff names masked (张*), organisation and purpose in
    full; for data given to or asked for by a partner organ, the receiver, legal basis, case number
    and exchange message id."""
    page_obj = _paged(request, my_access_log(request.user))
    cases = _my_cases(request.user, [row.case_number for row in page_obj])
    rows = [
        {
            "at": row.accessed_at,
            "organisation": row.reader_organisation.name if row.reader_organisation else "",
            "reader": reader_name(row),
            "purpose": row.purpose,
            "object_type": row.object_type,
            "kind": row.get_kind_display(),
            "receiver": row.receiver,
            "legal_basis": row.legal_basis,
            "case_number": row.case_number,
            "case": cases.get(row.case_number),
            "message_id": row.message_id,
        }
        for row in page_obj
    ]
    context = {"title": "我的数据使用记录", "rows": rows, "page_obj": page_obj, "section": "access"}
    return page(request, "portal/citizen/me_access_log.html", context)
