"""`/healthz` warns when the configured SMS gateway is not registered, and stays 200."""

import pytest

from sifa.accounts.sms import LocalSmsGateway, gateways

pytestmark = pytest.mark.django_db


def test_the_configured_gateway_is_reported_ok(client, settings):
    settings.SMS_BACKEND = "local"
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["sms_gateway"] == {"status": "ok", "name": "local", "message": ""}


def test_an_unregistered_gateway_is_a_warning_not_an_outage(client, settings):
    settings.SMS_BACKEND = "carrier-x"
    response = client.get("/healthz")
    assert response.status_code == 200
    sms = response.json()["sms_gateway"]
    assert (sms["status"], sms["name"]) == ("warning", "carrier-x")
    assert "短信验证码和短信通知无法发送" in sms["message"]
    with gateways.override("carrier-x", LocalSmsGateway()):
        assert client.get("/healthz").json()["sms_gateway"]["status"] == "ok"
