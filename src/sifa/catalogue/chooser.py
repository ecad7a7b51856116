"""The place chooser (办事地点) of the public catalogue: 省 → 市 → 县 → 乡镇 as successive selects,
and a place-name search (杭州西湖区, 西湖区, 北山街道), so that nobody needs a 行政区划代码.

Without JavaScript the selects are a GET form: choose the province, press 确定, the page comes
back with the province applied and the cities to choose from, and so on down. With htmx each
change fetches the next select at once (``/catalogue/places/`` answers an htmx request with the
selects alone).

**The place is remembered.** A place chosen on a page (a name typed, a place picked from a list,
the selects and 确定) is kept in the session (:func:`remember`; anonymous visitors have a session
too) and preselected on the next item pages and on ``/catalogue/places/`` — "您上次选择的地区",
with 更换地区 (to the selects) and 不限地区 (``place=any``: every organisation, and the place is
forgotten). With nothing chosen, a signed-in person starts from the place registered on the
account. htmx's fetches of the selects alone remember nothing: only the page the person asked for
does. Signing out ends the session and so forgets the place (a shared hall computer).

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
SESSION_KEY = "sifa_place"
"""The session key of the remembered place: a region code."""
ANY = "any"
"""``?place=any``: no place (every organisation), and the remembered one is forgotten."""


@dataclass
class Choice:
    region: Region | None = None
    """The chosen place, or None."""
    from_account: bool = False
    """The place is the signed-in account's registered one (nothing was chosen on the page)."""
    remembered: bool = False
    """The place is the one chosen on an earlier page (kept in the session)."""
    cleared: bool = False
    """不限地区 was asked for: no place, and the remembered one is forgotten."""
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
    def chosen(self) -> bool:
        """The place was chosen on this page (not remembered, not the account's)."""
        return self.region is not None and not self.from_account and not self.remembered

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
    elif params.get("place") == ANY:
        choice.cleared = True
    else:
        choice.region, choice.remembered = default_place(request, use_account=use_account)
        choice.from_account = choice.region is not None and not choice.remembered
    choice.selects = _selects(choice.region)
    return choice


def _remembered_code(request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    return str(session.get(SESSION_KEY) or "") if session is not None else ""


def default_place(request: HttpRequest, *, use_account: bool = True) -> tuple[Region | None, bool]:
    """The place a page starts from when none is asked for: the one chosen on an earlier page
    (``True``: remembered), else the signed-in account's registered place (when ``use_account``)."""
    remembered = _get(_remembered_code(request))
    if remembered is not None:
        return remembered, True
    return (places.own_region(request.user) if use_account else None), False


def remember(request: HttpRequest, choice: Choice) -> None:
    """Keep a place chosen on this page for the next pages, or forget it (不限地区). Not for an
    htmx fetch of the selects alone: a level picked on the way is not yet a choice."""
    session = getattr(request, "session", None)
    if session is None or request.headers.get("HX-Request") == "true":
        return
    if choice.cleared:
        session.pop(SESSION_KEY, None)
    elif choice.chosen and session.get(SESSION_KEY) != choice.code:
        session[SESSION_KEY] = choice.code


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
