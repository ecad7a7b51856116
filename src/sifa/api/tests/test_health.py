"""`/readyz` warns when the configured SMS gateway is not registered, and stays 200."""

import io

import pytest

from sifa.accounts.sms import LocalSmsGateway, gateways

pytestmark = pytest.mark.django_db


def test_the_configured_gateway_is_reported_ok(client, settings):
    settings.SMS_BACKEND = "local"
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["sms_gateway"] == {"status": "ok", "name": "local", "message": ""}


def test_an_unregistered_gateway_is_a_warning_not_an_outage(client, settings):
    settings.SMS_BACKEND = "carrier-x"
    response = client.get("/readyz")
    assert response.status_code == 200
    sms = response.json()["sms_gateway"]
    assert (sms["status"], sms["name"]) == ("warning", "carrier-x")
    assert "短信验证码和短信通知无法发送" in sms["message"]
    with gateways.override("carrier-x", LocalSmsGateway()):
        assert client.get("/readyz").json()["sms_gateway"]["status"] == "ok"


def test_the_audit_anchor_is_a_warning_until_the_scheduler_has_verified(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    anchor = client.get("/readyz").json()["audit_anchor"]
    assert (anchor["status"], anchor["ok"], anchor["verified_at"]) == ("warning", None, None)


def test_the_last_verified_anchor_is_reported_without_walking_the_chain(
    client, settings, tmp_path, django_assert_max_num_queries
):
    from django.core.management import call_command

    from sifa.audit.services import record

    settings.VAR_DIR = tmp_path
    record("test.step")
    call_command("audit", "anchor", "--verify", stdout=io.StringIO())
    for _ in range(50):
        record("test.step")  # the request must not walk these
    with django_assert_max_num_queries(8):
        body = client.get("/readyz").json()
    anchor = body["audit_anchor"]
    assert (anchor["status"], anchor["ok"], anchor["seq"]) == ("ok", True, 1)
    assert anchor["verified_at"] and anchor["anchored_at"]
    # Long ago: the scheduler has stopped.
    settings.ANCHOR_INTERVAL_MINUTES = 0
    assert client.get("/readyz").json()["audit_anchor"]["status"] == "warning"


def test_a_broken_chain_found_by_the_scheduler_is_an_error_but_not_an_outage(client, settings, tmp_path):
    from django.core.management import call_command

    from sifa.audit.services import record
    from sifa.audit.tests.conftest import raw, triggers_dropped

    settings.VAR_DIR = tmp_path
    record("test.step")
    with triggers_dropped():
        raw("UPDATE audit_auditevent SET action = 'x' WHERE seq = 1")
    with pytest.raises(SystemExit):
        call_command("audit", "anchor", "--verify", stdout=io.StringIO(), stderr=io.StringIO())
    response = client.get("/readyz")
    assert response.status_code == 200
    anchor = response.json()["audit_anchor"]
    assert (anchor["status"], anchor["ok"], anchor["code"]) == ("error", False, "hash_mismatch")
    assert not (tmp_path / "audit-anchors" / "anchors.jsonl").exists()  # a broken head is not anchored


def test_the_backlog_counts_waiting_and_dead_items(client):
    from datetime import timedelta

    from django.utils import timezone

    from sifa.notifications.models import Channel, Delivery, DeliveryStatus, Notification
    from sifa.testing import CitizenFactory

    body = client.get("/readyz").json()
    assert body["backlog"]["notifications"] == {"pending": 0, "dead": 0, "oldest_pending_age_seconds": 0}
    assert body["backlog"]["exchange_outbox"] == {"pending": 0, "dead": 0, "oldest_pending_age_seconds": 0}
    assert set(body["backlog"]["tasks"]) == {"pending", "oldest_pending_age_seconds"}
    recipient = CitizenFactory()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    for status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED, DeliveryStatus.DEAD, DeliveryStatus.SENT):
        notification = Notification.objects.create(recipient=recipient, event="test", title="t", body="b")
        Delivery.objects.create(
            notification=notification, channel=Channel.IN_APP, status=status, created_at=an_hour_ago
        )
    waiting = client.get("/readyz").json()["backlog"]["notifications"]
    assert (waiting["pending"], waiting["dead"]) == (2, 1)
    assert 3500 < waiting["oldest_pending_age_seconds"] < 3700


# --- liveness: /healthz ---------------------------------------------------------------------------


def test_liveness_is_the_process_and_one_select(client, django_assert_num_queries):
    """``/healthz`` is what load balancers and liveness probes call every few seconds on every
    instance: one ``SELECT 1``, none of the readiness report."""
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_both_probes_answer_503_when_the_database_does_not(client, monkeypatch):
    from sifa.api import health

    def down() -> None:
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health, "_database_answers", down)
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "unavailable"}


def test_readiness_carries_the_full_report(client):
    body = client.get("/readyz").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert {"calendar", "sms_gateway", "audit_anchor", "security_detector", "backlog"} <= set(body)
