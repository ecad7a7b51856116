"""The holder is told when staff change their licence's status (``licence.status_changed``)."""

from __future__ import annotations

from sifa.licences import services
from sifa.licences.models import LicenceType
from sifa.notifications.events import get_event, render, sms_segments
from sifa.notifications.models import Notification


def test_the_status_message_fits_one_sms_and_names_the_status_and_reason():
    template = get_event(services.STATUS_CHANGED_EVENT)
    text = render(template.code, {**template.sample, "status_label": "停止执业", "reason": "停止执业六个月"})
    assert sms_segments(text.sms) == 1
    assert "停止执业六个月" in text.body and "至2026-07-01" in text.body and "停止执业" in text.title


def _licence(people, orgs):
    lawyer = LicenceType.objects.get(key="lawyer_licence")
    return services.issue_licence(lawyer, people["citizen"], orgs["zj"], actor=None, with_pdf=False)


def test_the_holder_reads_status_reason_and_date(people, orgs):
    licence = services.change_status(
        _licence(people, orgs), "suspend", actor=people["decider"], reason="停止执业三个月"
    )
    message = Notification.objects.get(recipient=people["citizen"], event="licence.status_changed")
    assert "停止执业三个月" in message.body and licence.number in message.body
    assert message.link == f"/verify/{licence.identifier}"
