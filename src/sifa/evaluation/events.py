"""The 好差评 notification texts, registered with the notifications app.

``evaluation.bad_rating`` tells the supervisors of the responsible organisation that a 差评 opened a
rectification; ``evaluation.reported`` tells the rater (with an account) what was done;
``evaluation.escalated`` tells the supervisors of the level above that a rectification is overdue;
``evaluation.due_moved_staff`` and ``evaluation.due_moved`` tell the supervisors and a named rater
awaiting the callback that a change of the working calendar moved the 整改期限;
``evaluation.escalation_withdrawn`` tells the level above that an escalation was withdrawn;
``evaluation.rate_link`` is the SMS with a rating link after a window visit or a 12348 call.
"""

from __future__ import annotations

from sifa.notifications.events import EventTemplate, register_event
from sifa.notifications.models import Channel

_NUMBER = "ZX33010620261204000001"

for _template in (
    EventTemplate(
        code="evaluation.bad_rating",
        name="收到差评",
        title="收到差评，请按期回访整改",
        body=(
            "{{ number }} 收到“{{ level }}”评价，已生成差评整改，请于{{ due }}前整改并向评价人反馈；"
            "实名评价请先回访评价人。"
        ),
        sms="{{ number }}收到差评，请于{{ due|clip:11 }}前整改反馈。",
        fields=("number", "level", "due"),
        sample={"number": _NUMBER, "level": "非常不满意", "due": "2026年12月25日（暂定）"},
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="evaluation.reported",
        name="差评整改情况反馈",
        title="您的评价已整改反馈",
        body="您对 {{ number }} 的评价，{{ organisation }}已整改，整改情况如下：\n{{ outcome }}",
        sms="您对{{ number }}的评价已整改：{{ outcome|clip:26 }}详见平台。",
        fields=("number", "organisation", "outcome"),
        sample={
            "number": _NUMBER,
            "organisation": "杭州市西湖区公共法律服务中心",
            "outcome": "已对窗口工作人员进行批评教育，并优化了材料清单的说明，欢迎再次评价。",
        },
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="evaluation.escalated",
        name="差评整改逾期升级",
        title="差评整改逾期，已升级督办",
        body=(
            "{{ number }} 的差评整改（{{ organisation }}负责）期限为{{ due }}，逾期未反馈，已升级至本机构督办。"
        ),
        sms="{{ number }}差评整改逾期，已升级督办。",
        fields=("number", "organisation", "due"),
        sample={
            "number": _NUMBER,
            "organisation": "杭州市西湖区公共法律服务中心",
            "due": "2026年12月25日（暂定）",
        },
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="evaluation.rate_link",
        name="服务评价邀请",
        title="请评价本次服务",
        body="感谢您到{{ organisation }}办事。请点击链接评价本次服务（仅可评价一次，过期作废）：{{ url }}",
        sms="请评价：{{ url }}",
        fields=("organisation", "url"),
        sample={
            "organisation": "杭州市西湖区司法局",
            "url": "https://sifa.example.cn/rate/Xq3v9LmP0aZk7RtYb2Wc4NdE5fGh/",
        },
        channels=(Channel.SMS,),
    ),
    EventTemplate(
        code="evaluation.due_moved_staff",
        name="差评整改期限调整",
        title="{% if count > 1 %}{{ count }}件{% endif %}差评整改期限已调整",
        body=(
            "{% if count == 1 %}"
            "因{{ reason }}，{{ number }} 的差评整改期限由{{ before }}调整为{{ after }}"
            "{% if callback %}，回访期限为{{ callback }}{% endif %}，请按新期限整改反馈。"
            "{% else %}"
            "因{{ reason }}，以下{{ count }}件差评整改的期限已调整，请按新期限整改反馈：\n{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}"
            "因{{ reason }}，{{ number }}整改期限已调整，请登录工作台查看。"
            "{% else %}因{{ reason }}，{{ count }}件差评整改期限已调整，请登录工作台查看。{% endif %}"
        ),
        fields=("count", "items", "number", "reason"),
        sample={
            "count": 9999,
            "items": [
                f"{_NUMBER}：2027年12月31日 → 2028年12月31日（暂定），回访期限2028年12月30日（法定节假日调整）"
            ],
            "number": _NUMBER,
            "before": "2027年12月31日",
            "after": "2028年12月31日（暂定）",
            "callback": "2028年12月30日",
            "reason": "法定节假日调整",
        },
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="evaluation.due_moved",
        name="差评整改期限调整（评价人）",
        title="您的{% if count > 1 %}{{ count }}件{% endif %}评价的整改期限已调整",
        body=(
            "{% if count == 1 %}"
            "因{{ reason }}，您对 {{ number }} 的评价的整改期限由{{ before }}调整为{{ after }}"
            "{% if callback %}，工作人员将于{{ callback }}前回访您{% endif %}。"
            "{% else %}"
            "因{{ reason }}，您的以下{{ count }}件评价的整改期限已调整：\n{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}"
            "因{{ reason }}，{{ number }}整改期限调整为{{ after|clip:15 }}。"
            "{% else %}因{{ reason }}，您的{{ count }}件评价的整改期限已调整，详见平台消息。{% endif %}"
        ),
        fields=("count", "items", "number", "reason"),
        sample={
            "count": 1,
            "items": [f"{_NUMBER}：2027年12月31日 → 2028年12月31日（暂定）（法定节假日调整）"],
            "number": _NUMBER,
            "before": "2027年12月31日",
            "after": "2028年12月31日（暂定）",
            "callback": "2028年12月30日",
            "reason": "法定节假日调整",
        },
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="evaluation.escalation_withdrawn",
        name="差评整改逾期升级撤销",
        title="{% if count > 1 %}{{ count }}件{% endif %}差评整改逾期升级已撤销",
        body=(
            "{% if count == 1 %}"
            "{{ number }} 的差评整改（{{ organisation }}负责）期限因工作日历调整而顺延至{{ due }}，"
            "尚未逾期，逾期升级已撤销，已移出本机构的升级清单。"
            "{% else %}"
            "以下{{ count }}件差评整改的期限因工作日历调整而顺延，尚未逾期，逾期升级已撤销，已移出本机构的升级清单：\n"
            "{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}"
            "{{ number }}整改期限顺延，逾期升级已撤销。"
            "{% else %}{{ count }}件差评整改期限顺延，逾期升级已撤销。{% endif %}"
        ),
        fields=("count", "items", "number"),
        sample={
            "count": 9999,
            "items": [f"{_NUMBER}（杭州市西湖区公共法律服务中心负责）：顺延至2026年12月25日（暂定）"],
            "number": _NUMBER,
            "organisation": "杭州市西湖区公共法律服务中心",
            "due": "2026年12月25日（暂定）",
        },
        channels=(Channel.IN_APP,),
    ),
):
    register_event(_template)
