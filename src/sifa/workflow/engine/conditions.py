"""Gateway conditions: a tiny expression language over whitelisted case variables, never ``eval``.

Grammar (whitespace between tokens is free)::

    condition  := comparison (("and" | "or") comparison)*      -- "and" binds tighter than "or"
    comparison := VARIABLE ("==" | "!=") STRING
    VARIABLE   := one of WHITELIST
    STRING     := "…" or '…' (no escapes)

So ``decision == "approve"`` and ``decision == "approve" or decision == "deny"`` are conditions;
``__import__("os")``, attribute access, calls, numbers and unknown names are not. A process file
is refused at load time when any of its conditions does not parse (see ``engine.registry``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

WHITELIST = frozenset({"decision", "review_outcome"})
"""The only case variables a gateway may look at; the commands set them (see ``services``)."""

_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|!=)|(?P<string>\"[^\"\\]*\"|'[^'\\]*')|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


class ConditionError(ValueError):
    """A condition outside the language (the message says what is wrong, in Chinese)."""


@dataclass(frozen=True)
class Comparison:
    variable: str
    negated: bool
    value: str

    def holds(self, variables: Mapping[str, object]) -> bool:
        equal = variables.get(self.variable) == self.value
        return not equal if self.negated else equal


@dataclass(frozen=True)
class Condition:
    """Disjunction of conjunctions of comparisons, as parsed."""

    source: str
    any_of: tuple[tuple[Comparison, ...], ...]

    def holds(self, variables: Mapping[str, object]) -> bool:
        return any(all(c.holds(variables) for c in group) for group in self.any_of)

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(c.variable for group in self.any_of for c in group)


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = source.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ConditionError(f"条件表达式含有不允许的内容：{text[position : position + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        position = match.end()
    return out


def parse(source: str) -> Condition:
    """Parse ``source`` or raise :class:`ConditionError`."""
    if not isinstance(source, str) or not source.strip():
        raise ConditionError("条件表达式不能为空")
    if len(source) > 500:
        raise ConditionError("条件表达式过长")
    tokens = _tokens(source)
    groups: list[list[Comparison]] = [[]]
    index = 0
    while True:
        if index + 3 > len(tokens):
            raise ConditionError(f"条件表达式不完整：{source!r}")
        (k1, variable), (k2, operator), (k3, literal) = tokens[index : index + 3]
        if k1 != "word" or variable in ("and", "or"):
            raise ConditionError(f"条件表达式应以变量名开头：{source!r}")
        if variable not in WHITELIST:
            raise ConditionError(f"变量 {variable} 不在允许的办件变量之列（{'、'.join(sorted(WHITELIST))}）")
        if k2 != "op" or k3 != "string":
            raise ConditionError(f'只允许“变量 == "值"”或“变量 != "值"”形式的比较：{source!r}')
        groups[-1].append(Comparison(variable, operator == "!=", literal[1:-1]))
        index += 3
        if index == len(tokens):
            break
        kind, word = tokens[index]
        if kind != "word" or word not in ("and", "or"):
            raise ConditionError(f"比较之间只能用 and 或 or 连接：{source!r}")
        if word == "or":
            groups.append([])
        index += 1
    return Condition(source, tuple(tuple(group) for group in groups))
