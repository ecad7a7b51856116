"""Chinese message templates, one per event code, in a registry.

Each event has a title, a body (plain text) and a short SMS text, all Django templates rendered
without autoescaping (they are plain text; the e-mail HTML wraps the body in
``notifications/email.html``, which escapes it). Templates are compiled and test-rendered with the
event's sample context when registered, so a syntax error or an SMS over one segment fails at
import time, not when a citizen is waiting for the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Engine, Template

from sifa.core.errors import ServiceError
from sifa.notifications.models import Channel
from sifa.notifications.textfilters import sms_length

SMS_SIGNATURE = "【司法行政】"
SMS_SEGMENT_CHARS = 70
"""One SMS segment holds 70 UCS-2 characters (any Chinese text), signature included."""

ALL_CHANNELS = (Channel.IN_APP, Channel.EMAIL, Channel.SMS)

_TEXT_ENGINE = Engine(autoescape=False, builtins=["sifa.notifications.textfilters"])


class NotificationError(ServiceError):
    """A notification could not be written (unknown event, missing context, unknown channel)."""


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str


@dataclass(frozen=True)
class EventTemplate:
    """The texts for one event. ``fields`` are context keys the caller must pass; ``sample`` is a
    worst-case context (longest values) used to check the templates at registration."""

    code: str
    name: str
    title: str
    body: str
    sms: str
    fields: tuple[str, ...] = ()
    channels: tuple[str, ...] = ALL_CHANNELS
    sample: Mapping[str, Any] = field(default_factory=dict)

    def compiled(self) -> tuple[Template, Template, Template]:
        return (
            _TEXT_ENGINE.from_string(self.title),
            _TEXT_ENGINE.from_string(self.body),
            _TEXT_ENGINE.from_string(self.sms),
        )


_REGISTRY: dict[str, tuple[EventTemplate, tuple[Template, Template, Template]]] = {}


def sms_segments(text: str) -> int:
    """How many segments a carrier bills for ``text`` (67 per part once it is split)."""
    length = sms_length(text)
    if length <= SMS_SEGMENT_CHARS:
        return 1
    return -(-length // 67)


def register_event(template: EventTemplate) -> None:
    """Add (or replace) an event's templates, checking them against the sample context."""
    compiled = template.compiled()
    unknown = set(template.channels) - set(Channel.values)
    if unknown:
        raise ImproperlyConfigured(f"event {template.code}: unknown channels {sorted(unknown)}")
    _REGISTRY[template.code] = (template, compiled)
    sample = render(template.code, {**dict.fromkeys(template.fields, "x"), **template.sample})
    if sms_segments(sample.sms) != 1:
        del _REGISTRY[template.code]
        raise ImproperlyConfigured(
            f"event {template.code}: SMS text is {sms_length(sample.sms)} characters with the sample context, "
            f"over one segment ({SMS_SEGMENT_CHARS}); shorten it or truncate the variables"
        )


def get_event(code: str) -> EventTemplate:
    try:
        return _REGISTRY[code][0]
    except KeyError:
        raise NotificationError(
            "notifications.unknown_event", f"未登记的通知事件：{code}", status=500
        ) from None


def registered_events() -> list[EventTemplate]:
    return [template for template, _compiled in _REGISTRY.values()]


def render(code: str, context: Mapping[str, Any]) -> Rendered:
    """Render the three texts. Missing required context keys are refused here, at notify time."""
    template = get_event(code)
    missing = [key for key in template.fields if context.get(key) in (None, "")]
    if missing:
        raise NotificationError(
            "notifications.context_missing",
            f"通知事件 {code} 缺少必要内容：{'、'.join(missing)}",
            status=500,
        )
    title, body, sms = _REGISTRY[code][1]
    ctx = Context(dict(context), autoescape=False)
    return Rendered(
        title=" ".join(title.render(ctx).split()),
        body=body.render(ctx).strip(),
        sms=SMS_SIGNATURE + " ".join(sms.render(ctx).split()),
    )


