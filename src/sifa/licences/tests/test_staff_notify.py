"""The holder is told when staff change their licence's status (guarded ``licence.status_changed``).

``STATUS_CHANGED`` is the event template this needs in ``sifa/notifications/events.py`` (its
``_BUILT_IN`` list). Until it is there, a status change still happens, without a message; the tests
register it for their duration to show the message the holder gets.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sifa.licences import services
from sifa.licences.models import LicenceType
from sifa.notifications import events
from sifa.notifications.events import EventTemplate, register_event, render, sms_segments

STATUS_CHANGED = EventTemplate(
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
)


@contextmanager
def status_event_registered() -> Iterator[None]:
    """Register the event for the duration (and leave the registry as it was)."""
    before = events._REGISTRY.get(STATUS_CHANGED.code)
    register_event(STATUS_CHANGED)
    try:
        yield
    finally:
        if before is None:
            events._REGISTRY.pop(STATUS_CHANGED.code, None)
        else:
            events._REGISTRY[STATUS_CHANGED.code] = before


def test_the_proposed_template_fits_one_sms_and_names_the_status_and_reason():
    with status_event_registered():
        text = render(
            STATUS_CHANGED.code,
            {**STATUS_CHANGED.sample, "status_label": "停止执业", "reason": "停止执业六个月"},
        )
    assert sms_segments(text.sms) == 1
    assert "停止执业六个月" in text.body and "至2026-07-01" in text.body and "停止执业" in text.title


def _licence(people, orgs):
    lawyer = LicenceType.objects.get(key="lawyer_licence")
    return services.issue_licence(lawyer, people["citizen"], orgs["zj"], actor=None, with_pdf=False)


def test_with_the_event_the_holder_reads_status_reason_and_date(people, orgs):
    from sifa.notifications.models import Notification

    with status_event_registered():
        licence = services.change_status(
            _licence(people, orgs), "suspend", actor=people["decider"], reason="停止执业三个月",
        )  # fmt: skip
    message = Notification.objects.get(recipient=people["citizen"], event="licence.status_changed")
    assert "停止执业三个月" in message.body and licence.number in message.body
    assert message.link == f"/verify/{licence.identifier}"
