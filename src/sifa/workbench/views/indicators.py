"""绩效考核 in the workbench: the indicator dashboard of an organisation and its subtree.

* ``/workbench/indicators/?organisation=<id>&period=YYYY-MM&metric=<key>`` — the period chooser,
  the organisation's figures (its whole subtree), a 12-month trend (SVG charts, each with its data
  table), the children table with drill-down links (breadcrumbs back up to the top organisation
  the viewer may see), and the children ranked by a chosen metric. Without ``organisation``: the
  viewer's own (highest) organisation; without ``period``: the last complete month. Also the
  month's 通报 (issued, withdrawn ones marked 已撤销) and the 上级通报: the 通报 of the
  organisations above, addressed to this one (``documents.selectors.circulated_to``).
* ``/workbench/indicators/download.csv?organisation=&period=`` — the same table as CSV.
* The monthly 通报 PDF is ``/api/v1/indicators/report/<id>/<YYYY-MM>.pdf`` (``indicators.api_report``):
  the issued, sealed 公文 once the organisation has issued it, a draft (草稿，未印发) before.
* ``POST /workbench/indicators/withdraw/`` (``organisation``, ``period``, ``reason``; CSRF) — 撤销 the
  month's wrong 通报 (``indicators.services.withdraw_report``), then back to the dashboard;
* ``POST /workbench/indicators/issue/`` (``organisation``, ``period``; CSRF) — 印发 the month's 通报
  (``indicators.services.issue_report``), then back to the dashboard with the number. The 印发
  button shows only to those who may issue (a supervisor or decision maker of the organisation
  itself) and only for a month that is over; the page works without JavaScript.

Who: supervisors and decision makers (``INDICATOR_ROLES``), for the subtrees of the organisations
where they hold one of those roles; any other organisation is 404, as is the page for other staff.
A malformed or future period answers 400 with the Chinese message on the page. Reads only, through
``sifa.indicators.selectors`` (scoped) and ``sifa.indicators.dashboard``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from sifa.core.errors import ServiceError
from sifa.documents.selectors import circulated_to
from sifa.indicators import charts, dashboard
from sifa.indicators.selectors import drill_down, entered_after_report, series
from sifa.indicators.services import issue_report, issued_report, withdraw_report, withdrawn_reports
from sifa.indicators.viewers import can_issue, can_view_indicators, roots, viewable_organisation
from sifa.organisations.models import Organisation
from sifa.workbench.access import staff_required
from sifa.workbench.views.common import page


def _organisation(request: HttpRequest, raw: str | None = None) -> Organisation:
    actor = request.actor
    if not can_view_indicators(actor):
        raise Http404("未找到该页面")
    org = viewable_organisation(actor, request.GET.get("organisation") if raw is None else raw)
    if org is None:
        raise Http404("未找到该机构")
    return org


def _query(**values: Any) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


def breadcrumbs(actor: Any, org: Organisation) -> list[Organisation]:
    """The organisation's ancestors the viewer may open (from their own top organisation), then it."""
    tops = roots(actor)
    chain = []
    node: Organisation | None = org
    while node is not None:
        chain.append(node)
        if actor.is_superuser and node.parent_id is None:
            break
        if node.path in tops:
            break
        node = node.parent
    return list(reversed(chain))


