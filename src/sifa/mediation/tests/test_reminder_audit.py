"""The §33 jobs change a mediation's rows only together with their audit events (人民调解法 §33)."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.applications.models import ApplicationStatus
from sifa.audit.models import AuditEvent
from sifa.mediation.models import MediationCase, MediationOutcome
from sifa.mediation.services import refresh_dates, reminders, send_due_reminders
from sifa.notifications.models import Notification
from sifa.workflow.tests.conftest import (  # noqa: F401  (fixtures)
    entry_for,
    make_case,
    people,
    w,
    world,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 14)


@pytest.fixture
def agreement(w, people):  # noqa: F811
    """An agreement that took effect on 2026-11-20: its 30 days end on Monday 2026-12-21."""
    application = make_case(
        entry_for("人民调解申请", w["xh_town"]), people["citizen"], status=ApplicationStatus.DELIVERED
    )
    return MediationCase.objects.create(
        application=application,
        scope_path=application.scope_path,
        outcome=MediationOutcome.AGREEMENT,
        effective_on=dt.date(2026, 11, 20),
        confirmation_due=dt.date(2026, 12, 21),
        confirmation_due_exact=True,
    )


def test_a_reminder_is_audited(agreement):
    """Regression: the reminder was claimed and sent with no audit event."""
    assert send_due_reminders(TODAY) == [agreement.application.number]
    [event] = AuditEvent.objects.filter(action="mediation.confirmation_reminded")
    assert event.object_id == agreement.application.number
    assert event.detail == {"confirmation_due": "2026-12-21", "told": True}


def test_without_its_audit_event_no_reminder_is_claimed_or_sent(agreement, monkeypatch):
    def audit_down(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(reminders, "record", audit_down)
    with pytest.raises(RuntimeError):
        send_due_reminders(TODAY)
    agreement.refresh_from_db()
    assert agreement.reminded_at is None
    assert not Notification.objects.filter(event="mediation.confirmation_reminder").exists()


def test_a_recomputed_last_day_is_audited_with_the_day_before_and_after(agreement):
    """Regression: a last day computed again (here a plain 30th day that fell on a Sunday, once the
    calendar of its year is known: 民法典 §203 moves it to the Monday) changed without a trace."""
    MediationCase.objects.filter(pk=agreement.pk).update(
        confirmation_due=dt.date(2026, 12, 20), confirmation_due_exact=False
    )
    assert refresh_dates(TODAY) == [agreement.application.number]
    [event] = AuditEvent.objects.filter(action="mediation.confirmation_due_recomputed")
    assert (event.detail["before"], event.detail["after"]) == ("2026-12-20", "2026-12-21")
    assert event.detail["told"] is True
