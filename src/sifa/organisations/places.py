"""Places as people name them: 杭州西湖区, 西湖区, 北山街道 → the region (行政区划) they mean.

Read-only and public like the regions themselves. Used by the catalogue's place chooser
(办事地点: 省 → 市 → 县 → 乡镇 and the place-name search) and by the consultation form's
“查找地区”:

* :func:`find` — the regions a typed name can mean, best first: a full name or its short form
  (西湖区 or 西湖), optionally preceded by the names of the units above it (浙江杭州西湖区,
  杭州市西湖区); several matches are returned together (two 西湖区: 杭州's and 南昌's);
* :func:`label` — ``杭州市西湖区北山街道``, the place with the units above it (no province);
* :func:`chain` — the region and the units above it, the region first;
* :func:`own_region` — the signed-in person's or company's registered place (常住地 / 登记地).
"""

from __future__ import annotations

import re
from typing import Any

from sifa.organisations.models import Region, RegionLevel

MAX_LENGTH = 30
FIND_LIMIT = 30
#: The endings a name is also said without (浙江省 → 浙江, 西湖区 → 西湖, 北山街道 → 北山); the
#: longer first, so that 自治县 is stripped before 县.
ENDINGS = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "街道",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "旗",
    "盟",
    "镇",
    "乡",
)
_NOISE = re.compile(r"[\s,，、·./\-—]+")


def normalise(text: str) -> str:
    """The typed name without spaces and separators, and without a leading 中国 / 中华人民共和国."""
    value = _NOISE.sub("", text or "")
    for prefix in ("中华人民共和国", "中国"):
        if value.startswith(prefix) and len(value) > len(prefix):
            value = value[len(prefix) :]
    return value[:MAX_LENGTH]


def short(name: str) -> str:
    """``西湖区`` → ``西湖``; a name whose short form would be one character stays whole."""
    for ending in ENDINGS:
        if name.endswith(ending) and len(name) - len(ending) >= 2:
            return name[: -len(ending)]
    return name


def _strip_ancestors(rest: str, region: Region) -> bool:
    """Whether ``rest`` (what was typed before the region's own name) is made of the names of the
    units above it, in order, full or short; a level may be left out (浙江西湖区)."""
    parent = region.parent
    while rest and parent is not None:
        for form in (parent.name, short(parent.name)):
            if rest.endswith(form):
                rest = rest[: -len(form)]
                break
        parent = parent.parent
    return rest == ""


def find(text: str, *, limit: int = FIND_LIMIT) -> list[Region]:
    """The regions ``text`` can mean, best first: the name typed in full before a short form,
    then higher levels before lower (西湖 → 西湖区 before a 西湖镇), then by code. When nothing
    matches the name's structure, regions whose name contains the text (湖区 → 西湖区 …)."""
    query = normalise(text)
    if not query:
        return []
    # Each ending of what was typed may be the region's own name (its start is then the units above).
    # A name said without its ending (西湖 for 西湖区) is looked up with every ending added: one
    # equality list, which both databases answer in a single pass (no regular expression per row).
    tails = [query[i:] for i in range(len(query)) if len(query) - i >= 2]
    names = {*tails, *(tail + ending for tail in tails for ending in ENDINGS)}
    candidates = (
        Region.objects.filter(name__in=names)
        .select_related("parent__parent__parent")
        .order_by("level", "code")[:500]
    )
    scored: list[tuple[int, int, str, Region]] = []
    for region in candidates:
        for exact, form in ((0, region.name), (1, short(region.name))):
            if query.endswith(form) and _strip_ancestors(query[: -len(form)], region):
                scored.append((exact, region.level, region.code, region))
                break
    if scored:
        scored.sort(key=lambda row: row[:3])
        return [row[3] for row in scored[:limit]]
    return list(
        Region.objects.filter(name__contains=query)
        .select_related("parent__parent__parent")
        .order_by("level", "code")[:limit]
    )


def label(region: Region) -> str:
    """``杭州市西湖区北山街道``: the place with the units above it (without the province)."""
    names = [region.name]
    parent = region.parent
    while parent is not None and parent.level > RegionLevel.PROVINCE:
        names.insert(0, parent.name)
        parent = parent.parent
    return "".join(names)


def full_label(region: Region) -> str:
    """``浙江省杭州市西湖区``: the place with every unit above it."""
    return "".join(r.name for r in reversed(chain(region)))


def chain(region: Region) -> list[Region]:
    """The region and the units above it, the region first (a township → county → city → province)."""
    out = [region]
    while out[-1].parent_id is not None and len(out) < 6:
        out.append(out[-1].parent)
    return out


def own_region(user: Any) -> Region | None:
    """The signed-in person's or company's registered place (常住地 / 登记地), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    for relation in ("person", "company"):
        holder = getattr(user, relation, None)  # no such profile: None
        if holder is not None and getattr(holder, "region_id", None):
            return Region.objects.select_related("parent__parent__parent").get(code=holder.region_id)
    return None
