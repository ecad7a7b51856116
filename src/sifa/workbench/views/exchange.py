"""数据交换 pages: the dead letters (失败需人工处理) of my jurisdiction, with 重新发送."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST, require_safe

from sifa.core.errors import NotFound, ServiceError
from sifa.exchange.selectors import dead_letters, item_in_scope
from sifa.exchange.services.outbox import resend
from sifa.workbench.access import can_handle_exchange, staff_required
from sifa.workbench.views.common import page, paginate


def _operator_only(request: HttpRequest) -> None:
    # 数据交换管理员 only (docs/exchange.md, "Who handles the outbox"); to anyone else the pages do
    # not exist.
    if not can_handle_exchange(request.actor):
        raise Http404("未找到该页面")


@require_safe
@staff_required
def dead_letters_view(request: HttpRequest) -> HttpResponse:
    _operator_only(request)
    return page(
        request,
        "workbench/exchange/dead_letters.html",
        {"nav": "exchange", "page_obj": paginate(request, dead_letters(request.actor))},
    )


@require_POST
@staff_required
def resend_view(request: HttpRequest, message_id: str) -> HttpResponse:
    """Resend with a confirmation step: the first POST shows what will be sent again."""
    _operator_only(request)
    try:
        item = item_in_scope(request.actor, message_id)
    except NotFound:
        raise Http404("未找到该交换消息") from None
    if request.POST.get("confirmed") != "1":
        return page(request, "workbench/exchange/resend_confirm.html", {"nav": "exchange", "item": item})
    try:
        resend(request.user, message_id)
    except ServiceError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, f"已重新排队发送：发往{item.partner.name}的 {item.service_code}（{item.message_id}）"
        )
    return redirect("workbench-exchange-dead-letters")
