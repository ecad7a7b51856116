"""The door's text checks on raw JSON bytes (issue 14): depth without recursion, lone surrogates, NUL."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sifa.core.requesttext import json_problem, text_problem

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


def _has_bad_text(value) -> bool:
    if isinstance(value, str):
        return text_problem(value) is not None
    if isinstance(value, list):
        return any(_has_bad_text(v) for v in value)
    if isinstance(value, dict):
        return any(_has_bad_text(k) or _has_bad_text(v) for k, v in value.items())
    return False


@settings(max_examples=150, deadline=None)
@given(value=_values, ascii_only=st.booleans(), limit=st.integers(1, 6))
def test_json_problem_agrees_with_the_parsed_value(value, ascii_only, limit):
    """What the pre-scan says about the bytes is what the parsed value holds: its nesting depth,
    NUL and lone surrogates (hypothesis' text includes both), however the text is escaped."""
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    problem = json_problem(body, max_depth=limit)
    if _has_bad_text(value):
        assert problem is not None
    elif _depth(value) > limit:
        assert problem is not None and problem.code == "request.too_deep"
    else:
        assert problem is None


def test_a_million_brackets_are_refused_at_the_limit_without_recursion():
    problem = json_problem(b"[" * 1_000_000 + b"]" * 1_000_000, max_depth=32)
    assert problem is not None and problem.code == "request.too_deep"
    assert json_problem(b"[" * 32 + b"]" * 32, max_depth=32) is None


def test_only_the_depth_when_asked():
    assert json_problem(b'["\\u0000", "\\ud800"]', max_depth=32, text=False) is None
    assert json_problem(b'["\\u0000"]', max_depth=32).code == "request.nul_character"
    assert json_problem(b'["\\ud800"]', max_depth=32).code == "request.invalid_text"
    assert json_problem(b'["\\ud83d\\ude00", "\\\\ud800"]', max_depth=32) is None
