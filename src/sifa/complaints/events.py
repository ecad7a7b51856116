"""The complaints' notification texts, registered with the notifications app.

``complaints.received`` and ``complaints.replied`` go to the complainant (inbox when signed in, SMS
when they asked for it); ``complaints.submitted`` and ``complaints.supervised`` tell the handling
organisation's supervisors; ``complaints.overdue`` tells the supervisors of the level above.
After a change of the working calendar, ``complaints.due_moved`` tells the complainant and
``complaints.due_moved_staff`` the handling organisation's supervisors that the 答复期限 moved, and
``complaints.overdue_withdrawn`` tells the level above that its overdue mark was withdrawn; each
person gets one of them per recount, listing every complaint concerned (``count``, ``items``; the
single-complaint text when there is one). None carries the complainant's name or number.
"""

from __future__ import annotations

from sifa.notifications.events import EventTemplate, register_event
from sifa.notifications.models import Channel

_NUMBER = "TS33010620261204000001"

for _template in (
    EventTemplate(
        code="complaints.received",
        name="投诉举报已收到",
        title="您的投诉举报已收到",
        body=(
            "您的投诉举报（编号 {{ number }}）已转{{ organisation }}办理，将于{{ due }}前答复。"
            "{% if code %}查询码：{{ code }}，凭编号和查询码可查看办理进度和结果。{% endif %}"
        ),
        sms="投诉举报{{ number }}已收到，{{ due|clip:11 }}前答复。查询码{{ code|default:'见平台' }}。",
        fields=("number", "organisation", "due"),
        sample={
            "number": _NUMBER,
            "organisation": "杭州市西湖区司法局",
            "due": "2026年12月25日",
            "code": "K7M2Q9XP",
        },
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="complaints.replied",
        name="投诉举报已答复",
        title="您的投诉举报已有办理结果",
        body="您的投诉举报（编号 {{ number }}）已由{{ organisation }}答复：\n{{ reply }}",
        sms="投诉举报{{ number }}已答复：{{ reply|clip:26 }}全文见平台。",
        fields=("number", "organisation", "reply"),
        sample={
            "number": _NUMBER,
            "organisation": "杭州市西湖区司法局",
            "reply": "经核查，您反映的窗口工作人员态度问题属实，已对其批评教育并纳入年度考核。",
        },
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="complaints.submitted",
        name="收到投诉举报",
        title="收到新的投诉举报",
        body="投诉举报 {{ number }}（涉及{{ organisation }}）已转本机构办理，请于{{ due }}前答复。",
        sms="投诉举报{{ number }}待办理，请登录工作台处理。",
        fields=("number", "organisation", "due"),
        sample={"number": _NUMBER, "organisation": "北山街道司法所", "due": "2026年12月25日"},
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="complaints.supervised",
        name="投诉举报被督办",
        title="投诉举报已被上级督办",
        body=(
            "{{ by }}对投诉举报 {{ number }} 督办，办理期限为{{ deadline }}"
            "{% if report %}，请按期报告办理情况{% endif %}。督办意见：{{ instruction }}"
        ),
        sms="投诉举报{{ number }}已被督办，请登录工作台处理。",
        fields=("number", "by", "deadline", "instruction"),
        sample={
            "number": _NUMBER,
            "by": "杭州市司法局",
            "deadline": "2026年12月18日",
            "report": True,
            "instruction": "请核实情况并于期限前书面报告处理结果。",
        },
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="complaints.overdue",
        name="投诉举报逾期",
        title="下级办理的投诉举报已逾期",
        body="投诉举报 {{ number }}（{{ organisation }}办理）答复期限为{{ due }}，逾期未答复，请督办。",
        sms="投诉举报{{ number }}逾期未答复，请登录工作台督办。",
        fields=("number", "organisation", "due"),
        sample={"number": _NUMBER, "organisation": "杭州市西湖区司法局", "due": "2026年12月25日"},
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="complaints.due_moved",
        name="投诉举报答复期限调整",
        title="您的{% if count > 1 %}{{ count }}件{% endif %}投诉举报答复期限已调整",
        body=(
            "{% if count == 1 %}"
            "因{{ reason }}，您的投诉举报（编号 {{ number }}）的答复期限由{{ before }}调整为{{ after }}。"
            "办理进度可凭编号查询。"
            "{% else %}"
            "因{{ reason }}，您的以下{{ count }}件投诉举报的答复期限已调整：\n"
            "{% for line in items %}{{ line }}\n{% endfor %}"
            "办理进度可凭编号查询。"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}因{{ reason }}，投诉举报{{ number }}答复期限调整为{{ after|clip:15 }}。"
            "{% else %}因{{ reason }}，您的{{ count }}件投诉举报答复期限已调整，详见平台消息。{% endif %}"
        ),
        fields=("count", "items", "number", "reason"),
        sample={
            "count": 1,
            "items": [f"{_NUMBER}：2027年12月31日 → 2028年12月31日（暂定）（法定节假日调整）"],
            "number": _NUMBER,
            "before": "2027年12月31日",
            "after": "2028年12月31日（暂定）",
            "reason": "法定节假日调整",
        },
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="complaints.due_moved_staff",
        name="投诉举报答复期限调整（办理机构）",
        title="{% if count > 1 %}{{ count }}件{% endif %}投诉举报答复期限已调整",
        body=(
            "{% if count == 1 %}"
            "因{{ reason }}，投诉举报 {{ number }} 的答复期限由{{ before }}调整为{{ after }}，请按新期限答复。"
            "{% else %}"
            "因{{ reason }}，本机构办理的以下{{ count }}件投诉举报的答复期限已调整，请按新期限答复：\n"
            "{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}因{{ reason }}，投诉举报{{ number }}答复期限已调整，请登录工作台查看。"
            "{% else %}因{{ reason }}，{{ count }}件投诉举报答复期限已调整，请登录工作台查看。{% endif %}"
        ),
        fields=("count", "items", "number", "reason"),
        sample={
            "count": 9999,
            "items": [f"{_NUMBER}：2027年12月31日 → 2028年12月31日（暂定）（法定节假日调整）"],
            "number": _NUMBER,
            "before": "2027年12月31日",
            "after": "2028年12月31日（暂定）",
            "reason": "法定节假日调整",
        },
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="complaints.overdue_withdrawn",
        name="投诉举报逾期提示撤销",
        title="下级办理的{% if count > 1 %}{{ count }}件{% endif %}投诉举报逾期提示已撤销",
        body=(
            "{% if count == 1 %}"
            "投诉举报 {{ number }}（{{ organisation }}办理）的答复期限因工作日历调整而顺延至{{ due }}，"
            "尚未逾期，此前的逾期提示已撤销，已移出本机构的逾期清单。"
            "{% else %}"
            "以下{{ count }}件投诉举报的答复期限因工作日历调整而顺延，尚未逾期，此前的逾期提示已撤销，"
            "已移出本机构的逾期清单：\n{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}投诉举报{{ number }}期限顺延，逾期提示已撤销。"
            "{% else %}{{ count }}件投诉举报期限顺延，逾期提示已撤销。{% endif %}"
        ),
        fields=("count", "items", "number"),
        sample={
            "count": 1,
            "items": [f"{_NUMBER}（杭州市西湖区司法局办理）：顺延至2026年12月25日（暂定）"],
            "number": _NUMBER,
            "organisation": "杭州市西湖区司法局",
            "due": "2026年12月25日（暂定）",
        },
        channels=(Channel.IN_APP,),
    ),
):
    register_event(_template)
