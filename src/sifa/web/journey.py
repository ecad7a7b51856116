"""The apply journey: 情形 → form steps → materials → check and submit, for one draft.

Two sites run it: the citizen at ``/apply/…`` (``sifa.portal.citizen.views_apply``) and a window
clerk for a walk-in applicant at ``/workbench/window/…`` (一窗受理, ``sifa.workbench.views.window``).
They differ only in their addresses (:class:`Routes`), their page frame and wording (templates),
who may open the draft, and what every page shows besides the draft — a :class:`Journey` holds
those, and its methods are the step pages both sites serve. The correction page (补正) and 我的空间
use the helpers (checklist, bound fields, the material upload) too.

Every POST writes through ``sifa.applications.services`` (each command atomic and audited).
Submitting carries an Idempotency-Key derived from the draft, so a double click, a reload or a
resent form replays the first answer (one application, one number, one query code).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.applications import services
from sifa.applications.models import Application, MaterialProvenance
from sifa.applications.selectors import default_pickup_window
from sifa.applications.serializers import materials_checklist, partner_consent
from sifa.catalogue.models import MaterialNecessity
from sifa.core.errors import ServiceError
from sifa.core.masking import mask_address, mask_id_number, mask_phone
from sifa.web import jsonschema_forms as jf
from sifa.web.errors import error_list


@dataclass(frozen=True)
class Routes:
    """URL names of one apply journey's pages (each takes the draft's id), and how a material
    file of the draft is linked."""

    situations: str
    form: str
    materials: str
    check: str
    file_url: Callable[[Application, str], str]
    pickup: str = ""
    """The 领取地点 page ("在哪里领取办理结果"), if the site offers it."""
    pickup_windows: Callable[[Application], list] | None = None
    """Where the draft's result may be collected (the site's rule, ``workflow.selectors
    .pickup_windows``); the page is in the flow only when this offers a choice."""
    mask_on_check: bool = False
    """Show 公民身份号码 and phone numbers masked on the check page (the portal: the page may be
    on a shared screen; the window clerk checks them against the card in hand, unmasked)."""


def pickup_choices(app: Application, routes: Routes) -> list:
    """The 领取窗口 the journey offers for ``app`` ([] = the question is not asked)."""
    if not routes.pickup or routes.pickup_windows is None:
        return []
    return routes.pickup_windows(app)


def schema_of(app: Application) -> dict[str, Any]:
    try:
        return app.version.form.schema or {}
    except ObjectDoesNotExist:
        return {}


def situations_of(app: Application) -> list:
    return list(app.version.situations.all())


def ref_of(app: Application) -> str:
    return app.number or str(app.pk)


def flow(app: Application, routes: Routes) -> list[dict[str, str]]:
    """The pages of the apply journey in order, for the step indicator and next/back links."""
    pk = app.pk
    pages = []
    if situations_of(app):
        pages.append({"key": "situations", "title": "选择情形", "url": reverse(routes.situations, args=[pk])})
    for step in jf.steps_of(schema_of(app)):
        pages.append(
            {
                "key": f"form-{step.number}",
                "title": step.legend or f"填写{step.title}（{step.number}）",
                "url": reverse(routes.form, args=[pk, step.number]),
            }
        )
    pages.append({"key": "materials", "title": "提交材料", "url": reverse(routes.materials, args=[pk])})
    if pickup_choices(app, routes):
        pages.append({"key": "pickup", "title": "领取地点", "url": reverse(routes.pickup, args=[pk])})
    pages.append({"key": "check", "title": "核对并提交", "url": reverse(routes.check, args=[pk])})
    return pages


def position(app: Application, key: str, routes: Routes) -> dict[str, Any]:
    """Where ``key`` sits in the flow: its number, the total, and the previous and next pages."""
    pages = flow(app, routes)
    index = next(i for i, p in enumerate(pages) if p["key"] == key)
    return {
        "pages": pages,
        "current": index + 1,
        "total": len(pages),
        "title": pages[index]["title"],
        "previous": pages[index - 1] if index else None,
        "next": pages[index + 1] if index + 1 < len(pages) else None,
    }


def checklist(app: Application, routes: Routes) -> list[dict[str, Any]]:
    """The material checklist with the labels an applicant reads (来源, 必要性)."""
    necessity = dict(MaterialNecessity.choices)
    provenance = dict(MaterialProvenance.choices)
    rows = []
    for row in materials_checklist(app):
        from_source = row["provenance"] not in (
            None,
            MaterialProvenance.UPLOAD,
            MaterialProvenance.WINDOW_SCAN,
        )
        rows.append(
            {
                **row,
                "necessity_label": necessity.get(row["necessity"], row["necessity"]),
                "provenance_label": provenance.get(row["provenance"], ""),
                "from_source": from_source,
                "file_url": routes.file_url(app, row["file"]["id"]) if row["file"] else "",
            }
        )
    return rows


def error_links(app: Application, errors: list[dict[str, str]], routes: Routes) -> list[dict[str, str]]:
    """Service errors as summary links to the page and field that fixes each one."""
    schema = schema_of(app)
    out = []
    for error in errors:
        name = error.get("field", "")
        if name.startswith("situation_answers."):
            href = reverse(routes.situations, args=[app.pk]) + "#s-" + name.split(".", 1)[1] + "-0"
        elif name.startswith("materials."):
            href = reverse(routes.materials, args=[app.pk]) + "#m-" + name.split(".", 1)[1] + "-file"
        else:
            step = jf.step_of_field(schema, name)
            href = (
                reverse(routes.form, args=[app.pk, step]) + "#f-" + name.replace(".", "-")
                if step
                else "#main"
            )
        link = {"href": href, "message": error.get("message", "")}
        if link not in out:  # the same problem may be reported more than once
            out.append(link)
    return out


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


def situation_rows(app: Application, answers: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    """The 情形 questions with their options, the answer so far and each question's error."""
    return [
        {
            "code": q.code,
            "question": q.question,
            "hint": q.hint,
            "basis": q.basis,
            "error": errors.get(q.code, ""),
            "options": [
                {"value": str(o.get("value")), "label": o.get("label") or o.get("value"), "index": i}
                for i, o in enumerate(q.options)
            ],
            "answer": answers.get(q.code, ""),
        }
        for q in situations_of(app)
    ]


