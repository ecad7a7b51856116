"""The mediation's notification texts (人民调解法 §26, §33), registered with the notifications app."""

from __future__ import annotations

from sifa.notifications.events import EventTemplate, register_event

_NUMBER = "3301062025LSZY000000000000000001"
_DATE = "2027年12月31日"

for _template in (
    EventTemplate(
        code="mediation.agreement",
        name="达成调解协议（司法确认告知）",
        title="已达成人民调解协议：可在三十日内申请司法确认",
        body=(
            "您申请的人民调解（办件编号 {{ number }}）已达成调解协议，调解协议书已送达您的空间。"
            "双方当事人认为有必要的，可以自调解协议生效之日起三十日内（{{ due_text }}）共同向人民法院申请司法确认；"
            "经确认有效的，一方拒绝履行时对方可以申请强制执行（《中华人民共和国人民调解法》第三十三条）。"
        ),
        sms="调解{{ number }}已达成协议，可于{{ due_text|clip:14 }}共同申请司法确认。",
        fields=("number", "due_text"),
        sample={"number": _NUMBER, "due_text": f"{_DATE}前"},
    ),
    EventTemplate(
        code="mediation.confirmation_reminder",
        name="司法确认期限提醒",
        title="提醒：申请司法确认的期限将满",
        body=(
            "您申请的人民调解（办件编号 {{ number }}）达成的调解协议，申请司法确认的三十日期限将于"
            "{{ due_text }}届满。如需司法确认，请双方当事人在期限内共同向人民法院提出申请"
            "（《中华人民共和国人民调解法》第三十三条）；无需确认的，请忽略本提醒。"
        ),
        sms="提醒：调解{{ number }}申请司法确认的期限{{ due_text|clip:16 }}届满。",
        fields=("number", "due_text"),
        sample={"number": _NUMBER, "due_text": _DATE},
    ),
    EventTemplate(
        code="mediation.terminated",
        name="调解终止",
        title="人民调解已终止",
        body=(
            "您申请的人民调解（办件编号 {{ number }}）调解不成，已终止调解。原因：{{ reason }}\n"
            "您可以依法通过仲裁、行政、司法等途径维护自己的权利（《中华人民共和国人民调解法》第二十六条），"
            "调解终止记录已送达您的空间。"
        ),
        sms="您的调解{{ number }}已终止，可依法通过仲裁、诉讼等途径维权，详见平台。",
        fields=("number", "reason"),
        sample={"number": _NUMBER, "reason": "对方当事人明确拒绝调解"},
    ),
):
    register_event(_template)
