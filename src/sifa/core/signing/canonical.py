"""Canonical JSON: the exact bytes that are signed, and that a verifier gets back as ``payload``.

Rules (a subset of RFC 8785 JCS that needs no number formatting):

* objects with string keys only, sorted by code point; no duplicate keys when parsing;
* UTF-8, no BOM, no insignificant whitespace (``{"a":1,"b":[true,null]}``);
* characters are written as themselves except ``"``, ``\\`` and control characters, which use
  the short escapes (``\\n`` …) or ``\\u00XX`` in lower-case hex;
* numbers are integers within ±(2⁵³−1), so every JSON library reads them exactly. Floats are
  refused: amounts go as integer 分 or as decimal strings, dates as ISO 8601 strings.

Sorting by code point equals JCS's UTF-16 order for every character outside the supplementary
planes; keys are our own ASCII field names, so the two never differ in practice.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from sifa.core.errors import ServiceError
from sifa.core.requesttext import json_problem

MAX_SAFE_INTEGER = 2**53 - 1
_ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode
"""``json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)``
without building its encoder for every call (``json.dumps`` makes one per call when given any
option): the same encoder, so the same text."""


class CanonicalJsonError(ServiceError):
    """A value cannot be signed as canonical JSON, or a payload is not canonical (400)."""


def _valid(value: Any) -> bool:
    """Whether ``value`` can be written canonically (no paths built: the common case). Only when
    it cannot does :func:`_check` walk it again to say where."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return True
    if kind is int:
        return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                return False
            # The leaves inline (a header's or a body's values are mostly strings): one call per
            # nested object or list, not one per value.
            item_kind = type(item)
            if item_kind is str or item is None or item_kind is bool:
                continue
            if item_kind is int:
                if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                    return False
                continue
            if not _valid(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_valid(item) for item in value)
    return False  # floats, subclasses and other types: _check decides and explains


def _check(value: Any, path: str) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalJsonError("canonical_json.integer_range", f"{path} 的整数超出 ±(2^53−1) 范围")
        return
    if isinstance(value, float):
        raise CanonicalJsonError(
            "canonical_json.float", f"{path} 是浮点数；签名数据不允许浮点数，请用整数或字符串"
        )
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJsonError("canonical_json.key", f"{path} 的键 {key!r} 不是字符串")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    raise CanonicalJsonError("canonical_json.type", f"{path} 的类型 {type(value).__name__} 不能写入签名数据")


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` canonically; raise CanonicalJsonError for floats and non-JSON types."""
    if not _valid(value):
        _check(value, "$")
    text = _ENCODE(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalJsonError("canonical_json.encoding", "签名数据含有无法用 UTF-8 表示的字符") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise CanonicalJsonError("canonical_json.duplicate_key", "签名数据中有重复的键")
    return result


def _no_float(text: str) -> Any:
    raise CanonicalJsonError("canonical_json.float", f"签名数据不允许浮点数：{text[:40]}")


def parse_canonical_json(payload: bytes) -> Any:
    """Parse signed bytes and insist they are exactly the canonical form (else 400).

    A verifier that re-encodes what it parsed must get the same bytes back; anything else means
    the copy was re-formatted or edited, and its signature cannot be trusted to mean the same.
    """
    # Deep nesting would make the recursive parser raise RecursionError (a 500, not a 400). The
    # nesting cannot exceed the number of opening brackets (those inside strings only add to the
    # count), so a payload with few of them, every envelope header and body, needs no scan.
    max_depth = settings.JSON_MAX_DEPTH
    if payload.count(b"{") + payload.count(b"[") > max_depth:
        problem = json_problem(payload, max_depth=max_depth, text=False)
        if problem:
            raise CanonicalJsonError("canonical_json.too_deep", problem.message)
    try:
        value = json.loads(
            payload.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CanonicalJsonError("canonical_json.syntax", "签名数据不是有效的 UTF-8 JSON") from None
    if canonical_json(value) != payload:
        raise CanonicalJsonError(
            "canonical_json.not_canonical", "签名数据不是规范 JSON（键未排序或含多余空白）"
        )
    return value