def read_situations(app: Application, posted: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The posted 情形 answers merged into the draft's, and an error per unanswered question."""
    answers = dict(app.situation_answers or {})
    errors: dict[str, str] = {}
    for question in situations_of(app):
        value = posted.get(f"s-{question.code}", "")
        if value not in {str(o.get("value")) for o in question.options}:
            errors[question.code] = f"请选择：{question.question}"
            answers.pop(question.code, None)
        else:
            answers[question.code] = value
    return answers, errors


ADDRESS_FIELD = "address"
"""The form's 通讯地址 (``catalogue.data.common.person_form``), prefilled from the account."""


def _shown(field: jf.Field, value: str, mask: bool, *, person: bool = False) -> str:
    """A check-page value, masked where the journey says so: 110***********002X, 138****5678, and
    a person's address 浙江省杭州市西湖区北山街道****."""
    if not mask or not value:
        return value
    if field.widget == "id-number":
        return mask_id_number(value)
    if field.widget == "tel":
        return mask_phone(value)
    if person and field.name == ADDRESS_FIELD:
        return mask_address(value)
    return value


def answers_summary(app: Application, routes: Routes) -> dict[str, Any]:
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
            "url": reverse(routes.form, args=[app.pk, step.number]),
            "rows": [
                {
                    "field": f,
                    "value": _shown(
                        f,
                        jf.display_value(f, app.form_data or {}),
                        routes.mask_on_check,
                        person=app.applicant_person_id is not None,
                    ),
                }
                for f in step.fields
            ],
        }
        for step in jf.steps_of(schema)
    ]
    return {"situations": situation_rows, "steps": step_rows}


PICKUP_QUESTION = "在哪里领取办理结果"


def pickup_summary(app: Application, routes: Routes, choices: list | None = None) -> dict[str, str] | None:
    """The 领取地点 row of check your answers (with its change link), or None when not asked."""
    choices = pickup_choices(app, routes) if choices is None else choices
    if not choices:
        return None
    return {
        "label": PICKUP_QUESTION,
        "value": default_pickup_window(app).name,
        "url": reverse(routes.pickup, args=[app.pk]),
    }


def _pickup_hint(app: Application, organisation: Any) -> str:
    if organisation.pk == app.accepting_organisation_id:
        return "受理机构"
    if organisation.pk == app.receiving_window_id:
        return "收取申请材料的窗口"
    return ""


def valid_until_of(raw: str) -> tuple[dt.date | None, str]:
    """A material's optional 有效期至 as posted: the date, or an error message."""
    if not raw:
        return None, ""
    try:
        return dt.date.fromisoformat(raw), ""
    except ValueError:
        return None, "有效期应为有效日期，格式如 2027-01-31"


