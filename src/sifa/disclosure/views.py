"""Public 政务公开 pages, mounted at the site root: ``path("", include("sifa.disclosure.urls"))``.

No login, no JavaScript, the portal's frame (care mode included):

* ``/disclosure/`` — the whole platform: the latest month's statistics, the latest notices of all
  organisations, the ministry and the provinces;
* ``/disclosure/<organisation id>/`` — one organisation: the statistics of its subtree for a month
  that is over (a plain GET form chooses it), its rectified 差评, its published notices, its
  parent and children for navigation;
* ``/disclosure/notices/<public id>/`` — one published notice (anything else: 404);
* ``/disclosure/feed.atom``, ``/disclosure/<organisation id>/feed.atom`` — Atom 1.0;
* ``/disclosure/opendata/`` — the data dictionary and the downloads (JSON, CSV).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from sifa.disclosure import feed, markup, opendata, periods, selectors
from sifa.disclosure.opendata_columns import DATASETS
from sifa.disclosure.statistics import statistics_for

LATEST = 10
PAGE_SIZE = 20


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {"nav": "disclosure", **context}, status=status)


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    month = periods.latest_month()
    return _render(
        request,
        "disclosure/index.html",
        {
            "figures": statistics_for(None, month),
            "notices": selectors.public_notices()[:LATEST],
            "organisations": selectors.top_organisations(),
        },
    )


def _organisation(org_id: int):
    organisation = selectors.public_organisation(org_id)
    if organisation is None:
        raise Http404("未找到该机构")
    return organisation


@require_safe
def organisation_page(request: HttpRequest, org_id: int) -> HttpResponse:
    organisation = _organisation(org_id)
    asked = request.GET.get("period", "")
    month = periods.parse_month(asked) if asked else periods.latest_month()
    period_note = ""
    if month is None:
        month = periods.latest_month()
        period_note = f"只能查看已结束月份的统计，已显示{periods.label(month)}。"
    notices = Paginator(selectors.public_notices(organisation), PAGE_SIZE).get_page(request.GET.get("page"))
    return _render(
        request,
        "disclosure/organisation.html",
        {
            "organisation": organisation,
            "ancestors": selectors.ancestors(organisation),
            "children": selectors.children(organisation),
            "figures": statistics_for(organisation, month),
            "months": [(periods.key(m), periods.label(m)) for m in periods.past_months()],
            "period_note": period_note,
            "rectified": selectors.rectified(organisation, month),
            "page_obj": notices,
        },
    )


@require_safe
def notice_page(request: HttpRequest, public_id: str) -> HttpResponse:
    notice = selectors.public_notice(public_id)
    if notice is None:
        raise Http404("未找到该公开信息")
    return _render(
        request,
        "disclosure/notice.html",
        {
            "notice": notice,
            "body": markup.render(notice.body),
            "ancestors": [*selectors.ancestors(notice.organisation), notice.organisation],
        },
    )


def _atom(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type="application/atom+xml; charset=utf-8")


@require_safe
def platform_feed(request: HttpRequest) -> HttpResponse:
    return _atom(feed.atom(selectors.public_notices()[: feed.ENTRIES]))


@require_safe
def organisation_feed(request: HttpRequest, org_id: int) -> HttpResponse:
    organisation = _organisation(org_id)
    return _atom(feed.atom(selectors.public_notices(organisation)[: feed.ENTRIES], organisation))


@require_safe
def opendata_index(request: HttpRequest) -> HttpResponse:
    return _render(request, "disclosure/opendata.html", {"datasets": DATASETS.values(), "nav": "open-data"})


@require_safe
def opendata_file(request: HttpRequest, dataset: str, fmt: str) -> HttpResponse:
    if dataset not in DATASETS or fmt not in ("json", "csv"):
        raise Http404("未找到该数据")
    asked = request.GET.get("organisation", "")
    organisation = _organisation(asked) if asked else None
    if dataset == "notices":
        rows = opendata.notice_rows(organisation)
    else:
        rows = opendata.statistics_rows(organisation)
    name = f"disclosure-{dataset}" + (f"-{organisation.pk}" if organisation else "")
    if fmt == "json":
        response = HttpResponse(
            opendata.document(DATASETS[dataset], rows, organisation),
            content_type="application/json; charset=utf-8",
        )
    else:
        response = HttpResponse(
            opendata.table(DATASETS[dataset], rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
