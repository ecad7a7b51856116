"""What a 受理通知书 says about the time limit: the item's own limit, its stages and who decides.

The wording is computed from the pinned version's data — its legal limit (value, unit), its
办理环节 (``Stage``: order, level, own limit, legal basis) and the item's 设定依据 — so an item added
later gets the right sentence without a template of its own. For 律师执业许可 accepted by
杭州市司法局::

    本申请的法定办理期限为三十个工作日（《中华人民共和国律师法》第六条第三款）：本机关自受理之日起
    二十个工作日内审查，并将审查意见和全部申请材料报送省级司法行政部门；省级司法行政部门自收到
    报送材料之日起十个工作日内审核决定。作出决定的机关：浙江省司法厅。

The stages that count are the first ones whose limits add up to the legal limit (in the same
unit); later stages (颁发、送达 under 行政许可法 §44) are after the decision and are not part of it.
A stage without a limit that follows them (one whose law sets none) is named with "法律、法规未规定
该环节的期限". Months are written 三个月/九个月 (never 九月); calendar days 五个自然日. The first
stage counts 自受理之日起, or 自收到申请之日起 where the version's ``limit_start`` is ``receipt``
(外国律所代表机构, 条例 §9: 自收到申请文件材料之日起).
docs/documents.md shows the sentences of the shipped items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sifa.catalogue.models import ItemType, ItemVersion, LimitStart, Stage, TimeUnit

_DIGITS = "〇一二三四五六七八九"
LEVEL_ORGANS = {
    "1": "司法部",
    "2": "省级司法行政部门",
    "3": "设区的市级司法行政部门",
    "4": "县级司法行政部门",
    "5": "司法所",
}
"""Who acts at a stage, by GB/T 39046 表A.2 行使层级 code (the same numbers as ``Organisation.level``)."""
KNOWN_LAWS = {
    "行政许可法": "中华人民共和国行政许可法",
    "律师法": "中华人民共和国律师法",
    "公证法": "中华人民共和国公证法",
    "法律援助法": "中华人民共和国法律援助法",
    "人民调解法": "中华人民共和国人民调解法",
}
LICENSING_DEFAULT_BASIS = "《中华人民共和国行政许可法》第四十二条"
_ORGAN_PREFIX = re.compile(
    r"^(设区的市级或者直辖市的区|设区的市级|直辖市的区|市级（直辖市的区）|市级|省级|县级|乡级|国务院|司法部|司法所|原审核部门|所在地)?"
    r"(人民政府)?(司法行政部门|司法行政机关)?"
)
_ARTICLE = re.compile(
    r"^(?P<law>.*?)(?P<article>第[〇一二三四五六七八九十百零]+条(?:第[一二三四五六七八九十]+款)?(?:第（[一二三四五六七八九十]+）项)?)"
)


def chinese_count(value: int) -> str:
    """1–99 as words (三十, 九); larger numbers in Arabic numerals."""
    if not 0 < value < 100:
        return str(value)
    tens, ones = divmod(value, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")) + (
        _DIGITS[ones] if ones else ""
    )


def duration(value: int | None, unit: str) -> str:
    """``(30, working_day)`` → 三十个工作日, ``(9, month)`` → 九个月, ``(5, calendar_day)`` → 五个自然日."""
    if not value:
        return ""
    if unit == TimeUnit.MONTH:
        return f"{chinese_count(value)}个月"
    label = TimeUnit(unit).label if unit in TimeUnit.values else TimeUnit.WORKING_DAY.label
    return f"{chinese_count(value)}个{label}"


@dataclass(frozen=True)
class LimitWording:
    total: str
    """The legal limit, e.g. 三十个工作日; empty when the item has none."""
    sentence: str
    """The whole paragraph for the notice."""
    decider: str
    """Who decides: the deciding organisation's name, else the organ of the deciding stage."""


def _law_refs(version: ItemVersion) -> list[str]:
    item = version.item
    refs = item.legal_basis or (item.parent.legal_basis if item.parent_id else []) or []
    return [ref["law"] for ref in refs if isinstance(ref, dict) and ref.get("law")]


def citation(basis: str, laws: list[str]) -> str:
    """ "律师法第六条第三款：自受理之日起…" → 《中华人民共和国律师法》第六条第三款; "" when no article."""
    head = (basis or "").split("：", 1)[0].split(":", 1)[0].strip()
    match = _ARTICLE.match(head)
    if match is None:
        return ""
    short, article = match["law"].strip("《》 "), match["article"]
    full = next((law for law in laws if short and short in law), None) or KNOWN_LAWS.get(short)
    if full is None:
        full = f"中华人民共和国{short}" if short.endswith("法") else short
    return f"《{full}》{article}" if full else ""


