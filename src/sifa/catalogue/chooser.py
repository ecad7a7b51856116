"""The place chooser (办事地点) of the public catalogue: 省 → 市 → 县 → 乡镇 as successive selects,
and a place-name search (杭州西湖区, 西湖区, 北山街道), so that nobody needs a 行政区划代码.

Without JavaScript the selects are a GET form: choose the province, press 确定, the page comes
back with the province applied and the cities to choose from, and so on down. With htmx each
change fetches the next select at once (``/catalogue/places/`` answers an htmx request with the
selects alone). A signed-in person starts from the place registered on the account.

:func:`choose` reads the request into a :class:`Choice`; it never raises: an unknown or ambiguous
name becomes a Chinese notice or a list of the places meant, each with the units above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from sifa.organisations import places, selectors
from sifa.organisations.models import Region, RegionLevel

#: The select of each level: its parameter name and its label.
LEVELS: dict[int, tuple[str, str]] = {
    RegionLevel.PROVINCE: ("province", "省（自治区、直辖市）"),
    RegionLevel.CITY: ("city", "市（州、盟）"),
    RegionLevel.COUNTY: ("county", "县（市、区）"),
    RegionLevel.TOWNSHIP: ("township", "乡镇（街道）"),
}
PARAMS = tuple(name for name, _ in LEVELS.values())
WHERE_MAX = places.MAX_LENGTH


@dataclass
class Choice:
    region: Region | None = None
    """The chosen place, or None."""
    from_account: bool = False
    """The place is the signed-in account's registered one (nothing was chosen on the page)."""
    where: str = ""
    """The name typed, kept only when it did not lead to one place."""
    matches: list[dict[str, str]] = field(default_factory=list)
    """Several places for the name typed: code and label with the units above."""
    notice: str = ""
    """Why the name typed found no place."""
    selects: list[dict[str, Any]] = field(default_factory=list)
    """The successive selects: name, id, label, options (code, name, selected)."""

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""

    @property
    def label(self) -> str:
        return places.full_label(self.region) if self.region else ""

    @property
    def chain(self) -> list[Region]:
        return places.chain(self.region) if self.region else []


def _get(code: str) -> Region | None:
    if not code or not code.isdigit() or len(code) > 12:
        return None
    return Region.objects.select_related("parent__parent__parent").filter(code=code).first()


def _from_selects(params: Any) -> Region | None:
    """The deepest select that continues the one above it; a select left over from an earlier
    choice (a city of another province, after the province was changed without JavaScript) is
    ignored."""
    current: Region | None = None
    for name in PARAMS:
        region = _get((params.get(name) or "").strip())
        if region is not None and region.parent_id == (current.code if current else None):
            current = region
    return current


def _selects(region: Region | None) -> list[dict[str, Any]]:
    path = list(reversed(places.chain(region))) if region else []
    parents: list[Region | None] = [None, *path]
    out = []
    for depth, parent in enumerate(parents):
        options = list(
            selectors.regions_under(parent.code if parent else None).values("code", "name", "level")
        )
        if not options:
            break
        level = min(option["level"] for option in options)
        name, label = LEVELS.get(level, LEVELS[RegionLevel.TOWNSHIP])
        selected = path[depth].code if depth < len(path) else ""
        out.append(
            {
                "name": name,
                "id": f"place-{name}",
                "label": label,
                "optional": level == RegionLevel.TOWNSHIP,
                "selected": selected,
                "options": [(o["code"], o["name"], o["code"] == selected) for o in options],
            }
        )
    return out


def _search(choice: Choice, text: str) -> None:
    found = places.find(text, limit=20)
    if len(found) == 1:
        choice.region = found[0]
    elif found:
        choice.where = text
        choice.matches = [{"code": r.code, "label": places.full_label(r)} for r in found]
    else:
        choice.where = text
        choice.notice = (
            f"没有找到名为“{places.normalise(text)}”的地区。请检查名称（如“杭州市西湖区”“北山街道”），"
            "或在上面逐级选择。"
        )


def choose(request: HttpRequest, *, use_account: bool = True) -> Choice:
    """The place the request asks for: a typed name (``where``), then ``region`` (a code or a
    name: links and the old code filter), then the selects; with none of them, the signed-in
    account's registered place (when ``use_account``)."""
    params = request.GET
    choice = Choice()
    where = (params.get("where") or "").strip()[:WHERE_MAX]
    region = (params.get("region") or "").strip()[:WHERE_MAX]
    if where:
        _search(choice, where)
    elif region:
        if region.isdigit():
            choice.region = _get(region)
            if choice.region is None:
                choice.notice = "没有找到这个行政区划代码对应的地区，请在上面逐级选择，或输入地区名称。"
        else:
            _search(choice, region)
    elif any(params.get(name) for name in PARAMS):
        choice.region = _from_selects(params)
    elif use_account:
        choice.region = places.own_region(request.user)
        choice.from_account = choice.region is not None
    choice.selects = _selects(choice.region)
    return choice


def closeness_label(closeness: int, chain: list[Region]) -> str:
    """What ``selectors.entries``' closeness means to a reader: 本地, 辖区内, 上级（杭州市）, 全国."""
    if closeness == 0:
        return "本地"
    if closeness == 1:
        return "辖区内"
    index = closeness // 2
    if 0 < index < len(chain):
        return f"上级：{chain[index].name}"
    return "全国"
