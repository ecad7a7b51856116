"""Every legal-basis reference in the catalogue resolves to an article of the law library's built-in
sample (issue 11: "a test fails if a cited article does not resolve"), and the guide links it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sifa.catalogue.data.items import ITEMS
from sifa.laws.references import CITATION, Citation, context_laws, find, find_ref, normalise, statute_slug

NOT_IN_LIBRARY = {
    normalise(law): why
    for law, why in {
        "律师和律师事务所执业证书管理办法（司法部令第119号）": "司法部规章: not in the statute corpus (its 部门规章 are 32 files, none of 司法部)",
        "基层法律服务工作者管理办法": "司法部规章: not in the statute corpus",
        "司法鉴定机构登记管理办法": "司法部规章: not in the statute corpus",
        "司法鉴定人登记管理办法": "司法部规章: not in the statute corpus",
        "法律职业资格管理办法": "司法部规章: not in the statute corpus",
        "国务院对确需保留的行政审批项目设定行政许可的决定": "a State Council decision (国务院令第412号) the corpus lacks; cited by 附件 item, not article",
        "全国人民代表大会常务委员会关于司法鉴定管理问题的决定": "an NPCSC decision the corpus lacks",
    }.items()
}
"""Acts the catalogue cites that the library cannot hold (the corpus has no text of them), and why."""


def _specs(items: list[dict], context: list[str]) -> Iterator[tuple[str, Any, list[str]]]:
    for item in items:
        own = context + context_laws(
            item.get("legal_basis") if isinstance(item.get("legal_basis"), list) else []
        )
        yield from _walk(item, item.get("name", "?"), own)


def _walk(node: Any, where: str, context: list[str]) -> Iterator[tuple[str, Any, list[str]]]:
    if isinstance(node, dict):
        if "code" in node and "name" in node and node is not None:
            where = node["name"]
            refs = node.get("legal_basis")
            context = context + context_laws(refs if isinstance(refs, list) else [])
        for key, value in node.items():
            if key.endswith("basis") and value:
                yield (where, value, context)
            else:
                yield from _walk(value, where, context)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, where, context)


def references() -> Iterator[tuple[str, str, list[Citation]]]:
    """(item, reference as written, its citations) for every legal-basis field of every item."""
    for where, value, context in _specs(ITEMS, []):
        for ref in value if isinstance(value, list) else [value]:
            if isinstance(ref, dict):
                yield where, f"《{ref.get('law')}》{ref.get('article', '')}", find_ref(ref)
            else:
                yield where, str(ref), find(str(ref), context)


def _excused(law: str) -> bool:
    return normalise(law) in NOT_IN_LIBRARY


def test_every_cited_article_resolves(laws) -> None:
    unresolved, checked = [], 0
    for where, text, citations in references():
        if CITATION.search(text) and not citations:
            unresolved.append(f"{where}: {text} (no article found in the text)")
        for citation in citations:
            checked += 1
            if not citation.resolved and not _excused(citation.law):
                unresolved.append(f"{where}: {text} → {citation.law} 第{citation.number}条")
    assert unresolved == [], "legal-basis references that do not resolve:\n" + "\n".join(unresolved)
    assert checked > 100


def test_the_excused_acts_really_are_missing(laws) -> None:
    for law in NOT_IN_LIBRARY:
        assert statute_slug(law) is None, f"{law} is in the library now: take it off NOT_IN_LIBRARY"


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("律师法第六条第一款第（一）项", [], [("律师法", 6)]),
        ("律师法第六条第二款、第十二条", [], [("律师法", 6), ("律师法", 12)]),
        ("行政许可法第四十四条：自作出决定之日起十日内颁发、送达", [], [("行政许可法", 44)]),
        ("《公证法》第九条", [], [("《公证法》", 9)]),
        ("条例第八条第（一）项", ["外国律师事务所驻华代表机构管理条例"], [("条例", 8)]),
    ],
)
def test_reference_spellings(laws, text: str, context: list[str], expected: list[tuple[str, int]]) -> None:
    citations = find(text, context)
    assert [(c.law, c.number) for c in citations] == expected
    assert all(c.resolved for c in citations)


def test_the_guide_links_its_legal_basis_to_the_articles(cat, laws, client) -> None:
    from sifa.catalogue.models import ImplementationEntry

    entry = ImplementationEntry.objects.filter(item__basic_code="000100004000").order_by("pk").first()
    html = client.get(f"/guides/{entry.implementation_code}/").content.decode()
    # 审批依据 (structured) and a material's 设定依据 ("律师法第十七条第（一）项")
    assert (
        'href="/laws/%E5%BE%8B%E5%B8%88%E6%B3%95-2017-09-01/14/">《中华人民共和国律师法》第十四条</a>' in html
    )
    assert ">律师法第十七条</a>第（一）项" in html
    # and the item page
    item = client.get("/catalogue/000100004000/").content.decode()
    assert "/laws/%E5%BE%8B%E5%B8%88%E6%B3%95-2017-09-01/14/" in item
