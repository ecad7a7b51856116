"""The signed envelope: what travels between Sifa and a partner (docs/exchange.md, "Envelope").

On the wire an envelope is one JSON object::

    {"header": {...}, "body": {...}, "signature": "<base64 DER>"}

The signature is SM2-with-SM3 (distinguishing id 1234567812345678) over the canonical JSON of the
header (``sifa.core.signing.canonical_json``); the header carries ``body_digest``, the SM3 digest
of the canonical JSON of the body, and ``key_id``, so one signature covers both and
``openssl pkeyutl -verify`` checks it from the header bytes alone.

This module is pure (no database): the header's shape, the digest, the wire form and the masking
of ID numbers. Sealing and opening, which need keys and the registry, are
:mod:`sifa.exchange.services.envelopes`.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.functional import empty

from sifa.core.crypto import sm3_hex
from sifa.core.errors import ServiceError
from sifa.core.identifiers import uscc_is_valid
from sifa.core.masking import mask_id_number
from sifa.core.signing import CanonicalJsonError, canonical_json

KINDS = ("request", "response", "receipt")
HEADER_FIELDS = (
    "body_digest",
    "correlation_id",
    "issue",
    "key_id",
    "kind",
    "message_id",
    "purpose",
    "receiver",
    "sender",
    "service",
    "timestamp",
    "user_id",
)
MAX_SIGNATURE_BYTES = 160
_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,59}$")
_VERSION = re.compile(r"^[0-9A-Za-z.]{1,10}$")
_KEY_ID = re.compile(r"^[a-z0-9-]{1,80}$")
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
"""A UUID's canonical text: ``str(uuid.UUID(value)) == value`` holds exactly for these."""
_DIGEST = re.compile(r"[0-9a-f]{64}")
_HEADER_FIELD_SET = frozenset(HEADER_FIELDS)
_SERVICE_FIELDS = frozenset(("code", "version"))
_USER_FIELDS = frozenset(("official", "organisation"))
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


class EnvelopeError(ServiceError):
    """A message the gateway refuses: a stable ``exchange.*`` code and a Chinese reason."""


