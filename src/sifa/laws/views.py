"""Public pages of the law library: ``/laws/`` (categories, statutes, article search), a statute with
its table of contents, and the permanent page of one article. Server-rendered, no JavaScript
needed; bad input gets a Chinese message (400 with the form error, 404 page), never a 500."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.encoding import uri_to_iri
from django.views.decorators.http import require_safe

from sifa.core.errors import ServiceError
from sifa.laws import search, selectors
from sifa.laws.api import LawsThrottle

PAGE_SIZE = 30


class LawSearchForm(forms.Form):
    q = forms.CharField(
        label="关键词",
        required=False,
        max_length=search.MAX_QUERY_LENGTH,
        help_text="查条文，例如“律师执业 申请”“公证”；多个词用空格分开",
        error_messages={"max_length": f"关键词不能超过{search.MAX_QUERY_LENGTH}个字"},
        # The directory's search box (sifa.directory.views.DirectoryForm): same class, same width.
        widget=forms.TextInput(attrs={"class": "sifa-input", "type": "search", "autocomplete": "off"}),
    )
    category = forms.CharField(label="类别", required=False, max_length=100, widget=forms.HiddenInput)


def _error(request: HttpRequest, status: int, message: str, code: str = "") -> HttpResponse:
    title = {404: "未找到您要访问的页面", 429: "查询过于频繁"}.get(status, "请求有误")
    return render(
        request, "portal/error.html", {"title": title, "message": message, "code": code}, status=status
    )


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    form = LawSearchForm(request.GET or None)
    context = {
        "form": form,
        "nav": "laws",
        "categories": selectors.categories(),
        "hits": None,
        "statutes": None,
    }
    status = 200
    if form.is_bound and form.is_valid():
        q, category = form.cleaned_data["q"].strip(), form.cleaned_data["category"]
        context["category"] = category
        if q and not LawsThrottle().allow_request(request, None):  # the API's budget, per client address
            return _error(request, 429, "查询过于频繁，请稍后再试", "rate_limited")
        if q:
            hits, words = search.search(q, category=category, limit=50)
            context.update(hits=hits, words=words, q=q)
            titles = selectors.statutes(q=q, category=category)[:10]
            context["title_matches"] = list(titles)
        elif category:
            page = Paginator(selectors.statutes(category=category), PAGE_SIZE).get_page(
                request.GET.get("page")
            )
            context["statutes"] = page
    elif form.is_bound:
        status = 400
    return render(request, "laws/index.html", context, status=status)


@require_safe
def statute_page(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        statute = selectors.statute(slug)
    except ServiceError as exc:
        return _error(request, exc.status, exc.message, exc.code)
    context = {"statute": statute, "toc": selectors.toc(statute), "nav": "laws"}
    return render(request, "laws/statute.html", context)


@require_safe
def article_page(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    try:
        statute = selectors.statute(slug)
        article = selectors.article(statute, key)
    except ServiceError as exc:
        return _error(request, exc.status, exc.message, exc.code)
    previous, following = selectors.neighbours(article)
    # 本条地址: the permanent address to cite, as the decision letters print it (SIFA_PUBLIC_URL,
    # readable Chinese) — not this request's host, query string or percent-encoding.
    permanent = settings.PUBLIC_URL.rstrip("/") + uri_to_iri(article.get_absolute_url())
    context = {
        "statute": statute,
        "article": article,
        "previous": previous,
        "next": following,
        "nav": "laws",
        "permanent_url": permanent,
    }
    return render(request, "laws/article.html", context)
