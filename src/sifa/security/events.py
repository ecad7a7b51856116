"""The notification sent to security administrators when a 高 or 严重 incident is raised."""

from __future__ import annotations

from sifa.notifications.events import EventTemplate, register_event
from sifa.notifications.models import Channel

register_event(
    EventTemplate(
        code="security.incident",
        name="新的安全事件单",
        title="安全事件（{{ severity }}）：{{ title }}",
        body=(
            "安全监测于 {{ opened_at }} 发现{{ severity }}级安全事件：{{ title }}（{{ events }} 条相关事件）。"
            "请在工作台“安全事件”中确认并处置。"
        ),
        sms="发现{{ severity|clip:2 }}级安全事件，请查看工作台。",
        fields=("severity", "title", "opened_at", "events"),
        channels=(Channel.IN_APP,),
        sample={
            "severity": "严重",
            "title": "审计链断裂：第 123456789 条哈希不符，该条内容被修改（审计链在第 123456789 条断裂）",
            "opened_at": "2026-12-05 14:00:00",
            "events": 9999,
        },
    )
)
