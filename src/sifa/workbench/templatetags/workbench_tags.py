"""Template helpers of the workbench."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any], key: str) -> Any:
    """``{{ roles|get_item:item.role }}``: a label from a dict of choices."""
    return mapping.get(key, key) if isinstance(mapping, dict) else key


OUTCOMES = {
    "accept": "受理",
    "refuse": "不予受理",
    "approve": "通过/准予",
    "return": "退回",
    "deny": "不予",
    "assigned": "已指派",
    "electronic": "电子送达",
    "mail": "邮寄送达",
    "pickup": "窗口领取",
    "uphold": "维持原决定",
    "correct": "责令改正",
    "agreement": "达成调解协议",
    "terminated": "终止调解",
}


@register.filter
def outcome_label(code: str) -> str:
    """A work item's stored outcome code in words (codes from sifa.workflow.services.commands)."""
    return OUTCOMES.get(code, code)
