"""Rating a window visit or a 12348 call by link (``/rate/<token>/``): no login.

The link comes from the window clerk (opened on the counter's 评价器) or by SMS after the visit or
the call (:mod:`sifa.evaluation.services.links`). The page shows who served the person (the
organisation and the service, never the staff member's name), an optional comment and the five
levels as large buttons — one tap (or Enter) rates. It works without JavaScript, at 375 px and in
关怀模式. A forged, withdrawn, expired or used link answers with its Chinese message (404, 410,
409); the token is used up by the rating itself, so a second submit is refused.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from sifa.core.api import throttles
from sifa.core.errors import ServiceError
from sifa.evaluation import services
from sifa.evaluation.models import Level, SubjectKind
from sifa.portal.citizen.common import page

RATE_LIMIT = "30/m"


class RateLinkThrottle(throttles.PerAddressThrottle):
    """Opening rating links per client address: tokens cannot be guessed at speed."""

    scope = "portal_rate_link"
    rate = RATE_LIMIT


TITLES = {404: "评价链接无效", 409: "已经评价过了", 410: "评价链接已失效", 429: "请求过于频繁"}


def _refused(request: HttpRequest, error: ServiceError) -> HttpResponse:
    context = {
        "title": TITLES.get(error.status, "无法评价"),
        "message": error.message,
        "code": error.code,
        "nav": "",
    }
    return _no_referrer(page(request, "portal/citizen/rate_refused.html", context, status=error.status))


def _no_referrer(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "same-origin"  # the token must not leak to another site
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate_link(request: HttpRequest, token: str) -> HttpResponse:
    if not RateLinkThrottle().allow_request(request, None):
        return _refused(request, ServiceError("rate_limited", "请求过于频繁，请一分钟后再试", status=429))
    try:
        link = services.open_link(token)
    except ServiceError as error:
        return _refused(request, error)
    context = {
        "title": "评价本次服务",
        "nav": "",
        "link": link,
        "what": "窗口办事" if link.subject_kind == SubjectKind.VISIT else "12348热线来电",
        "levels": Level.choices,
        "comment": "",
        "errors": [],
    }
    if request.method != "POST":
        return _no_referrer(page(request, "portal/citizen/rate_link.html", context))
    comment = request.POST.get("comment", "")[:2000]
    try:
        rating = services.rate_by_link(token, level=request.POST.get("level", ""), comment=comment)
    except ServiceError as error:
        if error.status != 400:
            return _refused(request, error)
        by_field = {p.get("field"): p["message"] for p in (error.errors or [])}
        context.update(
            comment=comment,
            errors=[{"href": f"#f-{field or 'level'}", "message": msg} for field, msg in by_field.items()],
            by_field=by_field,
        )
        return _no_referrer(page(request, "portal/citizen/rate_link.html", context, status=400))
    context = {"title": "感谢您的评价", "nav": "", "rating": rating, "link": link}
    return _no_referrer(page(request, "portal/citizen/rate_done.html", context))
