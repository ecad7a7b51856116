"""Citations of the law library in consultants' texts — knowledge-base answers and ticket answers.

A consultant writes citations as people write them (``律师法第六条``, ``《中华人民共和国人民调解法》
第十七条``, ``律师法第六条、第十条`` — two articles), one per line or separated by ；. Each text must
resolve to articles of the library (:mod:`sifa.laws.references`), or it is a problem naming it
(``consultation.unresolved_citation``); citations written inside the answer itself are added when
they resolve. What is kept is each article's permanent address (``/laws/<statute>/<article>/``):
a re-import of the library re-creates the rows, never the addresses. Pure reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sifa.consultation.services.common import problem
from sifa.laws.references import find

MAX_CITATIONS = 20
_SPLIT = re.compile(r"[\n；;]+")


@dataclass(frozen=True)
class Cited:
    statute_slug: str
    article_key: str
    label: str


def as_list(value: str | Iterable[str] | None) -> list[str]:
    """Citations (or codes) as a list: a list as it is; a text split on lines and ；."""
    if value is None:
        return []
    parts = _SPLIT.split(value) if isinstance(value, str) else [str(v) for v in value]
    return [p.strip() for p in parts if p and p.strip()]


def resolve(texts: Iterable[str], errors: list[dict[str, str]], *, also_in: str = "") -> list[Cited]:
    """The articles ``texts`` cite, in order and once each; a text with an article the library does
    not hold is a problem in ``errors``. Citations in ``also_in`` (the answer) that resolve are added."""
    cited: list[Cited] = []
    seen: set[tuple[str, str]] = set()

    def keep(citations: list) -> None:
        for citation in citations:
            article = citation.article
            key = (article.statute.slug, article.key)
            if key not in seen:
                seen.add(key)
                label = f"{article.statute.short_title or article.statute.title}{article.label}"
                cited.append(Cited(article.statute.slug, article.key, label))

    for text in texts:
        found = find(text)
        if not found or any(not c.resolved for c in found):
            errors.append(
                problem(
                    "citations",
                    "unresolved_citation",
                    f"引用的条文“{text[:50]}”在法律法规库中找不到，请写明法规名称和条号，如“律师法第六条”",
                )
            )
            continue
        keep(found)
    keep([c for c in find(also_in) if c.resolved] if also_in else [])
    if len(cited) > MAX_CITATIONS:
        errors.append(problem("citations", "too_many_citations", f"引用的条文不能超过{MAX_CITATIONS}条"))
    return cited
