"""The outbox's alert texts for the sending organisation's staff, registered with the
notifications app (docs/exchange.md, "Alerts")."""

from __future__ import annotations

from sifa.notifications.events import EventTemplate, register_event
from sifa.notifications.models import Channel

for _template in (
    EventTemplate(
        code="exchange.undelivered",
        name="交换消息未送达",
        title="数据交换消息{{ waited }}未送达：{{ service }}",
        body=(
            "发往{{ partner }}的数据交换消息（{{ service }}，案件/办件编号 {{ case_number }}，"
            "消息标识 {{ message_id }}）已{{ waited }}未得到对方确认，系统仍在自动重试。"
            "最近错误：{{ error }}。超过 24 小时仍未送达的，将转为“失败需人工处理”。"
        ),
        sms="交换消息{{ waited|clip:8 }}未送达{{ partner|clip:12 }}，请查看工作台。",
        fields=("waited", "service", "partner", "case_number", "message_id", "error"),
        channels=(Channel.IN_APP,),
        sample={"waited": "6 小时", "partner": "杭州市中级人民法院", "case_number": "-"},
    ),
    EventTemplate(
        code="exchange.dead_letter",
        name="交换消息失败需人工处理",
        title="数据交换消息发送失败，需人工处理：{{ service }}",
        body=(
            "发往{{ partner }}的数据交换消息（{{ service }}，案件/办件编号 {{ case_number }}，"
            "消息标识 {{ message_id }}）{{ reason }}，已停止自动重试。"
            "请在工作台“交换失败消息”中核实后重新发送。最近错误：{{ error }}。"
        ),
        sms="交换消息发往{{ partner|clip:12 }}失败，需人工处理。",
        fields=("service", "partner", "case_number", "message_id", "reason", "error"),
        channels=(Channel.IN_APP,),
        sample={"partner": "杭州市中级人民法院", "case_number": "-"},
    ),
    EventTemplate(
        code="exchange.signing_unavailable",
        name="交换消息待签名",
        title="签名服务不可用：数据交换消息待签名",
        body=(
            "发往{{ partner }}的数据交换消息（{{ service }}，案件/办件编号 {{ case_number }}）"
            "因签名服务不可用尚未发送（{{ error }}）。消息不会未签名发出；签名密钥恢复后将自动签名并发送。"
        ),
        sms="签名服务不可用，交换消息待签名，请查看工作台。",
        fields=("service", "partner", "case_number", "error"),
        channels=(Channel.IN_APP,),
        sample={"partner": "杭州市中级人民法院", "case_number": "-"},
    ),
):
    register_event(_template)
