"""常见问题 (the 12348 knowledge base), kept by consultants.

``/workbench/faq/`` lists the entries I keep (the national ones if I may, and those of the
organisations in my jurisdiction); ``/workbench/faq/new/`` writes one as a draft;
``/workbench/faq/<id>/`` edits it and publishes or withdraws it. Every form is a plain POST (no
JavaScript) through ``sifa.consultation.services``; all problems come back at once in the error
summary, each linked to its field. Staff who keep no entries get 404, as for any page not theirs.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from sifa.consultation import services
from sifa.consultation.models import Category, Faq, FaqStatus
from sifa.consultation.selectors import faq as selectors
from sifa.core.errors import ServiceError
from sifa.organisations.models import Organisation
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import error_summary, page, paginate

NATIONAL = "national"


class FaqForm(DecoratedForm):
    organisation = forms.ChoiceField(
        label="维护机构",
        help_text="全国常见问题由司法部或省级司法行政机关的法律咨询人员维护",
        error_messages={"required": "请选择维护机构", "invalid_choice": "请选择您可以维护的机构"},
    )
    question = forms.CharField(
        label="问题",
        max_length=200,
        help_text="用群众的话写，5至200字，如“律师证丢了怎么办？”",
        error_messages={"required": "请填写问题"},
    )
    answer = forms.CharField(
        label="解答",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="10至5000字，纯文本，每段一行；写明的条文（如“律师法第六条”）会链接到法律法规库",
        error_messages={"required": "请填写解答"},
    )
    category = forms.ChoiceField(
        label="类别",
        choices=[("", "请选择"), *Category.choices],
        error_messages={"required": "请选择类别", "invalid_choice": "请选择有效的类别"},
    )
    keywords = forms.CharField(
        label="关键词（选填）",
        max_length=200,
        required=False,
        help_text="群众常用的说法，用空格分隔，如 律师证 执业证 补办",
    )
    citations = forms.CharField(
        label="法律依据（选填）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一条，如“律师法第六条”或“《中华人民共和国人民调解法》第十七条”",
    )
    item_codes = forms.CharField(
        label="相关事项的基本编码（选填）",
        required=False,
        help_text="用空格或换行分隔，如 000100001000",
    )

    def __init__(self, *args, choices: list[tuple[str, str]], editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = choices
        if editing:
            del self.fields["organisation"]  # an entry stays with the organisation that keeps it


def _choices(request: HttpRequest) -> list[tuple[str, str]]:
    national, organisations = services.curated_organisations(request.user)
    choices = [(NATIONAL, "全国常见问题")] if national else []
    return choices + [(str(o.pk), o.name) for o in organisations]


def _require_curator(request: HttpRequest) -> list[tuple[str, str]]:
    choices = _choices(request)
    if not choices and not request.actor.is_superuser:
        raise Http404("未找到该页面")
    return choices


def _command_fields(data: dict) -> dict:
    return {
        "question": data["question"],
        "answer": data["answer"],
        "category": data["category"],
        "keywords": data.get("keywords", ""),
        "citations": data.get("citations", ""),
        "item_codes": (data.get("item_codes") or "").split(),
    }


@require_safe
@staff_required
def faq_list_view(request: HttpRequest) -> HttpResponse:
    _require_curator(request)
    status = request.GET.get("status", "")
    rows = selectors.curated(request.user).order_by("-updated_at", "-id")
    if status in FaqStatus.values:
        rows = rows.filter(status=status)
    return page(
        request,
        "workbench/faq_list.html",
        {"nav": "faq", "page_obj": paginate(request, rows), "status": status, "statuses": FaqStatus.choices},
    )


@require_http_methods(["GET", "POST"])
@staff_required
def faq_new_view(request: HttpRequest) -> HttpResponse:
    choices = _require_curator(request)
    form = FaqForm(request.POST or None, choices=choices)
    error = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        organisation = None
        if data["organisation"] != NATIONAL:
            organisation = Organisation.objects.get(pk=int(data["organisation"]))
        try:
            faq = services.create_faq(request.user, organisation=organisation, **_command_fields(data))
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, "已保存为草稿。核对无误后请发布。")
            return redirect("workbench-faq", faq_id=faq.public_id)
    status = 400 if request.method == "POST" else 200
    return page(
        request,
        "workbench/faq_form.html",
        {"nav": "faq", "form": form, "faq": None, "errors": error_summary(form, error)},
        status=status if error is None else error.status,
    )


def _initial(faq: Faq) -> dict:
    return {
        "question": faq.question,
        "answer": faq.answer,
        "category": faq.category,
        "keywords": faq.keywords,
        "citations": "\n".join(c.label for c in faq.citations.order_by("position")),
        "item_codes": " ".join(faq.items.order_by("position").values_list("item_code", flat=True)),
    }


@require_http_methods(["GET", "POST"])
@staff_required
def faq_view(request: HttpRequest, faq_id: str) -> HttpResponse:
    choices = _require_curator(request)
    try:
        faq = selectors.curated_entry(request.user, faq_id)
    except ServiceError:
        raise Http404("未找到该常见问题") from None
    action = request.POST.get("action", "save")
    bound = request.method == "POST" and action == "save"
    form = FaqForm(request.POST if bound else None, initial=_initial(faq), choices=choices, editing=True)
    error = None
    if request.method == "POST":
        try:
            if action == "publish":
                services.publish_faq(request.user, faq)
                messages.success(request, "已发布，群众可以在“常见问题”中查到。")
                return redirect("workbench-faq", faq_id=faq.public_id)
            if action == "withdraw":
                services.withdraw_faq(request.user, faq)
                messages.success(request, "已撤下，群众不再能查到。")
                return redirect("workbench-faq", faq_id=faq.public_id)
            if form.is_valid():
                services.update_faq(request.user, faq, **_command_fields(form.cleaned_data))
                messages.success(request, "已保存。")
                return redirect("workbench-faq", faq_id=faq.public_id)
        except ServiceError as exc:
            error = exc
    status = 200 if request.method == "GET" else (error.status if error else 400)
    return page(
        request,
        "workbench/faq_form.html",
        {
            "nav": "faq",
            "form": form,
            "faq": faq,
            "citations": selectors.citations(faq),
            "errors": error_summary(form if bound else None, error),
        },
        status=status,
    )