def now_timestamp() -> str:
    """UTC, to the millisecond, ISO 8601 with ``Z`` — the header's ``timestamp``."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise EnvelopeError("exchange.malformed", "消息头的 timestamp 不是 ISO 8601 时间") from None
    if parsed.tzinfo is None:
        raise EnvelopeError("exchange.malformed", "消息头的 timestamp 缺少时区")
    return parsed


def body_digest(body_bytes: bytes) -> str:
    return sm3_hex(body_bytes)


def _text(header: dict[str, Any], name: str, *, limit: int, blank: bool = False) -> str:
    value = header.get(name)
    if not isinstance(value, str) or len(value) > limit or (not blank and not value.strip()):
        raise EnvelopeError("exchange.malformed", f"消息头的 {name} 缺失或格式不正确")
    return value


def _uuid(value: Any, name: str) -> str:
    if type(value) is str and _CANONICAL_UUID.fullmatch(value):  # what the check below accepts
        return value
    try:
        parsed = uuid.UUID(str(value))
    except ValueError:
        raise EnvelopeError("exchange.malformed", f"消息头的 {name} 不是 UUID") from None
    if str(parsed) != value:
        raise EnvelopeError("exchange.malformed", f"消息头的 {name} 应为小写带连字符的 UUID")
    return value


RESIGNED_FIELDS = ("timestamp", "key_id")
"""What a sender may change when it signs the same message again for a retry (a fresh timestamp,
perhaps a rotated key); everything else, the body digest included, must be identical."""


def is_duplicate(first_header: str, first_signature: bytes, header_bytes: bytes, signature: bytes) -> bool:
    """The receiving side's rule for a message id it has seen (Sifa's gateway and the partner
    simulators share it; docs/exchange.md, "Idempotency and replay").

    ``first_header``/``first_signature``: the copy kept for the id; ``header_bytes``/``signature``:
    the copy that arrived, whose signature has already been checked. It is a duplicate (answered with
    the first answer) when it is the same copy, or the same message signed again by its sender with
    only :data:`RESIGNED_FIELDS` changed (a retry after the clock window). Anything else under a seen
    id is a replay."""
    if first_header == header_bytes.decode("utf-8") and bytes(first_signature) == signature:
        return True
    try:
        first, again = _json_object(first_header), _json_object(header_bytes)
    except ValueError:
        return False
    for name in RESIGNED_FIELDS:
        first.pop(name, None)
        again.pop(name, None)
    return first == again


def _json_object(data: str | bytes) -> dict[str, Any]:
    value = json.loads(data)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def check_header(header: Any) -> dict[str, Any]:
    """The header's shape, every field (an extra or missing field is refused: nothing unsigned
    may ride along, nothing signed may be ignored)."""
    if not isinstance(header, dict):
        raise EnvelopeError("exchange.malformed", "消息头应为 JSON 对象")
    if header.keys() != _HEADER_FIELD_SET:
        missing = sorted(set(HEADER_FIELDS) - set(header))
        extra = sorted(set(header) - set(HEADER_FIELDS))
        raise EnvelopeError(
            "exchange.malformed", f"消息头字段不符：缺少 {missing or '无'}，多出 {extra[:5] or '无'}"
        )
    _uuid(header["message_id"], "message_id")
    if header["correlation_id"] is not None:
        _uuid(header["correlation_id"], "correlation_id")
    if header["kind"] not in KINDS:
        raise EnvelopeError("exchange.malformed", "消息头的 kind 应为 request、response 或 receipt")
    if header["kind"] != "request" and header["correlation_id"] is None:
        raise EnvelopeError("exchange.malformed", "响应和回执必须带 correlation_id（所答复的消息标识）")
    for name in ("sender", "receiver"):
        if not isinstance(header[name], str) or not uscc_is_valid(header[name]):
            raise EnvelopeError("exchange.malformed", f"消息头的 {name} 不是有效的统一社会信用代码")
    service = header["service"]
    if (
        not isinstance(service, dict)
        or service.keys() != _SERVICE_FIELDS
        or not isinstance(service["code"], str)
        or not _CODE.match(service["code"])
        or not isinstance(service["version"], str)
        or not _VERSION.match(service["version"])
    ):
        raise EnvelopeError("exchange.malformed", "消息头的 service 应为 {code, version}")
    user = header["user_id"]
    if not isinstance(user, dict) or user.keys() != _USER_FIELDS:
        raise EnvelopeError("exchange.malformed", "消息头的 user_id 应为 {official, organisation}")
    _text(user, "official", limit=60)
    _text(user, "organisation", limit=100)
    _text(header, "issue", limit=60, blank=True)
    _text(header, "purpose", limit=200)
    parse_timestamp(header["timestamp"])
    digest = header["body_digest"]
    if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
        raise EnvelopeError("exchange.malformed", "消息头的 body_digest 应为 64 位小写十六进制 SM3 摘要")
    if not isinstance(header["key_id"], str) or not _KEY_ID.match(header["key_id"]):
        raise EnvelopeError("exchange.malformed", "消息头的 key_id 格式不正确")
    return header


@dataclass(frozen=True)
class Envelope:
    """A sealed message: the exact signed header bytes, the canonical body bytes, the signature."""

    header_bytes: bytes
    body_bytes: bytes
    signature: bytes
    parsed: tuple[dict[str, Any], dict[str, Any]] | None = field(default=None, compare=False, repr=False)
    """For an envelope read by :meth:`from_wire`: the header and body objects whose canonical JSON
    *are* ``header_bytes`` and ``body_bytes``, so that opening it need not parse those bytes
    again. None otherwise (sealed here, read from the log, or nested too deep to trust without
    the canonical parse)."""

    def as_wire(self) -> dict[str, Any]:
        return {
            "header": json.loads(self.header_bytes),
            "body": json.loads(self.body_bytes),
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    def wire_bytes(self) -> bytes:
        """:meth:`as_wire` as compact UTF-8 JSON, the signed header and body bytes written as they
        are (canonical JSON is JSON): what the gateway posts, without parsing and encoding both
        again. ``json.dumps(as_wire(), ensure_ascii=False, separators=(",", ":"))`` gives the same
        bytes."""
        return b"".join(
            (
                b'{"header":',
                self.header_bytes,
                b',"body":',
                self.body_bytes,
                b',"signature":"',
                base64.b64encode(self.signature),
                b'"}',
            )
        )

    @classmethod
    def from_wire(cls, data: Any) -> Envelope:
        """The envelope from its JSON form. The signed bytes are re-derived canonically, so any
        JSON formatting in transit is harmless and a float or duplicate key is refused."""
        if not isinstance(data, dict) or set(data) != {"header", "body", "signature"}:
            raise EnvelopeError("exchange.malformed", "信封应为 {header, body, signature}")
        if not isinstance(data["header"], dict) or not isinstance(data["body"], dict):
            raise EnvelopeError("exchange.malformed", "信封的 header 和 body 应为 JSON 对象")
        try:
            header_bytes = canonical_json(data["header"])
            body_bytes = canonical_json(data["body"])
        except CanonicalJsonError as error:
            raise EnvelopeError("exchange.malformed", f"信封不能规范化：{error.message}") from None
        signature = data["signature"]
        try:
            raw = base64.b64decode(signature, validate=True) if isinstance(signature, str) else b""
        except (binascii.Error, ValueError):
            raw = b""
        if not raw or len(raw) > MAX_SIGNATURE_BYTES:
            raise EnvelopeError("exchange.malformed", "签名应为 Base64 编码的 DER 签名")
        # The bytes were derived from these objects canonically (no float, no duplicate key, keys
        # sorted), so parsing them again could only give the same objects back, unless they nest
        # deeper than a canonical parse allows: then they are parsed again, and refused there.
        shallow = _few_brackets(header_bytes) and _few_brackets(body_bytes)
        return cls(header_bytes, body_bytes, raw, (data["header"], data["body"]) if shallow else None)


def _few_brackets(data: bytes) -> bool:
    """Whether ``data`` cannot nest deeper than ``SIFA_JSON_MAX_DEPTH`` (it has no more opening
    brackets than that), the check :func:`~sifa.core.signing.parse_canonical_json` would make.
    The setting is read from the settings object itself (``settings._wrapped``: under
    ``override_settings`` too), not through ``LazySettings``, whose every read formats an
    ``AttributeError`` (docs/performance.md, session 15)."""
    return data.count(b"{") + data.count(b"[") <= settings_object().JSON_MAX_DEPTH


def settings_object() -> Any:
    """The configured settings object (what ``LazySettings`` reads through), set up if not yet."""
    wrapped = settings._wrapped
    if wrapped is empty:
        settings._setup()
        wrapped = settings._wrapped
    return wrapped


def mask_id_numbers(value: Any) -> Any:
    """A copy of ``value`` with every 18-character 公民身份号码 masked (``110***********002X``).

    The message log keeps this copy for reading; the exact body stays sealed (SM4-GCM) as evidence.
    """
    if isinstance(value, dict):
        return {key: mask_id_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_id_numbers(item) for item in value]
    if isinstance(value, str):
        return _ID_NUMBER.sub(_masked, value)
    return value


def _masked(match: re.Match[str]) -> str:
    return mask_id_number(match.group(0))
