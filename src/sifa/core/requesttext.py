"""Text a request may not carry, found before anything parses or stores it.

Three kinds of input broke Sifa deep inside a view (issue 14's findings):

* **NUL** (U+0000): PostgreSQL text columns cannot hold it, so it surfaced as a database error;
* **a lone surrogate** (``"\\ud800x"`` in JSON): Python's ``json`` accepts it, but the string cannot
  be encoded as UTF-8, so PostgreSQL (and every UTF-8 writer) fails on it;
* **deep nesting** (``[[[[…]]]]`` 1,000 levels): Python's ``json`` parses recursively and raised
  ``RecursionError`` — before any login, at ``POST /api/v1/auth/token/``.

None of them is ever legitimate input. :func:`json_problem` finds them in raw JSON bytes with one
non-recursive pass (a regular expression over strings and brackets: depth is counted outside
strings, escapes are decoded only in strings that hold ``\\u``), so a body is refused before any
recursive parser sees it. :func:`text_problem` checks one decoded string.

:func:`invisible_character` is the stricter rule for names (people, organisations, representatives):
no bidi or other invisible format characters (issue 14: a name with U+202E was accepted).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

NUL_CODE = "request.nul_character"
NUL_MESSAGE = "请求中含有不允许的空字符（NUL），请检查后重新提交"
SURROGATE_CODE = "request.invalid_text"
SURROGATE_MESSAGE = "请求中含有无效的 Unicode 字符（不成对的代理项），请检查后重新提交"
DEPTH_CODE = "request.too_deep"
DEPTH_MESSAGE = "请求内容的嵌套层数过多（最多 {limit} 层），请检查后重新提交"


@dataclass(frozen=True)
class TextProblem:
    code: str
    message: str


NUL = TextProblem(NUL_CODE, NUL_MESSAGE)
SURROGATE = TextProblem(SURROGATE_CODE, SURROGATE_MESSAGE)

# A JSON string (escapes included, any byte inside: the unrolled loop never backtracks) or a bracket.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_SURROGATES = re.compile("[\ud800-\udfff]")
_OPENERS = frozenset(b"[{")


def text_problem(text: str) -> TextProblem | None:
    """NUL or a lone surrogate in a decoded string (paired surrogates never reach a ``str``)."""
    if "\x00" in text:
        return NUL
    if _SURROGATES.search(text):
        return SURROGATE
    return None


def depth_problem(limit: int) -> TextProblem:
    return TextProblem(DEPTH_CODE, DEPTH_MESSAGE.format(limit=limit))


def json_problem(body: bytes, *, max_depth: int, text: bool = True) -> TextProblem | None:
    """The first reason to refuse these JSON bytes, or None (``text=False``: the depth only).

    Not a validator: a body that is not JSON at all passes here and is refused by the parser with
    its own 400. Only what would pass the parser and break later (or break the parser) is caught.
    """
    if text and b"\x00" in body:
        return NUL
    depth = 0
    for match in _JSON_TOKEN.finditer(body):
        token = match.group(0)
        if len(token) == 1:
            if token[0] in _OPENERS:
                depth += 1
                if depth > max_depth:
                    return depth_problem(max_depth)
            else:
                depth = max(depth - 1, 0)
        elif text and b"\\u" in token:
            try:
                value = json.loads(token)
            except (ValueError, UnicodeDecodeError):
                continue  # the parser will refuse it with its own message
            problem = text_problem(value)
            if problem:
                return problem
    return None


# --- names --------------------------------------------------------------------------------------

NAME_CONTROL_CODE = "name.invisible_character"


def invisible_character(text: str) -> str | None:
    """The first character of ``text`` that a name may not hold, as ``U+XXXX``, or None.

    Refused: every format character (Unicode category Cf — the bidi overrides U+202A–202E and
    isolates U+2066–2069, the marks U+200E/U+200F/U+061C, zero-width U+200B–200D, U+2060, the BOM
    U+FEFF, the soft hyphen …), control characters (Cc) and line or paragraph separators. A name
    with U+202E shows the rest of it reversed on a staff screen, in a notice or on a licence, and one
    with a zero-width space looks like another person's name while comparing unequal. Names are
    typed, never pasted from formatted text, so nothing legitimate is lost.
    """
    for char in text:
        if unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp"):
            return f"U+{ord(char):04X}"
    return None


def name_control_message(label: str, found: str) -> str:
    return f"{label}含有不可见的控制字符（{found}，如从右向左改写符），请直接输入文字后重新提交"


def name_problem(field: str, label: str, value: str) -> dict[str, str] | None:
    """``{field, code, message}`` when the name ``value`` holds an invisible character."""
    found = invisible_character(value)
    if found is None:
        return None
    return {"field": field, "code": NAME_CONTROL_CODE, "message": name_control_message(label, found)}