def _action(stage_name: str) -> str:
    """What the stage does, without who does it: "省级司法行政部门审核决定" → 审核决定, "注销决定" → 作出注销决定."""
    action = _ORGAN_PREFIX.sub("", stage_name, count=1).strip("（）() ") or "办理"
    if action.endswith("决定") and not action.startswith("审"):
        action = "作出" + action
    return action


def _decision_stages(stages: list[Stage], value: int, unit: str) -> tuple[list[Stage], list[Stage]]:
    """(the stages whose limits add up to the legal limit, the limitless stages right after them)."""
    total = 0
    for index, stage in enumerate(stages):
        if not stage.limit_value or stage.limit_unit != unit:
            return [], []
        total += stage.limit_value
        if total == value:
            rest = []
            for later in stages[index + 1 :]:
                if later.limit_value:
                    break
                rest.append(later)
            return stages[: index + 1], rest
        if total > value:
            return [], []
    return [], []


def acceptance_limit_wording(
    version: ItemVersion, *, accepting_level: int | None = None, decider_name: str = ""
) -> LimitWording:
    """The time-limit paragraph of the 受理通知书 sent by an organisation of ``accepting_level``."""
    value, unit = version.legal_limit_value, version.legal_limit_unit
    total = duration(value, unit)
    stages = list(Stage.objects.filter(process__version=version).order_by("order"))
    counted, limitless = _decision_stages(stages, value or 0, unit) if total else ([], [])
    laws = _law_refs(version)
    own = str(accepting_level or "")
    licensing = version.item.item_type == ItemType.LICENSING
    # 时限起算: 自受理之日起, or where the statute says so 自收到申请之日起 (条例 §9, 法律援助法 §43, §49).
    since = LimitStart(version.limit_start or LimitStart.ACCEPTANCE).label

    def organ(stage: Stage) -> str:
        # A first stage without a level is the receiving 所在地 bureau's (county or city, 公证法 §9,
        # §21): the organisation sending this notice.
        receiving = not stage.organisation_level and stages and stage.pk == stages[0].pk
        if receiving or stage.organisation_level == own:
            return "本机关"
        return LEVEL_ORGANS.get(stage.organisation_level, "有关机关")

    if not total:
        sentence = "本事项法律、法规未规定办理期限，本机关将及时办理。"
        return LimitWording("", sentence, decider_name)
    citations = [c for c in dict.fromkeys(citation(stage.legal_basis, laws) for stage in counted) if c]
    if not citations and licensing and (value, unit) == (20, TimeUnit.WORKING_DAY):
        citations = [LICENSING_DEFAULT_BASIS]  # the general 20-day rule; 行政许可法 §82 counts 工作日
    cited = f"（{'、'.join(citations)}）" if citations else ""
    last = counted[-1] if counted else None
    decider = decider_name or (LEVEL_ORGANS.get(last.organisation_level, "") if last else "")
    decision = "作出行政许可决定" if licensing else "办结"
    if len(counted) == 1 and last.organisation_level == own and not limitless:
        return LimitWording(total, f"本机关将{since}{total}内{decision}{cited}。", decider)
    if not counted:
        sentence = f"本申请的法定办理期限为{total}{cited}，{since}计算。"
        return LimitWording(total, sentence + (f"作出决定的机关：{decider}。" if decider else ""), decider)

    parts = []
    for index, stage in enumerate(counted):
        start = since if index == 0 else "自收到报送材料之日起"
        part = f"{organ(stage)}{start}{duration(stage.limit_value, stage.limit_unit)}内{_action(stage.name)}"
        following = counted[index + 1] if index + 1 < len(counted) else (limitless[0] if limitless else None)
        if following is not None and following.organisation_level != stage.organisation_level:
            part += f"，并将审查意见和全部申请材料报送{organ(following)}"
        parts.append(part)
    for stage in limitless:
        parts.append(
            f"其后由{organ(stage)}{_action(stage.name)}，法律、法规未规定该环节的期限，所需时间不计入上述期限"
        )
    sentence = f"本申请的法定办理期限为{total}{cited}：{'；'.join(parts)}。"
    if decider:
        sentence += f"作出决定的机关：{decider}。"
    return LimitWording(total, sentence, decider)


def describe(application: Any) -> LimitWording:
    """The wording for an application: its pinned version, accepting and deciding organisations."""
    entry = application.entry
    return acceptance_limit_wording(
        application.version,
        accepting_level=getattr(entry.accepting_organisation, "level", None),
        decider_name=getattr(entry.deciding_organisation, "name", ""),
    )
