"""Request bodies: every write endpoint reads its body through the serializer its OpenAPI
operation shows, so what the schema documents and what the API accepts cannot drift.

    class CommandView(APIView):
        @extend_schema(summary="…", responses={…})
        @accepts(CommandSerializer)
        def post(self, request, number, command, *, body: RequestBody):
            case = case_for_staff(actor, number)  # 404 first, as before
            data = body.validated()                # then 400 for a malformed body
            ...

* :func:`accepts` declares the request body once: drf-spectacular documents ``serializer_class``
  and the handler receives a :class:`RequestBody` whose :meth:`~RequestBody.validated` runs that
  very serializer. The handler calls it after its lookups and permission checks and before any
  service, so the order of answers stays 401 → 403/404 → 400 → the service's own.
  ``accepts(None)`` declares an operation without a body; a body sent anyway is refused
  (``body.unexpected``), never silently ignored.
* :class:`StrictSerializer` (or :class:`Strict` mixed into a ``ModelSerializer``) refuses fields
  it does not know (``field.unknown``) instead of dropping them, and publishes
  ``additionalProperties: false`` in the request schema. A body that is not a JSON object is
  ``body.not_object``.
* An app whose services answer bad input with their own code keeps that answer for shape errors
  too: ``invalid_code``/``invalid_message`` on the body's serializer replace the generic
  ``validation_error`` (e.g. ``application.invalid``), and ``codes`` gives a field's errors the
  code its service uses (e.g. ``{"kind": "applicant.kind"}``).

``tests/test_api_contract.py`` walks the schema and holds every write operation to this.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.fields import empty
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from sifa.core.api.errors import field_errors
from sifa.core.errors import ServiceError

IGNORED_FIELDS = frozenset({"csrfmiddlewaretoken"})
"""Sent by HTML forms posting with a session; never a field of a body."""


class Strict:
    """Mixin for request serializers: unknown fields are refused, all listed with the field errors."""

    invalid_code: str | None = None
    """Top-level code of a 400 for this body (default ``validation_error``); with ``invalid_message``."""
    invalid_message: str = ""
    codes: Mapping[str, str] = {}
    """``{field: code}``: every shape error of the field carries this code."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise ValidationError(
                {
                    api_settings.NON_FIELD_ERRORS_KEY: [
                        ErrorDetail("应为JSON对象（键值对）", code="body.not_object")
                    ]
                }
            )
        unknown = {
            name: [ErrorDetail("不支持该字段", code="field.unknown")]
            for name in data
            if name not in self.fields or self.fields[name].read_only  # type: ignore[attr-defined]
            if name not in IGNORED_FIELDS
        }
        try:
            value = super().to_internal_value(data)  # type: ignore[misc]
        except ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            detail = {
                name: [ErrorDetail(str(e), code=self.codes[name]) for e in problems]
                if name in self.codes and isinstance(problems, list)
                else problems
                for name, problems in error.detail.items()
            }
            raise ValidationError({**detail, **unknown}) from None
        if unknown:
            raise ValidationError(unknown)
        return value


class StrictSerializer(Strict, serializers.Serializer):
    """A request body (or a nested object in one) that accepts only the fields it declares."""


class SentFieldsOnly:
    """Mixin for a request serializer with many optional fields of which a body sends a few (the
    case commands' body declares about thirty; a suspend sends two, a resume none): when validating
    a body, only the declared fields the body names are built (DRF deep-copies every declared field
    for each serializer instance, which was a tenth of a command's CPU time: docs/performance.md,
    "2026-12-06 (day)"). A field that is optional without a default gives nothing when it is not sent, so
    the validated data and every error are exactly the full serializer's; a required field, or one
    with a default, is always built. Unknown fields are still refused (:class:`Strict`), and without
    data (the OpenAPI schema, an answer) every field is there. Not for serializers with
    ``validate()`` reading fields that were not sent."""

    def get_fields(self) -> dict[str, Any]:
        data = getattr(self, "initial_data", None)
        if not isinstance(data, Mapping):
            return super().get_fields()  # type: ignore[misc]
        return {
            name: copy.deepcopy(field)
            for name, field in self._declared_fields.items()  # type: ignore[attr-defined]
            if name in data or field.required or field.default is not empty
        }


