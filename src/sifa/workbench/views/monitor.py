"""Supervision pages: failed deliveries with resend, and the way into catalogue authoring."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from sifa.catalogue.models import CatalogueItem
from sifa.core.errors import NotFound, ServiceError
from sifa.notifications.models import TROUBLE_STATUSES, Channel, DeliveryStatus
from sifa.notifications.selectors import delivery_in_scope, failed_deliveries
from sifa.notifications.services import resend
from sifa.organisations.models import Role
from sifa.organisations.scope import subtree_q
from sifa.workbench.access import can_author_catalogue, can_monitor_deliveries, staff_required
from sifa.workbench.views.common import page, paginate


def _monitor_only(request: HttpRequest) -> None:
    # Hidden from the menu for other roles; asking anyway is answered like an unknown page.
    if not can_monitor_deliveries(request.actor):
        raise Http404("未找到该页面")


@require_safe
@staff_required
def failed_deliveries_view(request: HttpRequest) -> HttpResponse:
    _monitor_only(request)
    status = request.GET.get("status") if request.GET.get("status") in TROUBLE_STATUSES else None
    channel = request.GET.get("channel") if request.GET.get("channel") in Channel.values else None
    rows = failed_deliveries(request.actor, status=status, channel=channel)
    page_obj = paginate(request, rows)
    for delivery in page_obj:
        delivery.recipient_masked = delivery.notification.recipient_label
    return page(
        request,
        "workbench/deliveries.html",
        {
            "nav": "deliveries",
            "page_obj": page_obj,
            "status": status or "",
            "channel": channel or "",
            "statuses": [(s, DeliveryStatus(s).label) for s in TROUBLE_STATUSES],
            "channels": Channel.choices,
        },
    )


@require_POST
@staff_required
def resend_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """Resend with a confirmation step: the first POST shows what will be sent again."""
    _monitor_only(request)
    try:
        delivery = delivery_in_scope(request.actor, public_id)
    except NotFound:
        raise Http404("未找到该投递记录") from None
    if request.POST.get("confirmed") != "1":
        return page(
            request,
            "workbench/resend_confirm.html",
            {
                "nav": "deliveries",
                "delivery": delivery,
                "recipient": delivery.notification.recipient_label,
            },
        )
    try:
        resend(delivery, request.user)
    except ServiceError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, f"已重新排队发送：{delivery.notification.title}（{delivery.get_channel_display()}）"
        )
    return redirect("workbench-failed-deliveries")


@require_safe
@staff_required
def catalogue_view(request: HttpRequest) -> HttpResponse:
    """Catalogue authoring is done through the catalogue admin API (drafts, quality gate, publish);
    this page lists the items my organisations own and where to author them."""
    actor = request.actor
    if not can_author_catalogue(actor):
        raise Http404("未找到该页面")
    items = CatalogueItem.objects.select_related("owner").order_by("basic_code")
    if not actor.is_superuser:
        items = items.filter(subtree_q("owner__path", actor.paths_for([Role.CATALOGUE_ADMIN])))
    return page(
        request, "workbench/catalogue.html", {"nav": "catalogue", "page_obj": paginate(request, items)}
    )