@require_safe
@staff_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    org = _organisation(request)
    actor = request.actor
    today = timezone.localdate()
    try:
        month = dashboard.parse_period(request.GET.get("period"), today)
    except ServiceError as error:
        return page(
            request,
            "workbench/indicators/bad_period.html",
            {
                "nav": "indicators",
                "error": error,
                "organisation": org,
                "default": dashboard.last_complete(today),
            },
            status=error.status,
        )
    metric = dashboard.METRIC_BY_KEY.get(request.GET.get("metric", ""), None)
    if metric is None or metric not in dashboard.RANKED:
        metric = dashboard.METRIC_BY_KEY[dashboard.DEFAULT_RANKING]

    own, rows = drill_down(actor, org, month.first_day)
    months = dashboard.trend_months(month)
    trend = [(dashboard.Month.of(day), f) for day, f in series(actor, org, len(months), end=month.first_day)]

    received = dashboard.METRIC_BY_KEY["received"]
    on_time = dashboard.METRIC_BY_KEY["legal_on_time_rate"]
    satisfaction = dashboard.METRIC_BY_KEY["satisfaction_rate"]
    trend_metrics = [dashboard.METRIC_BY_KEY[k] for k in ("received", "accepted", "decided")] + [
        on_time,
        satisfaction,
    ]
    trend_rows = [(m, dashboard.cells(f, trend_metrics)) for m, f in trend]
    received_chart = charts.bar_chart(
        "chart-received",
        f"{org.name} 近12个月收件数（件）",
        [charts.Point(m.label, dashboard.value(f, received), m.axis) for m, f in trend],
        "件",
    )
    on_time_chart = charts.line_chart(
        "chart-on-time",
        f"{org.name} 近12个月法定时限内办结率（%）",
        [charts.Point(m.label, dashboard.value(f, on_time), m.axis) for m, f in trend],
        "%",
    )
    child_rows = [
        {
            "organisation": child,
            "query": _query(organisation=child.pk, period=month.key, metric=metric.key),
            "cells": dashboard.cells(child_figures),
            "has_children": getattr(child, "has_children", None),
        }
        for child, child_figures in rows
    ]
    ranking = [
        {"rank": rank, "organisation": child, "cell": dashboard.Cell(metric, dashboard.value(f, metric))}
        for rank, child, f in dashboard.ranked(rows, metric)
    ]
    crumbs = breadcrumbs(actor, org)
    context = {
        "nav": "indicators",
        "organisation": org,
        "month": month,
        "months": dashboard.offered_months(today),
        "metrics": dashboard.METRICS,
        "cells": dashboard.cells(own),
        "trend_metrics": trend_metrics,
        "trend_rows": trend_rows,
        "received_chart": received_chart,
        "on_time_chart": on_time_chart,
        "child_rows": child_rows,
        "ranked_metrics": dashboard.RANKED,
        "metric": metric,
        "ranking": ranking,
        "crumbs": [(c, _query(organisation=c.pk, period=month.key, metric=metric.key)) for c in crumbs[:-1]],
        "csv_query": _query(organisation=org.pk, period=month.key),
        "report_url": f"/api/v1/indicators/report/{org.pk}/{month.key}.pdf",
        "issued": issued_report(actor, org, month),
        "withdrawn": withdrawn_reports(actor, org, month),
        "entered_after": entered_after_report(org, month.key),
        "circulated": circulated_to(actor, org),
        "month_over": dashboard.month_is_over(month, today),
        "may_issue": can_issue(actor, org),
        "behind": dashboard.fell_behind(rows),
        "on_time_gap": dashboard.ON_TIME_GAP,
        "satisfaction_floor": dashboard.SATISFACTION_FLOOR,
    }
    return page(request, "workbench/indicators/dashboard.html", context)


@require_safe
@staff_required
def csv_view(request: HttpRequest) -> HttpResponse:
    org = _organisation(request)
    actor = request.actor
    try:
        month = dashboard.parse_period(request.GET.get("period"), timezone.localdate())
    except ServiceError as error:
        return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")
    body = dashboard.csv_bytes(month, org, *drill_down(actor, org, month.first_day))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    filename = f"indicators-{org.pk}-{month.key}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@staff_required
def issue_view(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("organisation", "")
    org = _organisation(request, raw or "-")
    try:
        month = dashboard.parse_period(request.POST.get("period") or "-", timezone.localdate())
        issued = issue_report(request.user, org, month)
    except ServiceError as refused:
        messages.error(request, refused.message)
        return redirect(f"{reverse('workbench-indicators')}?{_query(organisation=org.pk)}")
    document = issued.document
    if issued.created:
        messages.success(
            request, f"{document.title}已印发，文号 {document.number}，已加盖{org.name}电子印章。"
        )
    else:
        messages.info(request, f"{document.title}已于此前印发（{document.number}），没有重复印发。")
    return redirect(f"{reverse('workbench-indicators')}?{_query(organisation=org.pk, period=month.key)}")


@require_POST
@staff_required
def withdraw_view(request: HttpRequest) -> HttpResponse:
    """撤销 the month's 通报 with a reason (a plain form: works without JavaScript)."""
    raw = request.POST.get("organisation", "")
    org = _organisation(request, raw or "-")
    back = f"{reverse('workbench-indicators')}?{_query(organisation=org.pk, period=request.POST.get('period', '')[:7])}"
    try:
        month = dashboard.parse_period(request.POST.get("period") or "-", timezone.localdate())
        document = withdraw_report(request.user, org, month, reason=request.POST.get("reason", "")[:600])
    except ServiceError as refused:
        messages.error(request, refused.message)
        return redirect(f"{back}#report-title")
    messages.success(
        request,
        f"{document.title}（{document.number}）已撤销，文书保留并标注“已撤销”；可重新印发更正后的通报。",
    )
    return redirect(f"{back}#report-title")
