"""The notifications of security administrators: a 高 or 严重 incident raised (in-app, SMS and
e-mail at once, through the outbox), and the weekly report (in-app)."""

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
        channels=(Channel.IN_APP, Channel.SMS, Channel.EMAIL),
        sample={
            "severity": "严重",
            "title": "审计链断裂：第 123456789 条哈希不符，该条内容被修改（审计链在第 123456789 条断裂）",
            "opened_at": "2026-12-05 14:00:00",
            "events": 9999,
        },
    )
)

register_event(
    EventTemplate(
        code="security.weekly_report",
        name="安全周报",
        title="安全周报（{{ week }}）",
        body=(
            "{{ organisation }} {{ week }} 的安全周报已生成：安全事件 {{ events }} 条，新建事件单 {{ opened }} 个，"
            "关闭 {{ closed }} 个，超期未关闭 {{ overdue }} 个；审计链{{ chain }}。请在工作台“安全事件—安全周报”中查看。"
        ),
        sms="{{ week }}安全周报已生成，请查看工作台。",
        fields=("organisation", "week", "events", "opened", "closed", "overdue", "chain"),
        channels=(Channel.IN_APP,),
        sample={
            "organisation": "浙江省司法厅",
            "week": "2026-11-30 至 2026-12-06",
            "events": 99999,
            "opened": 999,
            "closed": 999,
            "overdue": 99,
            "chain": "核验通过",
        },
    )
)
