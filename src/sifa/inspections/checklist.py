"""The inspection checklists (评查表): what an inspector scores, with the points of each item.

One checklist for a mock application (模拟办件, the handling as the applicant lived it) and one for
a randomly checked closed case (随机抽查, the file as it stands). Points add up to 100. An item is
scored from 0 to its points; the total is their sum. The keys are stable (stored with the scores).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    points: int
    guide: str


MOCK_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("once_only_notice", "一次性告知", 25, "需补正的材料一次性告知，未出现多次补正或口头要求"),
    ChecklistItem("time_limit", "办理时限", 25, "在法定期限和承诺期限内受理、决定、送达"),
    ChecklistItem("documents", "文书规范", 20, "受理通知书、决定书等文书齐全，编号、签章、法律依据规范"),
    ChecklistItem("no_extra_materials", "无额外材料要求", 15, "未要求办事指南以外的材料或证明"),
    ChecklistItem("attitude", "服务态度", 15, "沟通及时、用语文明，回应咨询"),
)

CASE_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem("legal_basis", "依据适用", 25, "决定援引的法律依据准确"),
    ChecklistItem("materials", "材料审查", 20, "材料齐全，审查意见与材料一致"),
    ChecklistItem("time_limit", "办理时限", 25, "受理、审查、决定、送达均在期限内"),
    ChecklistItem("documents", "文书规范", 20, "文书齐全，编号、签章规范"),
    ChecklistItem("file", "卷宗归档", 10, "办件记录和时间线完整"),
)


def points_of(checklist: tuple[ChecklistItem, ...]) -> dict[str, int]:
    return {item.key: item.points for item in checklist}


def total_points(checklist: tuple[ChecklistItem, ...]) -> int:
    return sum(item.points for item in checklist)
