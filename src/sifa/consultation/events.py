"""The consultation's notification texts, registered with the notifications app.

``consultation.answered`` goes to the asker: in the inbox of a signed-in asker, and by SMS when they
asked for it (a 12348 caller without an account gets it by SMS only). The SMS carries the start of
the answer, so a caller without internet access still has it, and says where the whole answer is.
``consultation.escalated`` tells the consultants and supervisors of the organisation above that a
ticket is overdue. After a change of the working calendar, ``consultation.due_moved`` tells the
asker and ``consultation.due_moved_staff`` the consultants and supervisors holding the ticket that
its 答复期限 moved; ``consultation.escalation_withdrawn`` tells the level above that an escalation was
withdrawn because the new date has not passed.
"""

from __future__ import annotations

from sifa.notifications.events import EventTemplate, register_event
from sifa.notifications.models import Channel

_NUMBER = "ZX33010620261204000001"

for _template in (
    EventTemplate(
        code="consultation.received",
        name="法律咨询已受理",
        title="您的法律咨询已受理",
        body=(
            "您的法律咨询（工单编号 {{ number }}）已由{{ organisation }}受理，将于{{ due }}前答复。"
            "{% if code %}查询码：{{ code }}，凭工单编号和查询码可在12348平台查看答复。{% endif %}"
        ),
        sms="咨询{{ number }}已受理，{{ due|clip:11 }}前答复。查询码{{ code|default:'见平台' }}。",
        fields=("number", "organisation", "due"),
        sample={
            "number": _NUMBER,
            "organisation": "北山街道司法所",
            "due": "2026年12月9日",
            "code": "K7M2Q9XP",
        },
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="consultation.answered",
        name="法律咨询已答复",
        title="您的法律咨询已答复",
        body=(
            "您的法律咨询（工单编号 {{ number }}）已由{{ organisation }}答复：\n{{ answer }}\n"
            "欢迎对本次答复作出评价。如需申请法律援助或人民调解，可在答复页面直接转为申请，无需重新填写。"
        ),
        sms="咨询{{ number }}答复：{{ answer|clip:26 }}全文见12348平台。",
        fields=("number", "organisation", "answer"),
        sample={
            "number": _NUMBER,
            "organisation": "北山街道司法所",
            "answer": "根据《中华人民共和国人民调解法》第十七条，当事人可以向人民调解委员会申请调解。",
        },
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="consultation.escalated",
        name="法律咨询逾期升级",
        title="法律咨询逾期未答复，已升级督办",
        body=(
            "工单 {{ number }}（{{ organisation }}承办）答复期限为{{ due }}，逾期未答复，已升级至本机构督办。"
            "请督促承办机构答复，或直接答复、转办。"
        ),
        sms="咨询工单{{ number }}逾期未答复，已升级督办，请登录工作台处理。",
        fields=("number", "organisation", "due"),
        sample={"number": _NUMBER, "organisation": "北山街道司法所", "due": "2026年12月9日"},
        channels=(Channel.IN_APP,),
    ),
    EventTemplate(
        code="consultation.due_moved",
        name="法律咨询答复期限调整",
        title="您的{% if count > 1 %}{{ count }}件{% endif %}法律咨询答复期限已调整",
        body=(
            "{% if count == 1 %}"
            "因{{ reason }}，您的法律咨询（工单编号 {{ number }}）的答复期限由{{ before }}调整为{{ after }}。"
            "{% else %}"
            "因{{ reason }}，您的以下{{ count }}件法律咨询的答复期限已调整：\n{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}"
            "因{{ reason }}，咨询{{ number }}答复期限调整为{{ after|clip:15 }}。"
            "{% else %}因{{ reason }}，您的{{ count }}件法律咨询答复期限已调整，详见平台消息。{% endif %}"
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
        code="consultation.due_moved_staff",
        name="法律咨询答复期限调整（承办机构）",
        title="{% if count > 1 %}{{ count }}件{% endif %}咨询工单答复期限已调整",
        body=(
            "{% if count == 1 %}"
            "因{{ reason }}，咨询工单 {{ number }} 的答复期限由{{ before }}调整为{{ after }}，请按新期限答复。"
            "{% else %}"
            "因{{ reason }}，以下{{ count }}件咨询工单的答复期限已调整，请按新期限答复：\n{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}"
            "因{{ reason }}，咨询{{ number }}答复期限已调整，请登录工作台查看。"
            "{% else %}因{{ reason }}，{{ count }}件咨询工单答复期限已调整，请登录工作台查看。{% endif %}"
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
        code="consultation.escalation_withdrawn",
        name="咨询逾期升级撤销",
        title="{% if count > 1 %}{{ count }}件{% endif %}咨询工单逾期升级已撤销",
        body=(
            "{% if count == 1 %}"
            "咨询工单 {{ number }}（{{ organisation }}承办）的答复期限因工作日历调整而顺延至{{ due }}，"
            "尚未逾期，逾期升级已撤销，已移出本机构的逾期升级清单。"
            "{% else %}"
            "以下{{ count }}件咨询工单的答复期限因工作日历调整而顺延，尚未逾期，逾期升级已撤销，已移出本机构的逾期升级清单：\n"
            "{% for line in items %}{{ line }}\n{% endfor %}"
            "{% endif %}"
        ),
        sms=(
            "{% if count == 1 %}"
            "咨询{{ number }}期限顺延，逾期升级已撤销。"
            "{% else %}{{ count }}件咨询工单期限顺延，逾期升级已撤销。{% endif %}"
        ),
        fields=("count", "items", "number"),
        sample={
            "count": 9999,
            "items": [f"{_NUMBER}（北山街道司法所承办）：顺延至2026年12月9日（暂定）"],
            "number": _NUMBER,
            "organisation": "北山街道司法所",
            "due": "2026年12月9日（暂定）",
        },
        channels=(Channel.IN_APP,),
    ),
):
    register_event(_template)
