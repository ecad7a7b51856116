"""提交模拟办件 in the workbench: an inspector files a mock application (暗访) as a test applicant.

``/workbench/inspections/mocks/new/`` in three plain steps, each a GET form so a step can be
bookmarked and nothing needs JavaScript:

1. the organisation handling the item (the inspector's subtree, down to the county);
2. the item it implements (only items whose process is shipped: no dead end);
3. one page with the test identity (测试身份), the item's 情形 questions, its application form
   (the citizen's own JSON-Schema form, ``sifa.web.jsonschema_forms``) and its materials, posted
   once (``multipart/form-data``) to :func:`sifa.inspections.services.file_mock` — the very
   command of ``POST /api/v1/inspections/mock-applications/``. The page carries an idempotency
   key, so a double click or a resent form files one mock, not two.

A refusal of the command (a missing material, a real person's 公民身份号码, a form field the
catalogue's validator refuses) re-renders the page with an error summary whose links jump to the
field at fault. The mock is then on the inspector's list (``/workbench/inspections/``) and its
page takes the score once the case has ended.
"""

from __future__ import annotations

import secrets
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.accounts.services.common import PHONE_RE, normalize_phone
from sifa.applications.services.draft_materials import applicable_materials
from sifa.catalogue.models import EntryStatus, ImplementationEntry, MaterialNecessity
from sifa.catalogue.processes import process_available
from sifa.core.errors import ServiceError
from sifa.inspections import services
from sifa.web import jsonschema_forms as jf
from sifa.web.journey import bound_fields
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import page
from sifa.workbench.views.inspection import _inspector, organisations_for

PREFILL = {"applicant_name": "name", "id_number": "id_number", "phone": "phone"}
"""Application-form fields left empty are filled from the test identity (as the citizen's own
account fills them on the portal)."""

KEY_RE = r"^[0-9A-Za-z_-]{16,64}$"


