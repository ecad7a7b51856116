"""Portal pages. The home page is a search box and the ways into the catalogue."""

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    SuspiciousMultipartForm,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404
from django.views.decorators.http import require_safe

from sifa.core.middleware import RefusedInput, is_api


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html", {"nav": "home"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Chinese 404 page for every unmatched URL (API paths answer JSON in the API error shape)."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"code": "not_found", "message": "未找到您要访问的内容"}, status=404)
    context = {
        "title": "页面不存在",
        "message": "您访问的页面不存在或已被移除。请检查网址，或从下面的链接重新进入。",
        "code": "not_found",
        "debug_detail": _debug_detail(request, exception),
    }
    return render(request, "portal/error.html", context, status=404)


def _debug_detail(request: HttpRequest, exception: Exception | None) -> str:
    """What the developer would have read on Django's debug page, in development mode only."""
    if not settings.DEBUG:
        return ""
    if exception is None or isinstance(exception, Resolver404):
        return f"没有与 {request.path} 匹配的路由（sifa.conf.urls）"
    return f"{type(exception).__name__}: {exception}"


def server_error(request: HttpRequest) -> HttpResponse:
    """Never a bare 500 page: a Chinese message with a stable code (the error is logged by Django)."""
    if request.path.startswith("/api/"):
        from django.http import JsonResponse

        return JsonResponse({"code": "server_error", "message": "服务暂时不可用，请稍后再试"}, status=500)
    context = {
        "title": "服务暂时不可用",
        "message": "请稍后再试。如问题持续，请联系咨询电话。",
        "code": "server_error",
    }
    return render(request, "portal/error.html", context, status=500)


BAD_REQUESTS: tuple[tuple[type[Exception], str, str, int], ...] = (
    (RequestDataTooBig, "request.too_large", "提交的内容过大，请减少内容后重试", 413),
    (TooManyFieldsSent, "request.too_many_fields", "提交的字段过多，请检查后重试", 400),
    (TooManyFilesSent, "request.too_many_files", "一次上传的文件过多，请分批上传", 400),
    (DisallowedHost, "request.bad_host", "请求的主机名不正确", 400),
    (SuspiciousMultipartForm, "request.bad_multipart", "上传的表单内容格式有误，请重新提交", 400),
    (MultiPartParserError, "request.bad_multipart", "上传的表单内容格式有误，请重新提交", 400),
)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Every 400 Django raises itself (oversized body, broken multipart, bad host) and every request
    refused at the door (``RefusedInput``): a stable code and a Chinese message, as JSON under
    ``/api/`` and as a page elsewhere."""
    code, message, status = "request.bad", "请求有误，请检查后重新提交", 400
    if isinstance(exception, RefusedInput):
        code, message = exception.code, exception.message
    for exc_type, exc_code, exc_message, exc_status in BAD_REQUESTS:
        if isinstance(exception, exc_type):
            code, message, status = exc_code, exc_message, exc_status
            break
    return _error(request, status, code, message, title="请求有误", exception=exception)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "permission.denied", "您没有执行该操作的权限", title="无权访问")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (CSRF_FAILURE_VIEW): the form is stale or was sent from elsewhere."""
    return _error(
        request,
        403,
        "csrf.failed",
        "页面已过期或请求来源无法验证，您填写的内容没有提交。请刷新页面（或点下面的链接重新打开该页面），填写后再提交。",
        title="页面已过期，请重新提交",
        retry=request.method not in ("GET", "HEAD"),
    )


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    title: str,
    retry: bool = False,
    exception: Exception | None = None,
) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"code": code, "message": message}, status=status)
    context = {
        "title": title,
        "message": message,
        "code": code,
        # The same address by GET: the form again, with a fresh token (never another site's address).
        "retry_url": request.get_full_path() if retry else "",
        "debug_detail": _debug_detail(request, exception) if exception is not None else "",
    }
    return render(request, "portal/error.html", context, status=status)
