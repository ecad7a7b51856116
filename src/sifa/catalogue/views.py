"""Public catalogue pages: browse and search, item pages, guides (page, PDF, JSON), admin preview
and open data. Server-rendered, no JavaScript needed; bad input gets a Chinese message (a form
error with status 400, or a 404 page), never a 500."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from html import escape  # Django's escape() less its lazy-string wrapper: the same text
from pathlib import Path
from urllib.parse import quote, urlencode

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import RFC3986_SUBDELIMS, http_date
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from sifa.catalogue import chooser, guides, opendata, opendata_files, pdf, selectors, services
from sifa.catalogue.models import (
    CatalogueItem,
    EntryStatus,
    ExerciseLevel,
    ImplementationEntry,
    ItemLevel,
    ItemType,
    version_summary,
)
from sifa.catalogue.opendata_columns import CSV_FILES
from sifa.catalogue.processes import file_available, file_unavailable_note
from sifa.catalogue.services import guide_pages
from sifa.catalogue.services.pages import PAGE_CACHE
from sifa.core import pagecache
from sifa.core.errors import NotFound, ServiceError
from sifa.core.identifiers import IdentifierError
from sifa.core.layout import render_page
from sifa.organisations import places
from sifa.organisations.models import Region

PAGE_SIZE = 20
JSON_TYPE = "application/json; charset=utf-8"
ENTRY_PAGE_SIZE = 50


def error_page(request: HttpRequest, status: int, message: str, code: str = "") -> HttpResponse:
    title = "未找到您要访问的页面" if status == 404 else "请求有误"
    context = {"title": title, "message": message, "code": code}
    return render(request, "portal/error.html", context, status=status)


def page_errors(view: Callable) -> Callable:
    """Service and identifier errors as a Chinese error page: a malformed code in the path is just
    an unknown page (404); other refused input keeps its status."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except IdentifierError as exc:
            return error_page(request, 404, exc.message, exc.code)
        except ServiceError as exc:
            return error_page(request, exc.status, exc.message, exc.code)

    return wrapper


def json_errors(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except IdentifierError as exc:
            return JsonResponse({"code": exc.code, "message": exc.message}, status=404)
        except ServiceError as exc:
            return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)

    return wrapper


# --- browse and search ------------------------------------------------------------------------

