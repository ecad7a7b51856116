"""The door: text no request may carry, and one error shape for every answer under ``/api/``.

:class:`RequestTextMiddleware` refuses, before any view, form or parser sees them (details in
``sifa.core.requesttext``):

* NUL characters in the path, the query string, a form field or a JSON body (``request.nul_character``);
* lone Unicode surrogates in a JSON body (``request.invalid_text``) — the only place they can come
  from: Django decodes paths, query strings and form fields with replacement characters;
* JSON nested deeper than ``SIFA_JSON_MAX_DEPTH`` (``request.too_deep``);
* the same in a form field that holds JSON (``[…]``/``{…}``): DRF's ``JSONField`` parses one with
  ``json.loads`` when an API body is sent as a form.

Uploaded files are binary and are not inspected here. An API path gets the API's JSON error shape;
a page gets the site's Chinese 400 page (the URLconf's ``handler400``).

:class:`ApiErrorShapeMiddleware` is the net under the API: any 4xx/5xx under ``/api/`` that is not
already JSON — Django's own 400 for an oversized body or a broken multipart form, a CSRF failure,
a bare 405 — is answered in the API error shape with a stable code, never as an HTML page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import Resolver404, get_resolver, resolve

from sifa.core.requesttext import NUL, TextProblem, json_problem, text_problem


class RefusedInput(BadRequest):
    """A request refused at the door; carries the stable code and the Chinese message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def request_problem(request: HttpRequest) -> TextProblem | None:
    if "\x00" in request.path or b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return NUL
    content_type = request.content_type or ""
    if _is_json(content_type):
        return json_problem(request.body, max_depth=settings.JSON_MAX_DEPTH)
    if content_type == "application/x-www-form-urlencoded":
        if b"\x00" in unquote_to_bytes(request.body):
            return NUL
        # Parsed here for every method (Django fills request.POST for POST only; DRF parses PATCH).
        return _fields_problem(QueryDict(request.body, encoding=request.encoding))
    if content_type == "multipart/form-data":
        _stream_uploads(request)
        return _fields_problem(request.POST)
    return None


def _stream_uploads(request: HttpRequest) -> None:
    """Before the body is parsed here: a view with an ``upload_handler`` (a Django
    ``FileUploadHandler`` class) receives its files through it instead of Django's defaults (the
    materials upload streams them into the upload store's work folder, one copy)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return
    handler = getattr(getattr(match.func, "view_class", None), "upload_handler", None)
    if handler is not None:
        request.upload_handlers = [handler(request)]


def _fields_problem(fields: QueryDict) -> TextProblem | None:
    """NUL in any field; and a field that holds JSON (an API's JSON field sent as a form, which
    DRF parses with ``json.loads``) is held to the JSON rules: depth and lone surrogates."""
    for key, values in fields.lists():
        for text in (key, *values):
            problem = text_problem(text)
            if problem is None and text.lstrip()[:1] in ("[", "{"):
                problem = json_problem(
                    text.encode("utf-8", "surrogatepass"), max_depth=settings.JSON_MAX_DEPTH
                )
            if problem:
                return problem
    return None


def refusal(request: HttpRequest, code: str, message: str, status: int = 400) -> HttpResponse:
    """The answer to a refused request: JSON under ``/api/``, the Chinese error page elsewhere."""
    if is_api(request):
        return JsonResponse({"code": code, "message": message}, status=status)
    handler = get_resolver().resolve_error_handler(400)
    response = handler(request, exception=RefusedInput(code, message))
    response.status_code = status
    return response


class RequestTextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = request_problem(request)
        if problem:
            return refusal(request, problem.code, problem.message)
        return self.get_response(request)


STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("request.bad", "请求有误，请检查后重新提交"),
    401: ("auth.required", "请先登录"),
    403: ("permission.denied", "您没有执行该操作的权限"),
    404: ("not_found", "未找到您要访问的内容"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "无法提供所请求的格式"),
    413: ("request.too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的请求内容类型"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
}
SERVER_ERROR = ("server_error", "服务暂时不可用，请稍后再试")


def api_error_for_status(status: int) -> tuple[str, str]:
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    return SERVER_ERROR if status >= 500 else STATUS_ERRORS[400]


class ApiErrorShapeMiddleware:
    """Every error under ``/api/`` in the API's JSON shape (outermost, so it sees every answer)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_api(request) or response.status_code < 400 or _is_shaped(response):
            return response
        if settings.DEBUG and response.status_code >= 500:
            return response  # the developer's traceback page
        code, message = api_error_for_status(response.status_code)
        shaped = JsonResponse({"code": code, "message": message}, status=response.status_code)
        # Keep what the inner layers said (Allow, Retry-After, the security headers, cookies).
        for header, value in response.items():
            if header.lower() not in _BODY_HEADERS:
                shaped[header] = value
        shaped.cookies = response.cookies
        return shaped


_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding", "content-disposition"})


def _is_shaped(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    if not _is_json(content_type) or getattr(response, "streaming", False):
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    return isinstance(body, dict) and "code" in body


class DevelopmentErrorPagesMiddleware:
    """Development mode (``SIFA_DEBUG=1``, what ``make run`` and every demo use) answers a missing
    page and a bad request with the site's Chinese error pages too, not Django's English debug
    pages: a demo user who mistypes an address or follows a stale link sees 页面不存在 and the way
    back. The handlers add a short 开发模式 detail (what was not found) for the developer. A 500
    keeps Django's traceback page in development: that one is for the developer only. A 403 and a
    CSRF failure never needed this: Django answers them with ``handler403`` and
    ``CSRF_FAILURE_VIEW`` whatever the mode. With ``SIFA_DEBUG`` off the handlers answer anyway."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # No route matched: Django answered with its technical 404 page (the view never ran).
        if settings.DEBUG and response.status_code == 404 and request.resolver_match is None:
            return get_resolver().resolve_error_handler(404)(request, exception=None)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG:
            return None
        if isinstance(exception, Http404):
            return get_resolver().resolve_error_handler(404)(request, exception=exception)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            return get_resolver().resolve_error_handler(400)(request, exception=exception)
        return None