# --- the built-in events ---------------------------------------------------------------------
# Item names are truncated in SMS texts so the worst case still fits in one segment; numbers are
# at most 32 characters (the sample uses that length).
_NUMBER = "3301062025LSZY000000000000000001"
_ITEM = "律师事务所设立许可（含分所设立、变更与注销）及相关登记事项"

_BUILT_IN = [
    EventTemplate(
        code="application.submitted",
        name="申请已提交",
        title="申请已提交",
        body=(
            "您申请的“{{ item_name }}”已提交，办件编号 {{ number }}。"
            "我们将在5个工作日内完成审查并告知结果（《中华人民共和国行政许可法》第三十二条），请留意后续消息。"
        ),
        sms="您申请的“{{ item_name|clip:10 }}”已提交，办件编号{{ number }}。",
        fields=("number", "item_name"),
        sample={"number": _NUMBER, "item_name": _ITEM},
    ),
    EventTemplate(
        code="application.correction_requested",
        name="补正告知",
        title="补正告知：请补正申请材料",
        body=(
            "您申请的“{{ item_name }}”（办件编号 {{ number }}）需要补正材料，"
            "请一次性补正以下{{ problems|length }}项内容后重新提交：\n"
            "{% for problem in problems %}{{ forloop.counter }}. {{ problem }}\n{% endfor %}"
            "{% if deadline %}请于{{ deadline }}前补正。{% endif %}"
        ),
        sms="您的办件{{ number }}需补正材料，请登录平台查看一次性告知书。",
        fields=("number", "item_name", "problems"),
        sample={"number": _NUMBER, "item_name": _ITEM, "problems": ["身份证明材料不清晰"]},
    ),
    EventTemplate(
        code="application.accepted",
        name="已受理",
        title="申请已受理",
        body=(
            "您申请的“{{ item_name }}”（办件编号 {{ number }}）已受理。"
            "{% if due_date %}承诺办结时间：{{ due_date }}。{% endif %}"
        ),
        sms="您的办件{{ number }}已受理，可登录平台查看办理进度。",
        fields=("number", "item_name"),
        sample={"number": _NUMBER, "item_name": _ITEM},
    ),
    EventTemplate(
        code="application.refused",
        name="不予受理",
        title="申请不予受理",
        body=(
            "您申请的“{{ item_name }}”（办件编号 {{ number }}）不予受理。理由：{{ reasons }}\n"
            "如不服本决定，可依法申请行政复议或者提起行政诉讼。"
        ),
        sms="您的办件{{ number }}不予受理，理由及救济途径请登录平台查看。",
        fields=("number", "item_name", "reasons"),
        sample={"number": _NUMBER, "item_name": _ITEM, "reasons": "不属于本机关职权范围"},
    ),
    EventTemplate(
        code="application.decided",
        name="已作出决定",
        title="已作出{{ decision }}决定",
        body=(
            "您申请的“{{ item_name }}”（办件编号 {{ number }}）已作出{{ decision }}决定。"
            "{% if reasons %}理由：{{ reasons }}{% endif %}"
        ),
        sms="您的办件{{ number }}已作出{{ decision|clip:6 }}决定，请登录平台查看决定书。",
        fields=("number", "item_name", "decision"),
        sample={"number": _NUMBER, "item_name": _ITEM, "decision": "准予行政许可"},
    ),
    EventTemplate(
        code="application.delivered",
        name="结果已送达",
        title="办理结果已送达",
        body=(
            "您申请的“{{ item_name }}”（办件编号 {{ number }}）的办理结果已送达"
            "{% if method %}（送达方式：{{ method }}）{% endif %}。"
        ),
        sms="您的办件{{ number }}办理结果已送达，请注意查收。",
        fields=("number", "item_name"),
        sample={"number": _NUMBER, "item_name": _ITEM, "method": "电子送达"},
    ),
    EventTemplate(
        code="licence.issued",
        name="电子证照已签发",
        title="电子证照已签发：{{ licence_name }}",
        body=(
            "您的电子证照“{{ licence_name }}”已签发，证照标识 {{ licence_id }}。"
            "可在“我的证照”中查看、下载和授权使用，任何人可通过证照标识核验真伪。"
        ),
        sms="您的电子证照“{{ licence_name|clip:10 }}”已签发，请登录平台查看。",
        fields=("licence_name", "licence_id"),
        sample={"licence_name": "律师执业证（专职律师）", "licence_id": "1" * 40},
    ),
    EventTemplate(
        code="deadline.moved",
        name="办理期限调整",
        title="办理期限调整：{{ kind }}改为{{ after }}",
        body=(
            "因{{ cause }}，您申请的“{{ item_name }}”（办件编号 {{ number }}）的{{ kind }}截止日期"
            "由{{ before }}调整为{{ after }}{% if provisional %}（暂定：仍跨入尚未公布放假安排的年度）{% endif %}。"
            "您无需办理任何手续。"
        ),
        sms="您的办件{{ number }}截止日期调整为{{ after }}，详见平台消息。",
        fields=("number", "item_name", "kind", "before", "after", "cause"),
        sample={
            "number": _NUMBER,
            "item_name": _ITEM,
            "kind": "法定办结时限",
            "before": "2027-01-05",
            "after": "2027-01-04",
            "cause": "国务院办公厅公布2027年部分节假日安排（国办发明电〔2026〕12号）",
            "provisional": True,
        },
    ),
    EventTemplate(
        code="deadline.moved_staff",
        name="待办事项截止日期调整",
        title="{{ count }}件待办事项的截止日期已调整",
        body=(
            "因{{ cause }}，您岗位上以下待办事项的截止日期已重新计算：\n"
            "{% for line in cases %}{{ line }}\n{% endfor %}"
            "请在工作台待办工作中查看。"
        ),
        sms="您有{{ count }}件待办事项的截止日期因工作日历调整而变动，请登录工作台查看。",
        fields=("count", "cases", "cause"),
        channels=(Channel.IN_APP, Channel.EMAIL),
        sample={
            "count": 9999,
            "cases": [f"{_NUMBER} 审查：2027-01-05 → 2027-01-04"],
            "cause": "国务院办公厅公布2027年部分节假日安排（国办发明电〔2026〕12号）",
        },
    ),
    EventTemplate(
        code="account.registered",
        name="注册成功",
        title="注册成功",
        body="您已成功注册司法行政一体化网上政务服务平台账户。如非本人操作，请及时联系我们。",
        sms="您已成功注册司法行政网上政务服务平台账户，如非本人操作请及时联系我们。",
        channels=(Channel.IN_APP, Channel.SMS),
    ),
    EventTemplate(
        code="licence.status_changed",
        name="电子证照状态变更",
        title="电子证照状态变更：{{ licence_name }}{{ status_label }}",
        body=(
            "您的电子证照“{{ licence_name }}”（证照编号 {{ licence_number }}）自{{ effective_date }}起"
            "状态为“{{ status_label }}”{% if until %}，至{{ until }}{% endif %}。原因：{{ reason }}。"
            "证照标识 {{ licence_id }}，任何人可据此核验当前状态。"
            "如对该决定不服，可以依法申请行政复议或者提起行政诉讼。"
        ),
        sms="您的电子证照“{{ licence_name|clip:10 }}”状态已变更为“{{ status_label }}”，请登录平台查看。",
        fields=("licence_name", "licence_id", "licence_number", "status_label", "reason", "effective_date"),
        sample={
            "licence_name": "律师执业证（专职律师）",
            "licence_id": "1" * 80,
            "licence_number": "9" * 64,
            "status_label": "已换发新版本",
            "reason": "理" * 500,
            "effective_date": "2026-01-01",
            "until": "2026-07-01",
        },
    ),
]

for _template in _BUILT_IN:
    register_event(_template)