_CHOICE_ERROR = {"invalid_choice": "请从列表中选择有效的选项"}


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(
        label="事项名称或关键词",
        required=False,
        max_length=selectors.MAX_QUERY_LENGTH,
        error_messages={"max_length": "关键词不能超过100个字"},
    )
    topic = forms.ChoiceField(
        label="服务对象",
        required=False,
        choices=[("", "全部"), ("personal", "个人办事"), ("company", "法人办事")],
        error_messages=_CHOICE_ERROR,
    )
    type = forms.ChoiceField(
        label="事项类型",
        required=False,
        choices=[("", "全部"), *ItemType.choices],
        error_messages=_CHOICE_ERROR,
    )
    level = forms.ChoiceField(
        label="行使层级",
        required=False,
        choices=[("", "全部"), *ExerciseLevel.choices],
        error_messages=_CHOICE_ERROR,
    )
    region = forms.CharField(
        label="地区",
        required=False,
        max_length=30,
        help_text="地区名称，如“杭州市西湖区”“西湖区”“北山街道”（也可填6位或12位行政区划代码）；"
        "结果包括上级机构和辖区内乡镇（街道）机构办理的事项，离您最近的在前",
        error_messages={"max_length": "地区名称不能超过30个字"},
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100_000,
        widget=forms.HiddenInput,
        error_messages={"invalid": "页码应为正整数", "min_value": "页码应为正整数", "max_value": "页码过大"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "sifa-select" if isinstance(field, forms.ChoiceField) else "sifa-input"
            field.widget.attrs.setdefault("class", css)
        self.fields["region"].widget.attrs.update({"autocomplete": "off"})
        self.fields["q"].widget.input_type = "search"

    def clean_region(self) -> str:
        """A place name or a code → the region code (ambiguous names list the places meant)."""
        value = self.cleaned_data["region"].strip()
        if value:
            try:
                value = selectors.resolve_place(value)
                selectors.region_chain(value)
            except ServiceError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
        return value


def _page(request: HttpRequest, qs, size: int, number: int | None):
    return Paginator(qs, size).get_page(number or 1)


# The page's fixed parts, built once per process: the unbound filter form's HTML (its choices are
# the code's choice tables) and the item link's parts (reversed per URLconf and script prefix).
_UNBOUND_FILTER_FIELDS: dict[tuple, str] = {}
_ITEM_URL: dict[tuple, tuple[str, str]] = {}
_APPLY_URL: dict[tuple, tuple[str, str] | None] = {}
_TYPE_LABELS = {code: escape(label) for code, label in ItemType.choices}
_LEVEL_LABELS = {code: escape(label) for code, label in ItemLevel.choices}
_URL_SAFE = RFC3986_SUBDELIMS + "/~:@"


def _url_key() -> tuple:
    return (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())


def _unbound_filter_fields() -> str:
    key = _url_key()
    html = _UNBOUND_FILTER_FIELDS.get(key)
    if html is None:
        fields = render_to_string("catalogue/_filter_fields.html", {"form": CatalogueFilterForm()})
        html = _UNBOUND_FILTER_FIELDS[key] = mark_safe(fields)  # noqa: S308 (rendered by the template)
    return html


def _apply_url(code: str) -> str:
    """``{% url 'citizen-apply' code %}`` ("" when the route is not installed or refuses the code),
    with the route reversed once per process (URLconf and script prefix) instead of per guide."""
    key = _url_key()
    if key not in _APPLY_URL:
        try:
            _APPLY_URL[key] = tuple(reverse("citizen-apply", args=["~"]).rsplit("~", 1))
        except NoReverseMatch:
            _APPLY_URL[key] = None
    parts = _APPLY_URL[key]
    if parts is None or not code or "/" in code:  # <str:…> takes no "/" (reverse() would refuse it)
        return ""
    return f"{parts[0]}{quote(code, safe=_URL_SAFE)}{parts[1]}"


# The results' HTML by URL key and the page's rows (their values, in order): the same rows give the
# same HTML, so a page whose rows did not change since it was last shown reuses it (a dictionary
# lookup instead of 20 items' escaping and link building). Bounded: emptied when full.
_RESULTS_HTML: dict[tuple, SafeString] = {}
RESULTS_HTML_KEPT = 256


def _result_rows(rows) -> SafeString:
    """The results list's items (``selectors.PAGE_COLUMNS`` rows), as the template wrote them: an
    item's name linked to its page, its 一句话说明, its type, basic code and level."""
    key = (*_url_key(), *(tuple(row.values()) for row in rows))
    html = _RESULTS_HTML.get(key)
    if html is None:
        if len(_RESULTS_HTML) >= RESULTS_HTML_KEPT:
            _RESULTS_HTML.clear()
        html = _RESULTS_HTML[key] = _render_result_rows(rows)
    return html


def _render_result_rows(rows) -> SafeString:
    key = _url_key()
    head, tail = _ITEM_URL.get(key) or _ITEM_URL.setdefault(
        key, tuple(reverse("catalogue-item", args=["~"]).rsplit("~", 1))
    )
    parts = []
    for row in rows:
        code = row["basic_code"]
        summary = version_summary(row["versions__scope"] or "", row["versions__result_name"] or "")
        # One escape() per row (NUL separates the values; escape() leaves it as it is).
        values = [f"{head}{quote(code, safe=_URL_SAFE)}{tail}", row["name"], summary, code]
        escaped = escape("\0".join(values)).split("\0")
        url, name, summary, code = escaped if len(escaped) == 4 else [escape(v) for v in values]
        item_type = row["item_type"]
        level = row["level"]
        parts.append(f'\n  <li>\n    <h3><a href="{url}">{name}</a></h3>\n    ')
        if summary:
            parts.append(f'<p class="sifa-result-summary">{summary}</p>')
        parts.append(
            f'\n    <p class="sifa-meta"><span class="sifa-tag">{_TYPE_LABELS.get(item_type) or escape(str(item_type))}'
            f"</span>基本编码 <code>{code}</code> · {_LEVEL_LABELS.get(level) or escape(str(level))}</p>\n  </li>\n  "
        )
    return mark_safe("\n  " + "".join(parts) if parts else "")  # noqa: S308 (every value escaped above)


@require_safe
@pagecache.public(PAGE_CACHE, vary_session=(chooser.SESSION_KEY,))
@page_errors
def catalogue_index(request: HttpRequest) -> HttpResponse:
    """办事目录: search by name or keyword, filter by topic, type, level; ``region`` = services for
    my county (the entries serving the region, higher levels included)."""
    # Every name the templates ask for is set (a name that is missing costs the template engine two
    # exceptions per lookup).
    context: dict = {
        "nav": "catalogue",
        "care_mode": False,
        "form_errors": None,
        "entries": None,
        "items": None,
    }
    context.update(filter_fields="", own_region=None)
    if request.GET:
        form = CatalogueFilterForm(request.GET)
        context["form"] = form
        if not form.is_valid():
            context["form_errors"] = form.errors
            return render_page(request, "catalogue/index.html", context, status=400)
        data = form.cleaned_data
    else:
        # The unbound form (no filter): its HTML is the same on every request.
        data = {}
        context["filter_fields"] = _unbound_filter_fields()
    query = {"q": data.get("q", ""), "item_type": data.get("type", ""), "level": data.get("level", "")}
    query["topic"] = data.get("topic", "")
    if data.get("region"):
        items = selectors.items(**query)
        entries = selectors.entries(region=data["region"]).filter(item_id__in=items.values("pk"))
        region = Region.objects.select_related("parent__parent__parent").get(code=data["region"])
        context["entries"] = _near_first(_page(request, entries, ENTRY_PAGE_SIZE, data.get("page")), region)
        context["region"] = region
        context["region_label"] = places.full_label(region)
    else:
        if query["q"]:
            rows = selectors.page_rows(selectors.items(**query))
        else:
            # Filters from closed sets only: the query's SQL is compiled once per process and filter.
            key = ("catalogue_index", query["item_type"], query["level"], query["topic"])
            rows = selectors.CompiledRows(key, lambda: selectors.page_rows(selectors.items(**query)))
            rows.fetch(data.get("page") or 1, PAGE_SIZE)  # the page and the count in one query
        page = _page(request, rows, PAGE_SIZE, data.get("page"))
        context["items"] = page
        context["result_rows"] = _result_rows(page.object_list)
    context["query"] = request.GET.copy()
    context["query"].pop("page", None)
    if context["items"] is not None:
        context["items_count"], context["items_pagination"] = _items_numbers(
            context["items"], context["query"]
        )
    if data.get("region"):
        context["query"]["region"] = data["region"]
    else:
        own, remembered = chooser.default_place(request)
        context["own_region"] = (
            {"code": own.code, "label": places.full_label(own), "remembered": remembered} if own else None
        )
    return render_page(request, "catalogue/index.html", context)


def _items_numbers(page, query) -> tuple[str, SafeString]:
    """The results' count and ``_pagination.html`` for ``page``, as the template renders them: the
    numbers as ``{{ }}`` shows an int without a thousand separator (``str()``), so the template
    engine's localisation of each number (four translation lookups apiece) is skipped; with
    ``USE_THOUSAND_SEPARATOR`` on the template renders them as before (``None``)."""
    if settings.USE_THOUSAND_SEPARATOR:
        return None, None
    paginator = page.paginator
    if paginator.num_pages <= 1:  # has_other_pages() is False
        return str(paginator.count), mark_safe("\n")
    query_part = f"{escape(query.urlencode())}&amp;" if query else ""
    html = '\n<nav aria-label="分页"><ul class="sifa-pagination">\n  '
    if page.number > 1:
        html += f'<li><a href="?{query_part}page={page.number - 1}" rel="prev">上一页</a></li>'
    html += f"\n  <li>第 {page.number} 页，共 {paginator.num_pages} 页</li>\n  "
    if page.number < paginator.num_pages:
        html += f'<li><a href="?{query_part}page={page.number + 1}" rel="next">下一页</a></li>'
    html += "\n</ul></nav>\n\n"
    return str(paginator.count), mark_safe(html)  # noqa: S308 (the query escaped, the rest numbers)


def _near_first(page, region: Region):
    """Each entry of the page with its closeness in words (本地, 辖区内, 上级：杭州市, 全国)."""
    chain = places.chain(region)
    for entry in page:
        entry.nearness = chooser.closeness_label(entry.closeness, chain)
    return page


@require_safe
def place_page(request: HttpRequest) -> HttpResponse:
    """按地区查找: the place chooser on its own; 确定 goes to the catalogue's services for the place.
    An htmx request (a select changed) gets the selects alone, with the next level to choose."""
    choice = chooser.choose(request)
    chooser.remember(request, choice)
    context = {"choice": choice, "nav": "catalogue", "action": request.path, "keep": []}
    if request.headers.get("HX-Request") == "true":
        return render(request, "catalogue/_place_selects.html", {**context, "swapped": True})
    return render(request, "catalogue/places.html", context)


@require_safe
@page_errors
def item_page(request: HttpRequest, basic_code: str) -> HttpResponse:
    """One item: its basis and the organisations that implement it, each linking to its guide."""
    item = selectors.item_by_code(basic_code)
    version = selectors.live_version(item)
    if version is None:
        raise NotFound("该事项尚未发布或已停止办理", code="catalogue.item_not_published")
    children = list(item.children.filter(versions__status="published").order_by("basic_code"))
    try:
        number = int(request.GET.get("page") or 1)
    except ValueError:
        raise ServiceError("catalogue.page", "页码应为正整数") from None
    choice = chooser.choose(request)
    chooser.remember(request, choice)
    entries = selectors.entries(item=item.basic_code, region=choice.code)
    page = _page(request, entries, ENTRY_PAGE_SIZE, max(number, 1))
    if choice.region is not None:
        page = _near_first(page, choice.region)
    query = request.GET.copy()
    query.pop("page", None)
    if choice.region is not None:
        for name in ("where", "place", *chooser.PARAMS):
            query.pop(name, None)
        if choice.chosen:
            query["region"] = choice.code
    context = {
        "item": item,
        "version": version,
        "children": [(child, _plain_choice(child, item)) for child in children],
        "entries": page,
        "choice": choice,
        "query": query,
        "action": request.path,
        "keep": [],
        "nav": "catalogue",
        "limit": guides.limit_text(version.legal_limit_value, version.legal_limit_unit),
    }
    return render(request, "catalogue/item.html", context)


def _plain_choice(child: CatalogueItem, parent: CatalogueItem) -> dict[str, str]:
    """A 子项 in plain words: what sets it apart from the 主项 (律师执业许可（专职律师执业） →
    专职律师执业) and who it is for (its live version's 适用范围)."""
    name = child.name
    if name.startswith(parent.name) and name.endswith("）") and "（" in name[len(parent.name) :]:
        name = name[len(parent.name) + 1 : -1]
    version = selectors.live_version(child)
    return {"name": name, "who": version.scope if version else ""}


# --- guides -----------------------------------------------------------------------------------


def _guide_response(request: HttpRequest, entry, version, *, preview: bool = False) -> HttpResponse:
    situations = list(version.situations.all())
    answers, errors = guides.parse_answers(request.GET, situations)
    context = {
        "guide": guides.build(entry, version, answers),
        "checklist_errors": errors,
        "preview": preview,
        "nav": "catalogue",
    }
    return render(request, "catalogue/guide.html", context, status=400 if errors else 200)


@require_safe
@pagecache.public(PAGE_CACHE)
@page_errors
def guide_page(request: HttpRequest, implementation_code: str) -> HttpResponse:
    """The public guide. Without 情形 answers (no query string) the body is the entry's stored
    read model (``GuidePage``: one query), rendered anew only when it is missing or stale; the
    head, the 在线申请 button and the base template are rendered per request."""
    if request.GET:
        entry, version = selectors.guide_entry(implementation_code)
        return _guide_response(request, entry, version)
    stored = selectors.guide_page(implementation_code, guide_pages.fingerprint())
    if stored is None:
        entry, version = selectors.guide_entry(implementation_code)
        stored = guide_pages.store(entry, version)
        stored = stored[0], stored[1].encode()
    head, body = stored
    # The stored parts were rendered (escaped) by the guide's own templates (guide_pages.render).
    page = {key: mark_safe(head[key]) for key in guide_pages.HEAD_TEMPLATES}  # noqa: S308
    page.update(name=head["name"], implementation_code=head["implementation_code"])
    online = file_available(head["process_file"])
    context = {
        "page": page,
        "body": _BODY_MARK,
        "online": online,
        "apply_url": _apply_url(head["implementation_code"]) if online else "",
        "note": file_unavailable_note(head["process_file"]),
        "nav": "catalogue",
    }
    response = render_page(request, "catalogue/guide_stored.html", context)
    before, mark, after = response.content.partition(_BODY_MARK_BYTES)
    if not mark or _BODY_MARK_BYTES in after or response.charset.lower() not in _UTF8:
        # The page shows the mark once and is UTF-8 (Django's default charset): else not as read.
        context["body"] = mark_safe(body.decode())  # noqa: S308
        return render_page(request, "catalogue/guide_stored.html", context)
    response.content = b"".join((before, body, after))
    return response


_BODY_MARK = mark_safe(f"sifaguidebody{secrets.token_hex(8)}x")  # noqa: S308 (letters and digits)
_BODY_MARK_BYTES = _BODY_MARK.encode()
_UTF8 = ("utf-8", "utf8")
"""Where the stored guide's body goes: the page is rendered with this mark in its place and the
body's bytes (as read, ``selectors.guide_page``) put in the answer's bytes for it — the same bytes
as the body's text rendered in place and encoded (UTF-8 encodes a text as the concatenation of its
parts' encodings), without decoding the body into ``str`` and encoding it again on every request
(docs/performance.md, "session 15: W2")."""


@require_safe
@json_errors
def guide_json(request: HttpRequest, implementation_code: str) -> HttpResponse:
    entry, version = selectors.guide_entry(implementation_code)
    body = guides.as_json(guides.build(entry, version))
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def pdf_response(entry: ImplementationEntry, version) -> FileResponse:
    path = pdf.guide_pdf(entry, version)
    return FileResponse(
        path.open("rb"), content_type="application/pdf", filename=f"{entry.item.name}-办事指南.pdf"
    )


@require_safe
@page_errors
def guide_pdf(request: HttpRequest, implementation_code: str) -> HttpResponse:
    entry, version = selectors.guide_entry(implementation_code)
    return pdf_response(entry, version)


@require_safe
@page_errors
def guide_preview(request: HttpRequest, basic_code: str, number: str) -> HttpResponse:
    """A version's guide (usually a draft) as the public will see it; only for catalogue admins of
    the owning organisation or above — anyone else is told the page does not exist."""
    item = selectors.item_by_code(basic_code)
    if not services.can_author(request.user, item.owner):
        raise NotFound("未找到您要访问的页面", code="not_found")
    version = selectors.guide_version(selectors.version_of(item, number).pk)
    response = _guide_response(request, None, version, preview=True)
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


# --- open data --------------------------------------------------------------------------------


def _accepts_gzip(request: HttpRequest) -> bool:
    """Whether the client takes gzip (RFC 9110 §12.5.3; ``gzip;q=0`` refuses it)."""
    for part in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            q = params.strip().removeprefix("q=").strip() if params.strip().startswith("q=") else "1"
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def _open_data_download(
    request: HttpRequest, name: str, content_type: str, *, attachment: str = ""
) -> HttpResponse:
    """One file of the current snapshot: gzip-compressed when the client accepts it (precomputed,
    never per request), with ETag and Last-Modified, and 304 when the client's copy is current."""
    snapshot = opendata_files.current()
    info = snapshot.file(name)
    if info is None:
        return error_page(
            request, 404, "没有这个开放数据文件，请从开放数据页面选择下载。", "opendata.not_found"
        )
    compressed = info.gzip_path is not None and _accepts_gzip(request)
    etag = f'"{info.etag}{"-gzip" if compressed else ""}"'
    last_modified = int(snapshot.last_modified.timestamp()) if snapshot.last_modified else None
    headers = {"ETag": etag, "Cache-Control": "public, no-cache"}
    if last_modified is not None:
        headers["Last-Modified"] = http_date(last_modified)
    not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if not_modified is not None:
        for header, value in headers.items():
            not_modified[header] = value
        patch_vary_headers(not_modified, ["Accept-Encoding"])
        return not_modified
    path = info.gzip_path if compressed else info.path
    response = FileResponse(
        path.open("rb"),
        content_type=content_type,
        as_attachment=bool(attachment),
        filename=attachment or Path(name).name,
    )
    for header, value in headers.items():
        response[header] = value
    patch_vary_headers(response, ["Accept-Encoding"])
    if compressed:
        response["Content-Encoding"] = "gzip"
    return response


@require_safe
def open_data_index(request: HttpRequest) -> HttpResponse:
    context = {
        "files": CSV_FILES.values(),
        "nav": "open-data",
        "entries": ImplementationEntry.objects.filter(status=EntryStatus.ACTIVE).count(),
    }
    return render(request, "catalogue/open_data.html", context)


@require_safe
def open_data_json(request: HttpRequest) -> HttpResponse:
    return _open_data_download(request, "catalogue.json", JSON_TYPE)


@require_safe
def open_data_csv(request: HttpRequest) -> HttpResponse:
    return _open_data_download(
        request, "catalogue-csv.zip", "application/zip", attachment="catalogue-csv.zip"
    )


@require_safe
def open_data_part(request: HttpRequest, part: str) -> HttpResponse:
    """``index.json`` and ``items.json``."""
    return _open_data_download(request, part, JSON_TYPE)


@require_safe
def open_data_province(request: HttpRequest, province: str) -> HttpResponse:
    """One province's implementation entries (``national``: those with no region)."""
    if not (province == opendata_files.NATIONAL or (province.isascii() and province.isdigit())):
        return error_page(
            request, 404, "没有这个开放数据文件，请从开放数据页面选择下载。", "opendata.not_found"
        )
    return _open_data_download(request, f"implementations/{province}.json", JSON_TYPE)


@require_safe
@json_errors
def open_data_changes(request: HttpRequest) -> HttpResponse:
    """What changed since ``?since=`` (ISO 8601), paged by ``?after=`` (``opendata.changes``)."""
    raw = request.GET.get("since", "")
    try:
        since = selectors.parse_changed_since(raw)
    except ServiceError:
        since = None
    if since is None:
        raise ServiceError(
            "catalogue.changes.since",
            "请用 since 参数给出ISO 8601日期时间，如 ?since=2026-01-01T00:00:00%2B08:00（加号写作 %2B）",
        )
    after = request.GET.get("after", "").strip()
    if after and not (after.isascii() and after.isalnum() and len(after) <= 40):
        raise ServiceError("catalogue.changes.after", "after 应为上一页的 next_after（实施编码）")
    data = opendata.changes(since, after=after)
    if data["next_after"]:
        data["next"] = f"{request.path}?{urlencode({'since': raw.strip(), 'after': data['next_after']})}"
    else:
        data["next"] = None
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response
