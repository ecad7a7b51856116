"""Legal-basis references → article pages.

The catalogue cites articles in several spellings: ``律师法第六条第一款第（一）项``,
``律师法第六条第二款、第十二条`` (the second article inherits the act), ``行政许可法第四十四条：…``,
``《公证法》第九条``, ``公证法第二十一条；行政许可法第四十二条第一款…``, ``条例第八条第（一）项``
(the act named elsewhere on the page, passed as ``context``) and structured pairs
``{"law": "中华人民共和国律师法", "article": "第六条"}``. :func:`find` returns each cited article
with its span in the text and, when the act and the article are in the library, the article; an
act is matched by its short name or full title (``中华人民共和国`` and a trailing ``（司法部令…）``
ignored), the latest version first. :func:`link` renders the text with the resolved spans as links.
Nothing here writes.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.signals import request_finished, request_started
from django.db.models import Max
from django.utils.safestring import SafeString, mark_safe

from sifa.laws.models import Article, Statute
from sifa.laws.parser import NUMERAL, chinese_number

CITATION = re.compile(rf"第([{NUMERAL}0-9]+)条(?:之([{NUMERAL}]+))?")
DELIMITERS = "；;、，,：:。（）()\n 　"
GENERIC = ("条例", "本法", "该法", "办法", "规定", "决定")
_names: tuple[tuple, dict[str, str]] | None = None
_articles: dict[tuple, Article | None] = {}
"""(library stamp, slug, number, suffix) → the article: a page citing 26 articles read each once
per library version, not once per page view."""
_request = threading.local()
"""Within one request the library's stamp is read once (a guide page calls ``find`` for each of
its dozens of references); outside a request it is read on every call."""


def _request_began(**kwargs) -> None:
    _request.active, _request.stamp = True, None


def _request_ended(**kwargs) -> None:
    _request.active, _request.stamp = False, None


request_started.connect(_request_began, dispatch_uid="sifa.laws.references.started")
request_finished.connect(_request_ended, dispatch_uid="sifa.laws.references.finished")


def _stamp() -> tuple:
    """The library's version: the latest statute id and import time (an import changes both)."""
    if getattr(_request, "active", False) and _request.stamp is not None:
        return _request.stamp
    stamp = tuple(Statute.objects.aggregate(n=Max("id"), t=Max("imported_at")).values())
    if getattr(_request, "active", False):
        _request.stamp = stamp
    return stamp


@dataclass
class Citation:
    start: int  # span of "<act>第X条" in the text (the act's name included when written there)
    end: int
    law: str
    number: int
    suffix: int
    article: Article | None

    @property
    def resolved(self) -> bool:
        return self.article is not None


def normalise(law: str) -> str:
    law = law.strip().strip('《》〈〉"“”').strip()
    law = re.sub(r"[（(][^（）()]*[）)]$", "", law).strip()
    return law.removeprefix("中华人民共和国")


def _name_map() -> dict[str, str]:
    """Short name and full title (without 中华人民共和国) → the slug of the latest version."""
    global _names
    stamp = _stamp()
    if _names is None or _names[0] != stamp:
        names: dict[str, str] = {}
        rows = Statute.objects.order_by("version_date").values_list("short_title", "title", "slug")
        for short, title, slug in rows:  # later versions overwrite earlier ones
            names[normalise(short)] = slug
            names[normalise(title)] = slug
        _names = (stamp, names)
    return _names[1]


def statute_slug(law: str, context: Iterable[str] = ()) -> str | None:
    names = _name_map()
    name = normalise(law)
    if name in GENERIC or not name:
        for other in context:
            other = normalise(other)
            if other.endswith(name) and other in names:
                return names[other]
        return None
    return names.get(name)


YEAR = re.compile(r"[（(](\d{4})[）)]$")


def _law_before(text: str, start: int, end: int) -> tuple[str, int]:
    """The act written just before a citation (between ``start`` and ``end``), and where it begins:
    the longest known act name ending there (``属于行政许可法`` → ``行政许可法``), else the text
    after the last delimiter. ``行政复议法（2023）`` is the act's 2023 version: the year is dropped."""
    segment = text[start:end]
    year = YEAR.search(segment)
    if year:
        segment = segment[: year.start()]
    names = _name_map()
    for i in range(len(segment)):
        candidate = segment[i:]
        if normalise(candidate) in names and normalise(candidate) not in GENERIC:
            return candidate, start + i
    cut = max(segment.rfind(d) for d in DELIMITERS)
    law = segment[cut + 1 :]
    # "律师法第六条第二款、第十二条": the bit after 第六条 is a 款/项, not an act.
    if re.fullmatch(r"(第[（(]?[一二三四五六七八九十百]+[）)]?[款项目])*", law):
        return "", end
    return law, start + cut + 1


def find(text: str, context: Iterable[str] = (), law: str = "") -> list[Citation]:
    """Every 第X条 cited in ``text``; ``law`` is the act of a structured reference."""
    context = list(context)
    found: list[Citation] = []
    previous_end, current_law = 0, law
    for match in CITATION.finditer(text or ""):
        written, law_start = _law_before(text, previous_end, match.start())
        if written.strip("《》"):
            current_law = written
        else:
            law_start = match.start()
        try:
            number = chinese_number(match.group(1))
            suffix = chinese_number(match.group(2)) if match.group(2) else 0
        except ValueError:
            continue
        article = None
        slug = statute_slug(current_law, context) if current_law else None
        if slug:
            article = _article(slug, number, suffix)
        found.append(Citation(law_start, match.end(), current_law, number, suffix, article))
        previous_end = match.end()
    return found


def _article(slug: str, number: int, suffix: int) -> Article | None:
    key = (_stamp(), slug, number, suffix)
    if key not in _articles:
        if len(_articles) > 5000 or any(k[0] != key[0] for k in list(_articles)[:1]):
            _articles.clear()  # another library version: forget the old one's articles
        _articles[key] = (
            Article.objects.filter(statute__slug=slug, number=number, suffix=suffix)
            .select_related("statute")
            .first()
        )
    return _articles[key]


def find_ref(ref: dict) -> list[Citation]:
    """A structured reference ``{"law", "article"}`` (an empty article cites the whole act: none)."""
    return find(ref.get("article", ""), law=ref.get("law", ""))


def link(text: str, context: Iterable[str] = ()) -> SafeString:
    """``text`` HTML-escaped, each resolved citation a link to its article page."""
    text = str(text or "")
    out, last = [], 0
    for citation in find(text, context):
        if not citation.resolved:
            continue
        out.append(html.escape(text[last : citation.start]))
        url = html.escape(citation.article.get_absolute_url())
        out.append(f'<a href="{url}">{html.escape(text[citation.start : citation.end])}</a>')
        last = citation.end
    out.append(html.escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def context_laws(refs: Iterable) -> list[str]:
    """The acts named in a list of references (strings with 《…》 or ``{"law": …}`` dicts)."""
    laws: list[str] = []
    for ref in refs or ():
        if isinstance(ref, dict):
            laws.append(ref.get("law", ""))
        else:
            laws += re.findall(r"《([^》]+)》", str(ref))
    return [law for law in laws if law]