class StrictSerializerExtension(OpenApiSerializerExtension):
    """Request components of strict serializers say ``additionalProperties: false``."""

    target_class = Strict
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


@extend_schema_field(OpenApiTypes.STR)
class ServiceCheckedString(serializers.Field):
    """A string the service checks in full, its type included, so that the service's own error
    codes answer every wrong value (the 机关代字 answers ``organisation.document_code_required``
    for ``null`` and ``12`` alike). Documented as a string; passed on as sent."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is empty:
            return super().validate_empty_values(data)
        return False, data  # null too is the service's to refuse

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def lib_doc_excludes() -> list[type]:
    """drf-spectacular's ``GET_LIB_DOC_EXCLUDES``: the docstrings of the strict base classes are
    about Sifa's code, not about a body; a body without its own docstring has no description."""
    from drf_spectacular.plumbing import get_lib_doc_excludes

    return [*get_lib_doc_excludes(), Strict, StrictSerializer]


def _has_body(data: Any) -> bool:
    if isinstance(data, Mapping):
        return any(name not in IGNORED_FIELDS for name in data)
    return data not in (None, "", [], b"")


class RequestBody:
    """The body of one request, validated by the operation's documented serializer on demand."""

    def __init__(
        self,
        serializer_class: type[serializers.BaseSerializer],
        request: Request,
        view: Any,
        *,
        partial: bool,
    ) -> None:
        self.serializer_class = serializer_class
        self.request = request
        self.view = view
        self.partial = partial

    def validated(self) -> Any:
        """The validated data; a body that does not fit raises 400 with every problem listed."""
        serializer = self.serializer_class(
            data=self.request.data, partial=self.partial, context={"request": self.request, "view": self.view}
        )
        if not serializer.is_valid():
            code = getattr(serializer, "invalid_code", None)
            if code is None:
                raise ValidationError(serializer.errors)
            raise ServiceError(code, serializer.invalid_message, errors=field_errors(serializer.errors))
        return serializer.validated_data


def accepts(
    serializer_class: type[serializers.BaseSerializer] | None,
    *,
    partial: bool = False,
    media_types: tuple[str, ...] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Declare a write handler's request body: documented and validated from one serializer.

    The handler gets ``body=`` (a :class:`RequestBody`). The serializer's context holds the
    ``request`` and the ``view`` (whose ``kwargs`` are the path values). ``media_types`` limits
    the documented content types (e.g. ``("multipart/form-data",)`` for an upload).
    """

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            if serializer_class is None:
                if _has_body(request.data):
                    raise ValidationError(
                        {
                            api_settings.NON_FIELD_ERRORS_KEY: [
                                ErrorDetail("该操作不需要请求内容，请不要发送", code="body.unexpected")
                            ]
                        }
                    )
                return handler(view, request, *args, **kwargs)
            body = RequestBody(serializer_class, request, view, partial=partial)
            return handler(view, request, *args, body=body, **kwargs)

        # functools.wraps shared the handler's attribute dict entries; drf-spectacular keeps its
        # per-method schema in ``kwargs``, so give the wrapper its own copy before extending it.
        wrapper.kwargs = dict(getattr(handler, "kwargs", {}))  # type: ignore[attr-defined]
        wrapper.request_serializer = serializer_class  # type: ignore[attr-defined]
        documented: Any = serializer_class
        if serializer_class is not None and media_types:
            documented = {media_type: serializer_class for media_type in media_types}
        return extend_schema(request=documented)(wrapper)

    return decorate
