"""The API: my messages, mark read, the failed-deliveries view and resend, all scoped."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from rest_framework.test import APIClient

from sifa.accounts import sms
from sifa.accounts.models import SmsMessage
from sifa.audit.models import AuditEvent
from sifa.notifications.models import Delivery, DeliveryStatus, Notification
from sifa.notifications.services import deliver_due, notify
from sifa.notifications.tests.conftest import CONTEXT, make_staff
from sifa.organisations.models import Role


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def dead_sms(citizen, settings) -> Delivery:
    class Refusing(sms.SmsGateway):
        def send(self, phone, template, params, *, recipient=None):
            raise sms.SmsGatewayError("carrier down")

    with sms.gateways.override("refusing", Refusing()):
        settings.SMS_BACKEND = "refusing"
        notify(citizen, "application.accepted", CONTEXT, channels=["sms"])
        Delivery.objects.filter(channel="sms").update(attempts=5)
        deliver_due()
    settings.SMS_BACKEND = "local"
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == DeliveryStatus.DEAD
    return delivery


def test_my_messages_unread_first_then_newest(citizen, other_citizen):
    start = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        oldest = notify(citizen, "application.submitted", CONTEXT, channels=["in_app"])
        traveller.shift(dt.timedelta(hours=1))
        middle = notify(citizen, "application.accepted", CONTEXT, channels=["in_app"])
        traveller.shift(dt.timedelta(hours=1))
        newest = notify(
            citizen, "application.decided", {**CONTEXT, "decision": "准予行政许可"}, channels=["in_app"]
        )
        notify(other_citizen, "application.accepted", CONTEXT, channels=["in_app"])
        client = client_for(citizen)
        assert client.post(f"/api/v1/me/messages/{newest.public_id}/read/").status_code == 200

    response = client.get("/api/v1/me/messages/")
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == [str(middle.public_id), str(oldest.public_id), str(newest.public_id)]
    first = response.json()["results"][0]
    assert first["title"] == "申请已受理" and first["unread"] is True
    assert response.json()["results"][2]["unread"] is False

    unread = client.get("/api/v1/me/messages/?unread=1").json()["results"]
    assert [row["id"] for row in unread] == [str(middle.public_id), str(oldest.public_id)]


def test_reading_twice_keeps_the_first_time_and_others_messages_are_404(citizen, other_citizen):
    mine = notify(citizen, "application.accepted", CONTEXT, channels=["in_app"])
    theirs = notify(other_citizen, "application.accepted", CONTEXT, channels=["in_app"])
    client = client_for(citizen)
    first = client.post(f"/api/v1/me/messages/{mine.public_id}/read/").json()["read_at"]
    second = client.post(f"/api/v1/me/messages/{mine.public_id}/read/").json()["read_at"]
    assert first == second is not None

    for bad in (theirs.public_id, uuid.uuid4(), "not-a-uuid"):
        response = client.post(f"/api/v1/me/messages/{bad}/read/")
        assert response.status_code == 404
        assert response.json()["code"] == "notifications.message_not_found"
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_staff_do_not_see_citizens_messages_as_their_own(citizen, orgs):
    notify(citizen, "application.accepted", CONTEXT, channels=["in_app"])
    supervisor = make_staff("sup", orgs["xihu"], Role.SUPERVISOR)
    assert client_for(supervisor).get("/api/v1/me/messages/").json()["results"] == []


def test_anonymous_gets_401(db):
    assert APIClient().get("/api/v1/me/messages/").status_code in (401, 403)


def test_failed_view_is_scoped_to_the_supervisors_jurisdiction(dead_sms, orgs):
    county = make_staff("xihu_sup", orgs["xihu"], Role.SUPERVISOR)
    city = make_staff("hz_admin", orgs["hangzhou"], Role.SYSTEM_ADMIN)
    other_county = make_staff("bj_sup", orgs["binjiang"], Role.SUPERVISOR)

    for user in (county, city):
        rows = client_for(user).get("/api/v1/notifications/failed/").json()["results"]
        assert [row["id"] for row in rows] == [str(dead_sms.public_id)]
        assert rows[0]["status"] == "dead" and rows[0]["attempts"] == 6
        assert rows[0]["recipient"] == {"name": "张*", "phone": "138****5678", "email": "z***@example.com"}
    assert client_for(other_county).get("/api/v1/notifications/failed/").json()["results"] == []

    filtered = client_for(county).get("/api/v1/notifications/failed/?status=failed").json()["results"]
    assert filtered == []
    bad = client_for(county).get("/api/v1/notifications/failed/?status=sent")
    assert bad.status_code == 400 and bad.json()["code"] == "notifications.invalid_status"


def test_failed_view_needs_a_monitoring_role(dead_sms, citizen, orgs):
    clerk = make_staff("clerk", orgs["xihu"], Role.WINDOW_CLERK)
    for user in (citizen, clerk):
        response = client_for(user).get("/api/v1/notifications/failed/")
        assert response.status_code == 403
        assert response.json()["code"] == "notifications.monitor_only"


def test_resend_requeues_sends_and_is_audited(dead_sms, orgs, django_capture_on_commit_callbacks):
    supervisor = make_staff("xihu_sup", orgs["xihu"], Role.SUPERVISOR)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(supervisor).post(
            f"/api/v1/notifications/deliveries/{dead_sms.public_id}/resend/"
        )
    assert response.status_code == 200
    assert response.json()["status"] == "pending"

    dead_sms.refresh_from_db()
    assert dead_sms.status == DeliveryStatus.SENT  # the local gateway is back, the task sent it
    assert dead_sms.attempts == 1
    assert SmsMessage.objects.count() == 1

    event = AuditEvent.objects.get(action="notifications.delivery.resend")
    assert event.actor == supervisor
    assert event.object_id == str(dead_sms.public_id)
    assert event.role == Role.SUPERVISOR
    assert event.organisation_id == orgs["xihu"].pk
    assert event.scope_path == "/1/2/3/4/"
    assert event.detail["previous"]["status"] == "dead"


def test_resend_from_another_county_is_404_and_changes_nothing(dead_sms, orgs):
    other_county = make_staff("bj_sup", orgs["binjiang"], Role.SUPERVISOR)
    client = client_for(other_county)
    for bad in (dead_sms.public_id, uuid.uuid4(), "123"):
        response = client.post(f"/api/v1/notifications/deliveries/{bad}/resend/")
        assert response.status_code == 404
        assert response.json()["code"] == "notifications.delivery_not_found"
    dead_sms.refresh_from_db()
    assert dead_sms.status == DeliveryStatus.DEAD
    assert not AuditEvent.objects.filter(action="notifications.delivery.resend").exists()


def test_resend_of_a_sent_delivery_is_a_conflict(citizen, orgs):
    notification = notify(citizen, "application.accepted", CONTEXT, channels=["in_app"])
    supervisor = make_staff("xihu_sup", orgs["xihu"], Role.SUPERVISOR)
    delivery = notification.deliveries.get()
    response = client_for(supervisor).post(f"/api/v1/notifications/deliveries/{delivery.public_id}/resend/")
    assert response.status_code == 409
    assert response.json()["code"] == "notifications.not_failed"


def test_citizen_cannot_resend(dead_sms, citizen):
    response = client_for(citizen).post(f"/api/v1/notifications/deliveries/{dead_sms.public_id}/resend/")
    assert response.status_code == 403