def upload_from_post(request: HttpRequest, app: Application) -> dict[str, str]:
    """Store the one posted file for its material; the errors, keyed by the input's id.

    A refusal the person can fix on the page (type, size, date) comes back on the input; one they
    cannot (404, 409, 403 — e.g. the draft is no longer theirs to change) is raised."""
    material = request.POST.get("material", "")
    prefix = f"m-{material}" if material.isdigit() else "m"
    upload = request.FILES.get("file")
    valid_until, date_error = valid_until_of(request.POST.get("valid_until", "").strip())
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
        if exc.status >= 500 or exc.status in (403, 404, 409):
            raise
        on_date = [e.get("message", "") for e in exc.errors if e.get("field") == "valid_until"]
        if on_date:
            return {f"{prefix}-valid-until": "；".join(on_date)}
        detail = "；".join(e.get("message", "") for e in exc.errors)
        return {f"{prefix}-file": detail or exc.message}
    messages.success(request, f"已上传“{row.material.name}”：{row.display_name}")
    return {}


def _nothing(app: Application) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Journey:
    """One site's apply journey: the step pages, served under that site's addresses and frame.

    ``draft(request, app_id)`` opens a draft the caller may change, or answers with a redirect
    (the draft was submitted meanwhile) — anyone else's draft raises; ``render`` draws a page of
    the site; ``templates`` names its page for each step (``situations``, ``form``, ``materials``,
    ``check``); ``shows(app)`` adds what every page of the site shows besides the draft."""

    routes: Routes
    templates: Mapping[str, str]
    render: Callable[..., HttpResponse]
    draft: Callable[[HttpRequest, Any], Application | HttpResponse]
    shows: Callable[[Application], dict[str, Any]] = field(default=_nothing)

    def step_views(self, guard: Callable[[Callable], Callable]) -> tuple[Callable, ...]:
        """The 情形, form-step and materials pages as the site's views (GET shows, POST saves),
        never cached, behind the site's ``guard`` (who may use the site at all)."""

        def view(handler: Callable) -> Callable:
            return never_cache(require_http_methods(["GET", "POST"])(guard(handler)))

        return view(self.situations), view(self.form), view(self.materials)

    def _page(self, request: HttpRequest, step: str, context: dict[str, Any], errors: Any) -> HttpResponse:
        return self.render(request, self.templates[step], context, status=400 if errors else 200)

    def _context(self, app: Application, key: str) -> dict[str, Any]:
        return {"app": app, "flow": position(app, key, self.routes), **self.shows(app)}

    def situations(self, request: HttpRequest, app_id: Any) -> HttpResponse:
        app = self.draft(request, app_id)
        if isinstance(app, HttpResponse):
            return app
        if not situations_of(app):  # an item without 情形: the journey starts at the form
            return redirect(flow(app, self.routes)[0]["url"])
        answers, errors = dict(app.situation_answers or {}), {}
        if request.method == "POST":
            answers, errors = read_situations(app, request.POST)
            if not errors:
                services.update_draft(app, actor=request.user, situation_answers=answers)
                return redirect(position(app, "situations", self.routes)["next"]["url"])
        context = {
            **self._context(app, "situations"),
            "questions": situation_rows(app, answers, errors),
            "errors": error_list(errors, {code: f"#s-{code}-0" for code in errors}),
        }
        return self._page(request, "situations", context, errors)

    def form(self, request: HttpRequest, app_id: Any, step: int) -> HttpResponse:
        app = self.draft(request, app_id)
        if isinstance(app, HttpResponse):
            return app
        schema = schema_of(app)
        steps = jf.steps_of(schema)
        if not 1 <= step <= len(steps):
            return redirect(reverse(self.routes.check, args=[app.pk]))
        current = steps[step - 1]
        errors: dict[str, str] = {}
        posted = None
        if request.method == "POST":
            data, errors = jf.read_fields(current.fields, request.POST, app.form_data or {}, schema)
            if not errors:
                services.update_draft(app, actor=request.user, form_data=data)
                return redirect(position(app, f"form-{step}", self.routes)["next"]["url"])
            posted = request.POST
        context = {
            **self._context(app, f"form-{step}"),
            "step": current,
            "fields": bound_fields(current.fields, app.form_data or {}, errors, posted),
            "errors": error_list(errors),
        }
        return self._page(request, "form", context, errors)

    def pickup_view(self, guard: Callable[[Callable], Callable]) -> Callable:
        """The 领取地点 page as the site's view (GET shows, POST saves), behind ``guard``."""
        return never_cache(require_http_methods(["GET", "POST"])(guard(self.pickup)))

    def pickup(self, request: HttpRequest, app_id: Any) -> HttpResponse:
        """ "在哪里领取办理结果": a radio list of the windows on offer, the default checked (the chosen
        one, the window that received a walk-in, else the accepting organisation); saved on the
        draft as ``pickup_window`` through ``services.update_draft``. An item whose result is not
        handed over at a window has no such page: it goes on to check your answers."""
        app = self.draft(request, app_id)
        if isinstance(app, HttpResponse):
            return app
        choices = pickup_choices(app, self.routes)
        if not choices:
            return redirect(reverse(self.routes.check, args=[app.pk]))
        chosen = str(default_pickup_window(app).pk)
        errors: dict[str, str] = {}
        if request.method == "POST":
            chosen = request.POST.get("pickup_window", "")
            if chosen not in {str(org.pk) for org in choices}:
                errors["pickup_window"] = f"请选择{PICKUP_QUESTION}"
            else:
                try:
                    services.update_draft(app, actor=request.user, pickup_window=chosen)
                except ServiceError as refused:
                    if refused.status != 400:
                        raise
                    errors["pickup_window"] = (refused.errors or [{}])[0].get("message") or refused.message
                else:
                    return redirect(position(app, "pickup", self.routes)["next"]["url"])
        context = {
            **self._context(app, "pickup"),
            "question": PICKUP_QUESTION,
            "options": [
                {"value": str(org.pk), "label": org.name, "index": i, "hint": _pickup_hint(app, org)}
                for i, org in enumerate(choices)
            ],
            "chosen": chosen,
            "error": errors.get("pickup_window", ""),
            "errors": error_list(errors, {"pickup_window": "#pickup-0"}),
        }
        return self._page(request, "pickup", context, errors)

    def materials(self, request: HttpRequest, app_id: Any) -> HttpResponse:
        app = self.draft(request, app_id)
        if isinstance(app, HttpResponse):
            return app
        errors: dict[str, str] = {}
        upload_url = reverse(self.routes.materials, args=[app.pk])
        if request.method == "POST" and "partner_consent_form" in request.POST:
            given = request.POST.get("partner_consent") == "1"
            app = services.set_partner_consent(app, actor=request.user, consent=given)
            messages.success(
                request,
                "已同意向公安机关核验，核验结果见材料清单"
                if given
                else "未同意向公安机关核验，请上传相应材料",
            )
            return redirect(f"{upload_url}#partner-consent")
        if request.method == "POST":
            errors = upload_from_post(request, app)
            if not errors:
                return redirect(f"{upload_url}#m-{request.POST['material']}")
        context = {
            **self._context(app, "materials"),
            "checklist": [
                {
                    **row,
                    "error": errors.get(f"m-{row['material']}-file", ""),
                    "date_error": errors.get(f"m-{row['material']}-valid-until", ""),
                }
                for row in checklist(app, self.routes)
            ],
            "errors": [{"href": "#" + key, "message": message} for key, message in errors.items()],
            "upload_url": upload_url,
            "partner_consent": partner_consent(app),
        }
        return self._page(request, "materials", context, errors)

    def check(self, request: HttpRequest, app: Application, errors: list | None = None, title: str = ""):
        """Check your answers: every answer and material with a link to change it."""
        context = {
            **self._context(app, "check"),
            "summary": answers_summary(app, self.routes),
            "checklist": checklist(app, self.routes),
            "situations_url": reverse(self.routes.situations, args=[app.pk]),
            "materials_url": reverse(self.routes.materials, args=[app.pk]),
            "pickup": pickup_summary(app, self.routes),
            "errors": errors or [],
        }
        if title:
            context["error_title"] = title
        return self._page(request, "check", context, errors)

    def submit(self, request: HttpRequest, app: Application, key: str) -> dict[str, Any] | HttpResponse:
        """Submit the draft once for ``key``: the answer's body (number, query code, id), or the
        check page again (400) with links to what to fix. Any other refusal is raised."""

        def run() -> tuple[int, dict[str, Any]]:
            submitted, code = services.submit(app, actor=request.user)
            return 201, {"number": submitted.number, "query_code": code, "id": str(submitted.pk)}

        try:
            _status, body = services.idempotent(
                user=request.user,
                key=key,
                scope=f"applications.submit:{app.pk}",
                payload={"application": str(app.pk)},
                run=run,
            )
        except ServiceError as refused:
            if not refused.errors:
                raise
            app.refresh_from_db()
            return self.check(request, app, error_links(app, refused.errors, self.routes), refused.message)
        return body
