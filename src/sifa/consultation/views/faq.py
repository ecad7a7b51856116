"""The public knowledge-base pages: ``/faq/`` (search, or browse by category), ``/faq/<id>/`` (one
answer with its articles and catalogue items) and the htmx fragment ``/faq/suggest/?q=`` (a short
list of matching questions while the person types).

Server-rendered Chinese HTML on the portal's base template, no login. Without JavaScript the search
box is a plain GET form; with it, htmx asks ``/faq/suggest/`` after each pause in typing. A query
that is too long gets the error summary (400); the API's rate limit applies per client address.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sifa.consultation.api.faq import FaqThrottle
from sifa.consultation.models import Category
from sifa.consultation.selectors import faq as selectors
from sifa.core.errors import ServiceError
from sifa.laws.references import link

ASK_URL = "/consultations/new/"
SUGGESTIONS = 5
RESULTS = 20


class FaqSearchForm(forms.Form):
    q = forms.CharField(
        label="您想咨询什么问题？",
        required=False,
        max_length=selectors.MAX_QUERY_LENGTH,
        help_text="输入问题或关键词，如 律师证、离婚、法律援助",
        error_messages={"max_length": f"不能超过{selectors.MAX_QUERY_LENGTH}个字"},
        widget=forms.TextInput(attrs={"class": "sifa-input", "type": "search", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(
        label="类别",
        required=False,
        choices=[("", "全部类别"), *Category.choices],
        error_messages={"invalid_choice": "请从列表中选择有效的类别"},
        widget=forms.Select(attrs={"class": "sifa-select"}),
    )


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, {"nav": "faq", "ask_url": ASK_URL, **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _throttled(request: HttpRequest) -> bool:
    return not FaqThrottle().allow_request(request, None)


def index(request: HttpRequest) -> HttpResponse:
    form = FaqSearchForm(request.GET or None)
    context: dict = {"form": form}
    valid = form.is_valid() if form.is_bound else True
    if not (request.GET.get("q") or "").strip():  # no query: browse by category
        category = form.cleaned_data.get("category", "") if form.is_bound and valid else ""
        context["groups"] = [g for g in selectors.by_category() if not category or g[0] == category]
        return _render(request, "consultation/faq_index.html", context, status=200 if valid else 400)
    if _throttled(request):
        context["throttled"] = True
        return _render(request, "consultation/faq_index.html", context, status=429)
    if not valid:
        return _render(request, "consultation/faq_index.html", context, status=400)
    try:
        hits = selectors.search(form.cleaned_data["q"], category=form.cleaned_data["category"], limit=RESULTS)
    except ServiceError as exc:
        form.add_error("q", exc.message)
        return _render(request, "consultation/faq_index.html", context, status=exc.status)
    context.update(hits=hits, searched=True)
    return _render(request, "consultation/faq_index.html", context)


def detail(request: HttpRequest, faq_id: str) -> HttpResponse:
    if _throttled(request):
        return _render(
            request,
            "portal/error.html",
            {"title": "查询过于频繁", "message": "查询过于频繁，请稍后再试"},
            429,
        )
    try:
        faq = selectors.public_entry(faq_id)
    except ServiceError as exc:
        return _render(
            request,
            "portal/error.html",
            {"title": "未找到您要访问的页面", "message": exc.message, "code": exc.code},
            exc.status,
        )
    context = {
        "faq": faq,
        # Articles cited in the text itself become links to the library too.
        "paragraphs": [link(p) for p in faq.answer.splitlines() if p.strip()],
        "citations": selectors.citations(faq),
        "items": selectors.items(faq),
    }
    return _render(request, "consultation/faq_detail.html", context)


def suggest(request: HttpRequest) -> HttpResponse:
    """The htmx fragment: up to five questions for ``q`` (nothing for an empty or bad query, so a
    half-typed box never shows an error). Opened without htmx it is still a valid HTML list.
    ``field`` names the parameter that carries the text when it is not ``q`` (the ask form's
    ``question`` box, included with ``consultation/_faq_suggest.html``)."""
    hits: list = []
    field = request.GET.get("field") or "q"
    query = (request.GET.get(field) or "").strip()
    if query and len(query) <= selectors.MAX_QUERY_LENGTH and not _throttled(request):
        try:
            hits = selectors.search(query, category=request.GET.get("category", ""), limit=SUGGESTIONS)
        except ServiceError:
            hits = []
    response = render(request, "consultation/_faq_suggestions.html", {"hits": hits, "query": query})
    response["Cache-Control"] = "no-store"
    return response
