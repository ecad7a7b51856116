"""OpenAPI building blocks shared by every app's ``api.py``: the one error shape, typed path
parameters, binary answers, and enums published as one named component.

Partners generate clients from ``/api/v1/schema/``, so every operation names its error answers
with :func:`error_responses`, which all point at the single ``Error`` component (the shape
``sifa.core.api.errors`` produces). Nothing here changes what a view does; it only describes it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Choices
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent, build_choice_field
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        help_text="出错的字段路径，如 applicant.id_number 或 items[0].message；整体性问题为空"
    )
    code = serializers.CharField(help_text="稳定的错误代码，如 field.required、id_number.check_digit")
    message = serializers.CharField(help_text="中文说明，可直接展示给用户")


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (4xx and 5xx): a stable code, a Chinese message, field errors."""

    code = serializers.CharField(help_text="稳定的错误代码，客户端据此判断，如 validation_error、not_found")
    message = serializers.CharField(help_text="中文错误说明")
    errors = FieldErrorSerializer(many=True, required=False, help_text="逐项列出的问题（有多项时）")
    retry_after = serializers.IntegerField(required=False, help_text="仅 429：建议等待的秒数")


ERROR_DESCRIPTIONS = {
    400: "输入有误：code 为稳定错误代码，errors 逐项列出字段问题",
    401: "未登录或令牌无效、已过期（auth.required / auth.failed）",
    403: "无权执行该操作（permission.denied 等；以会话方式调用时也包括 CSRF 校验失败）",
    404: "不存在，或不在您可见的范围内（not_found 等）",
    409: "与当前状态冲突（如已提交、已受理、他人已处理、重复登记）",
    410: "已失效（如评价链接已过期或已作废）",
    413: "请求内容过大（request.too_large）",
    415: "不支持的请求内容类型（unsupported_media_type）：请求体请用 application/json",
    422: "幂等键已用于另一个内容不同的请求（idempotency.key_reused）",
    429: "请求过于频繁（rate_limited），retry_after 为建议等待秒数",
    503: "依赖的服务暂不可用",
}

#: What every operation behind a login can answer, besides its own errors.
LOGIN_ERRORS = (401, 403)

#: The 400 any operation can answer before its view runs: the door (``sifa.core.middleware``).
DOOR_400 = (
    "请求有误：入口拒绝含 NUL 字符、孤立代理字符或嵌套过深的请求（request.nul_character、"
    "request.invalid_text、request.too_deep），或参数、请求体不符合说明"
)


def default_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the error answers every operation can give whatever
    its view says, added where the operation does not document them itself.

    * 400 — the door refuses any request carrying NUL, lone surrogates or too deep JSON;
    * 401 — a bearer token or session that is invalid or expired, wherever one is accepted
      (also on public operations: a client presenting a bad token is refused, not served anonymously);
    * 403 — a session-authenticated write without a valid CSRF token;
    * 404 — an operation with a path parameter naming nothing (or nothing within the caller's scope),
      and a paginated list asked for a page that does not exist (``page=0``, ``page=99``);
    * 413, 415 — a body over the size limit, or in a content type the operation does not parse.

    So a client generated from the document, and the S3 fuzz run, never meets an undocumented code.
    """
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            schemes = {name for requirement in operation.get("security") or [] for name in requirement}
            wanted = [400]
            if schemes:
                wanted.append(401)
            if "cookieAuth" in schemes and method != "get":
                wanted.append(403)
            paginated = any(
                p.get("in") == "query" and p.get("name") == "page" for p in operation.get("parameters", [])
            )
            if "{" in path or paginated:
                wanted.append(404)
            if "requestBody" in operation:
                wanted += [413, 415]
            for status in wanted:
                if str(status) not in responses:
                    description = DOOR_400 if status == 400 else ERROR_DESCRIPTIONS[status]
                    if status == 404 and paginated:
                        description = "页码无效：超出范围或不是正整数（not_found）"
                    responses[str(status)] = {"description": description, "content": error}
            operation["responses"] = dict(sorted(responses.items()))
    return result


def error_responses(*statuses: int, notes: dict[int, str] | None = None) -> dict[int, OpenApiResponse]:
    """``{status: Error}`` for ``responses=``; ``notes`` adds the codes specific to the operation."""
    notes = notes or {}
    out = {}
    for status in sorted(set(statuses) | set(notes)):
        description = ERROR_DESCRIPTIONS[status]
        if status in notes:
            description = f"{description}。{notes[status]}"
        out[status] = OpenApiResponse(ErrorSerializer, description=description)
    return out


_PAGES: dict[type, type] = {}


def paginated(item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The page ``core.api.pagination.Pagination`` answers (``count``, ``next``, ``previous``,
    ``results``), for an ``APIView`` that pages by hand: drf-spectacular wraps only generic list
    views. The component is named ``Paginated<Item>List`` as drf-spectacular names its own."""
    if item not in _PAGES:
        name = item.__name__.removesuffix("Serializer")
        _PAGES[item] = type(
            f"Paginated{name}ListSerializer",
            (serializers.Serializer,),
            {
                "__module__": __name__,
                "count": serializers.IntegerField(help_text="总条数"),
                "next": serializers.URLField(allow_null=True, help_text="下一页的地址；没有时为空"),
                "previous": serializers.URLField(allow_null=True, help_text="上一页的地址；没有时为空"),
                "results": item(many=True),
            },
        )
    return _PAGES[item]


def path_parameter(name: str, description: str) -> OpenApiParameter:
    """A string path segment (public identifiers are codes, never database ids)."""
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.PATH, description=description)


def file_response(media_type: str, description: str) -> dict[tuple[int, str], OpenApiResponse]:
    """A 200 answered with the bytes of a file (attachment), for ``responses=``."""
    return {(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)}


class EnumField(serializers.ChoiceField):
    """A choice field whose choice set is published once, as the component ``<Choices>Enum``.

    drf-spectacular would otherwise name one choice set after each field using it
    (``LegalLimitUnitEnum``, ``PromisedLimitUnitEnum``…) and warn; clients then get one type.
    """

    def __init__(self, choices_class: type[Choices], **kwargs: Any) -> None:
        self.choices_class = choices_class
        super().__init__(choices=choices_class.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def map_serializer_field(self, auto_schema, direction):
        field: EnumField = self.target
        name = f"{field.choices_class.__name__}Enum"
        schema = build_choice_field(serializers.ChoiceField(choices=field.choices_class.choices))
        schema.pop("x-spec-enum-id", None)
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref
