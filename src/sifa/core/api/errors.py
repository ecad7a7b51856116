"""One error shape for the whole API: a stable ``code``, a Chinese ``message``, per-field ``errors``.

```json
{"code": "validation_error", "message": "提交的数据有误，请按提示修改",
 "errors": [{"field": "id_number", "code": "id_number.check_digit", "message": "公民身份号码校验位错误…"}]}
```

Services raise :class:`ServiceError` (or ``IdentifierError``); the handler maps them, DRF's own
exceptions, Django's ``Http404``/``PermissionDenied`` and ``ValidationError`` to this shape.
Anything else is logged and answered with a generic 500 body that still carries a code.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sifa.core.errors import ServiceError
from sifa.core.identifiers import IdentifierError

logger = logging.getLogger("sifa.api")

GENERIC_MESSAGES = {
    exceptions.NotAuthenticated: ("auth.required", "请先登录"),
    exceptions.AuthenticationFailed: ("auth.failed", "身份认证失败，请重新登录"),
    exceptions.PermissionDenied: ("permission.denied", "您没有执行该操作的权限"),
    exceptions.NotFound: ("not_found", "未找到您要访问的内容"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "不支持该请求方法"),
    exceptions.NotAcceptable: ("not_acceptable", "无法提供所请求的格式"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "不支持的请求内容类型"),
    exceptions.Throttled: ("rate_limited", "请求过于频繁，请稍后再试"),
    exceptions.ParseError: ("parse_error", "请求内容无法解析，请检查格式"),
}

_FIELD_CODES = {
    "required": ("field.required", "此项为必填项"),
    "null": ("field.required", "此项为必填项"),
    "blank": ("field.required", "此项不能为空"),
    "invalid": ("field.invalid", "格式不正确"),
    "max_length": ("field.too_long", "内容过长"),
    "min_length": ("field.too_short", "内容过短"),
    "invalid_choice": ("field.invalid_choice", "不是有效的选项"),
    "does_not_exist": ("field.not_found", "所选对象不存在"),
    "unique": ("field.duplicate", "该值已被使用"),
    "max_value": ("field.too_large", "数值过大"),
    "min_value": ("field.too_small", "数值过小"),
    "date": ("field.invalid_date", "日期格式不正确"),
    "datetime": ("field.invalid_date", "日期格式不正确"),
    "max_string_length": ("field.too_long", "内容过长"),
    "not_a_dict": ("field.invalid", "应为JSON对象（键值对）"),
    "not_a_list": ("field.invalid", "应为列表"),
    "empty": ("field.required", "不能为空"),
    "no_name": ("field.invalid", "无法识别上传文件的文件名"),
}


def error_body(code: str, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    return body


def field_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested ``ErrorDetail`` structure into a list of {field, code, message}
    (``field`` a path such as ``applicant.id_number`` or ``items[0].message``)."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            field = key if key != "non_field_errors" else ""
            out.extend(field_errors(value, f"{prefix}.{field}" if prefix and field else (field or prefix)))
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list) and not isinstance(item, exceptions.ErrorDetail):
                out.extend(field_errors(item, f"{prefix}[{index}]"))
            else:
                out.extend(field_errors(item, prefix))
    else:
        raw_code = getattr(detail, "code", "invalid") or "invalid"
        message = str(detail)
        code, default_message = _FIELD_CODES.get(
            raw_code, (raw_code if "." in raw_code else f"field.{raw_code}", message)
        )
        # DRF's built-in messages may be English when a client asks for it; ours are Chinese.
        if raw_code in _FIELD_CODES and not _looks_chinese(message):
            message = default_message
        out.append({"field": prefix, "code": code, "message": message})
    return out


def _looks_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        response = Response(error_body(exc.code, exc.message, exc.errors), status=exc.status)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:  # a limit: when to try again (the login back-off, the exchange inbox)
            response.data["retry_after"] = int(retry_after)
            response["Retry-After"] = str(int(retry_after))
        return response
    if isinstance(exc, IdentifierError):
        return Response(error_body(exc.code, exc.message), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404 | exceptions.NotFound):
        return Response(error_body("not_found", "未找到您要访问的内容"), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        # SessionAuthentication's CSRF check: the same code as the pages' CSRF refusal.
        body = error_body("csrf.failed", "页面已过期或请求来源无法验证，请刷新页面后重新提交")
        return Response(body, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        if len(errors) == 1 and not errors[0]["field"]:
            response.data = error_body(errors[0]["code"], errors[0]["message"])
        else:
            response.data = error_body("validation_error", "提交的数据有误，请按提示修改", errors)
        return response
    for exc_type, (code, message) in GENERIC_MESSAGES.items():
        if isinstance(exc, exc_type):
            response.data = error_body(code, message)
            if isinstance(exc, exceptions.Throttled) and exc.wait:
                response.data["retry_after"] = int(exc.wait)
            return response
    response.data = error_body("error", str(getattr(exc, "detail", "请求失败")))
    return response