class TestIdentityForm(DecoratedForm):
    """The test identity: a fictitious person (the command refuses a real person's number)."""

    name = forms.CharField(
        label="测试身份姓名",
        max_length=50,
        help_text="虚构的姓名；同一测试身份再次使用时须与首次登记的一致",
        error_messages={"required": "请填写测试身份姓名"},
    )
    id_number = forms.CharField(
        label="测试身份公民身份号码",
        max_length=18,
        help_text="虚构的18位号码（校验位须正确），不得使用真实人员的号码",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "请填写测试身份的公民身份号码"},
    )
    phone = forms.CharField(
        label="测试身份手机号码",
        max_length=20,
        required=False,
        help_text="首次使用该测试身份时填写，办理通知发到该号码",
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    key = forms.RegexField(regex=KEY_RE, widget=forms.HiddenInput, required=False)

    prefix = "applicant"  # the item's own form may have fields called name, id_number, phone

    def clean_id_number(self) -> str:
        return self.cleaned_data["id_number"].strip().upper()

    def clean_phone(self) -> str:
        phone = normalize_phone(self.cleaned_data.get("phone") or "")
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError("手机号码应为11位，以1开头")
        return phone


def _organisation(request: HttpRequest) -> tuple[list[tuple[int, str]], int | None]:
    """The organisations offered, and the one chosen (``?organisation=``). A number outside the
    inspector's subtree is 404, as if it did not exist."""
    choices = organisations_for(request.actor)
    raw = request.GET.get("organisation", "")
    if not raw:
        return choices, None
    if not raw.isdigit() or int(raw) not in {pk for pk, _ in choices}:
        raise Http404("未找到该机构")
    return choices, int(raw)


def _entries(organisation_id: int) -> dict[str, ImplementationEntry]:
    """The items the organisation implements and may receive for, by 基本编码."""
    rows = (
        ImplementationEntry.objects.select_related("item", "version", "version__form")
        .filter(organisation_id=organisation_id, status=EntryStatus.ACTIVE)
        .order_by("item__basic_code", "-id")
    )
    out: dict[str, ImplementationEntry] = {}
    for entry in rows:
        if entry.item.basic_code not in out and process_available(entry.version):
            out[entry.item.basic_code] = entry
    return out


def _schema(entry: ImplementationEntry) -> dict[str, Any]:
    form = getattr(entry.version, "form", None)
    return (form.schema or {}) if form is not None else {}


def _situations(entry: ImplementationEntry) -> list:
    return list(entry.version.situations.all())


def _read(request: HttpRequest, entry: ImplementationEntry, identity: dict[str, str]):
    """What was posted: 情形 answers, the form data and the files, with their own errors."""
    posted = request.POST.copy()
    schema = _schema(entry)
    fields = jf.all_fields(schema)
    names = {f.name for f in fields}
    for field, source in PREFILL.items():
        if field in names and not str(posted.get(field, "")).strip() and identity.get(source):
            posted[field] = identity[source]
    answers: dict[str, str] = {}
    situation_errors: dict[str, str] = {}
    for question in _situations(entry):
        value = posted.get(f"s-{question.code}", "")
        if value in {str(o.get("value")) for o in question.options}:
            answers[question.code] = value
        else:
            situation_errors[question.code] = f"请选择：{question.question}"
    form_data, field_errors = jf.read_fields(fields, posted, {}, schema)
    materials = []
    for material in applicable_materials(entry.version, answers):
        upload = request.FILES.get(f"m-{material.pk}")
        if upload is not None:
            materials.append(
                services.Material(
                    material=material.pk,
                    filename=upload.name,
                    content=upload.read(),
                    content_type=upload.content_type or "application/octet-stream",
                )
            )
    return posted, answers, situation_errors, form_data, field_errors, materials


def _place(refused: ServiceError, identity: TestIdentityForm, errors: dict[str, dict]) -> list:
    """The command's problems, each on its field: the identity, a 情形, a form field or a material."""
    rows = []
    for problem in refused.errors or [{"field": "", "message": refused.message}]:
        name, message = str(problem.get("field", "")), str(problem.get("message", refused.message))
        if name.startswith("applicant."):
            inner = name.removeprefix("applicant.")
            identity.add_error(inner if inner in identity.fields else None, message)
            continue
        if name.startswith("situation_answers."):
            code = name.split(".", 1)[1]
            errors["situations"][code] = message
            rows.append((f"s-{code}-0", message))
        elif name.startswith("materials."):
            pk = name.split(".", 1)[1]
            errors["materials"][pk] = message
            rows.append((f"m-{pk}", message))
        elif name and name != "form_data":
            errors["fields"][name] = message
            rows.append(("f-" + name.replace(".", "-"), message))
        else:
            rows.append(("mock-form", message))
    return rows


def _identity_rows(identity: TestIdentityForm) -> list[tuple[str, str]]:
    rows = []
    for name, messages_ in identity.errors.items():
        anchor = identity[name].auto_id if name in identity.fields and name != "key" else "mock-form"
        rows += [(anchor, str(m)) for m in messages_]
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def new_view(request: HttpRequest) -> HttpResponse:
    _inspector(request)
    choices, organisation_id = _organisation(request)
    context: dict[str, Any] = {"nav": "inspections", "organisations": choices, "organisation": None}
    if organisation_id is None:
        if request.method == "POST":
            return redirect("workbench-inspection-mock-new")
        return page(request, "workbench/inspection/mock_new.html", context)
    context["organisation"] = dict(choices)[organisation_id]
    context["organisation_id"] = organisation_id
    entries = _entries(organisation_id)
    context["items"] = [(code, e.item.name) for code, e in entries.items()]
    code = request.GET.get("item", "")
    if not code:
        if request.method == "POST":
            return redirect(f"{request.path}?organisation={organisation_id}")
        return page(request, "workbench/inspection/mock_new.html", context)
    entry = entries.get(code)
    if entry is None:
        raise Http404("该机构没有可以申请的这一事项")
    context["entry"] = entry
    errors: dict[str, dict] = {"situations": {}, "fields": {}, "materials": {}}
    summary: list[tuple[str, str]] = []
    answers: dict[str, str] = {}
    form_data: dict[str, Any] = {}
    posted = None
    status = 200
    if request.method == "POST":
        identity = TestIdentityForm(request.POST)
        valid = identity.is_valid()
        data = identity.cleaned_data if valid else {}
        posted, answers, errors["situations"], form_data, errors["fields"], materials = _read(
            request, entry, data
        )
        summary = _identity_rows(identity)
        summary += [(f"s-{c}-0", m) for c, m in errors["situations"].items()]
        summary += [("f-" + n.replace(".", "-"), m) for n, m in errors["fields"].items()]
        if not summary:
            try:
                filed = services.file_mock(
                    request.user,
                    organisation=organisation_id,
                    item=code,
                    applicant={"name": data["name"], "id_number": data["id_number"], "phone": data["phone"]},
                    form_data=form_data,
                    situation_answers=answers,
                    materials=materials,
                    idempotency_key=data["key"],
                )
            except ServiceError as refused:
                summary = _place(refused, identity, errors) + _identity_rows(identity)
                status = refused.status
            else:
                number = filed.mock.application.number
                messages.success(request, f"已以测试身份提交模拟办件 {number}，办结后可在此评分。")
                return redirect("workbench-inspection-mock", mock_id=filed.mock.public_id)
        else:
            status = 400
    else:
        identity = TestIdentityForm(initial={"key": secrets.token_urlsafe(24)})
    context.update(
        identity=identity,
        errors=summary,
        questions=[
            {
                "code": q.code,
                "question": q.question,
                "error": errors["situations"].get(q.code, ""),
                "answer": answers.get(q.code, "") if posted is not None else "",
                "options": [
                    {"value": str(o.get("value")), "label": o.get("label") or o.get("value"), "index": i}
                    for i, o in enumerate(q.options)
                ],
            }
            for q in _situations(entry)
        ],
        fields=bound_fields(jf.all_fields(_schema(entry)), form_data, errors["fields"], posted),
        materials=[
            {
                "pk": m.pk,
                "name": m.name,
                "required": m.necessity == MaterialNecessity.REQUIRED,
                "situations": bool(m.situations),
                "file_format": m.file_format,
                "error": errors["materials"].get(str(m.pk), ""),
            }
            for m in entry.version.materials.all()
        ],
    )
    return page(request, "workbench/inspection/mock_new.html", context, status=status)
