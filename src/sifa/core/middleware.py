"""Refuse NUL characters in any text a request carries.

PostgreSQL text columns cannot hold U+0000, so a NUL in a path value, a query parameter, a form
field or a JSON string would otherwise surface as a database error (a 500) deep in a view. It is
never legitimate input for Sifa, so it is refused at the door with a 400 and a stable code.
Uploaded files are binary and are not inspected here.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse

CODE = "request.nul_character"
MESSAGE = "请求中含有不允许的空字符（NUL），请检查后重新提交"


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return True
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        return b"\x00" in body or b"\\u0000" in body
    if content_type == "application/x-www-form-urlencoded":
        return b"\x00" in unquote_to_bytes(request.body)
    if content_type == "multipart/form-data":
        return any(
            "\x00" in key or "\x00" in value for key, values in request.POST.lists() for value in values
        )
    return False


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"code": CODE, "message": MESSAGE}, status=400)
            return HttpResponse(MESSAGE, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
