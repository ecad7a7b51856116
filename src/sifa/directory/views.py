"""The public directory pages ``/directory/`` and ``/directory/<kind>/<id>/``.

Server-rendered Chinese HTML on the portal's base template, no login, no JavaScript needed, never
cached (a licence status is live). Bad input gets the form's error summary with status 400; an
unknown entry the portal's 404 page. The API's rate limit applies per client address.
"""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sifa.core.errors import ServiceError
from sifa.directory import selectors
from sifa.directory.api import DirectoryThrottle
from sifa.directory.selectors import KINDS, MAX_QUERY_LENGTH

PAGE_SIZE = 20
TOO_LONG = {"max_length": f"不能超过{MAX_QUERY_LENGTH}个字"}


class DirectoryForm(forms.Form):
    q = forms.CharField(
        label="名称",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="姓名或机构名称、执业机构、擅长领域，或证照编号",
        error_messages=TOO_LONG,
        widget=forms.TextInput(attrs={"class": "sifa-input", "type": "search", "autocomplete": "off"}),
    )
    region = forms.CharField(
        label="地区",
        required=False,
        max_length=MAX_QUERY_LENGTH,
        help_text="输入地区名称，如 西湖区、杭州市，包括其下级地区",
        error_messages=TOO_LONG,
        widget=forms.TextInput(
            attrs={"class": "sifa-input", "list": "directory-regions", "autocomplete": "off"}
        ),
    )
    kind = forms.ChoiceField(
        label="类别",
        required=False,
        choices=[("", "全部类别"), *((key, kind.label) for key, kind in KINDS.items())],
        error_messages={"invalid_choice": "请从列表中选择有效的类别"},
        widget=forms.Select(attrs={"class": "sifa-select"}),
    )
    page = forms.IntegerField(
        label="页码",
        required=False,
        min_value=1,
        max_value=100_000,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "页码应为正整数",
            "min_value": "页码应为正整数",
            "max_value": "页码过大",
        },
    )


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, {"nav": "directory", **context}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _throttled(request: HttpRequest) -> bool:
    return not DirectoryThrottle().allow_request(request, None)


def index(request: HttpRequest) -> HttpResponse:
    form = DirectoryForm(request.GET or None)
    context: dict = {"form": form, "regions": selectors.picker_regions(), "kinds": KINDS}
    if not request.GET:
        return _render(request, "directory/index.html", context)
    if _throttled(request):
        form.is_valid()
        context["throttled"] = True
        return _render(request, "directory/index.html", context, status=429)
    if not form.is_valid():
        return _render(request, "directory/index.html", context, status=400)
    data = form.cleaned_data
    try:
        result = selectors.search(data["q"], data["kind"], data["region"])
    except ServiceError as exc:
        field = exc.errors[0]["field"] if exc.errors else "q"
        form.add_error(field if field in form.fields else "q", exc.message)
        return _render(request, "directory/index.html", context, status=exc.status)
    page = Paginator(result.entries, PAGE_SIZE).get_page(data.get("page") or 1)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, result=result, query=query, searched=True)
    return _render(request, "directory/index.html", context)


def detail(request: HttpRequest, kind: str, entry_id: str) -> HttpResponse:
    if _throttled(request):
        return _render(
            request,
            "portal/error.html",
            {"title": "查询过于频繁", "message": "查询过于频繁，请稍后再试"},
            429,
        )
    try:
        found = selectors.entry(kind, entry_id)
    except ServiceError as exc:
        title = "未找到您要访问的页面" if exc.status == 404 else "请求有误"
        return _render(
            request,
            "portal/error.html",
            {"title": title, "message": exc.message, "code": exc.code},
            exc.status,
        )
    return _render(request, "directory/detail.html", {"entry": found})
