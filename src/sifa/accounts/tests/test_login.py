"""Login: API tokens (password, staff TOTP, SMS code), lockout, the login page and idle timeout."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from sifa.accounts.models import ApiToken, SmsMessage
from sifa.accounts.sms import latest_local_message
from sifa.accounts.tests import factories
from sifa.audit import services as audit_services
from sifa.audit.models import AuditEvent, AuditResult
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def citizen(tree):
    return factories.person()


@pytest.fixture
def clerk(tree):
    return factories.staff(tree.county, Role.WINDOW_CLERK, username="clerk")


def test_citizen_gets_a_token_with_phone_and_password(api, citizen):
    phone = citizen.user.reveal_phone()
    response = api.post(TOKEN_URL, {"username": phone, "password": factories.PASSWORD}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["user"]["public_id"] == str(citizen.user.public_id)
    token = ApiToken.objects.get(user=citizen.user)
    assert token.prefix == body["token"][:8]
    assert body["token"] not in (token.key_digest, token.prefix)
    hours = (token.expires_at - timezone.now()).total_seconds() / 3600
    assert settings.API_TOKEN_HOURS - 0.1 < hours <= settings.API_TOKEN_HOURS
    me = api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert me.status_code == 200
    event = AuditEvent.objects.filter(action="auth.login").latest("seq")
    assert (event.result, event.actor_id) == ("success", citizen.user.pk)
    assert factories.PASSWORD not in str(event.detail)


def test_wrong_password_is_refused_and_audited(api, citizen):
    response = api.post(TOKEN_URL, {"username": "no-such-user", "password": "wrong-Pass-1"}, format="json")
    assert response.status_code == 401
    assert response.json() == {"code": "auth.invalid_credentials", "message": "用户名或密码错误"}
    event = AuditEvent.objects.filter(action="auth.login").latest("seq")
    assert event.result == "failed"
    assert "wrong-Pass-1" not in str(event.detail)


def test_missing_fields_are_reported(api, tree):
    response = api.post(TOKEN_URL, {}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"username", "password"}


def test_staff_needs_a_valid_totp(api, clerk):
    base = {"username": "clerk", "password": factories.PASSWORD}
    missing = api.post(TOKEN_URL, base, format="json")
    assert missing.status_code == 401
    assert missing.json() == {"code": "auth.totp_required", "message": "工作人员登录须填写动态验证码"}
    wrong = api.post(
        TOKEN_URL,
        {**base, "totp": "000000" if factories.totp_code(clerk) != "000000" else "111111"},
        format="json",
    )
    assert wrong.status_code == 401
    assert wrong.json() == {"code": "auth.totp_invalid", "message": "动态验证码错误或已过期"}
    # django-otp throttles a device for a few seconds after a wrong code.
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        ok = api.post(TOKEN_URL, {**base, "totp": factories.totp_code(clerk)}, format="json")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["user"]["kind"] == "staff"


def test_lockout_after_the_failure_limit_even_with_the_right_password(api, citizen):
    phone = citizen.user.reveal_phone()
    limit = settings.AXES_FAILURE_LIMIT
    codes = [
        api.post(TOKEN_URL, {"username": phone, "password": "Wrong-pass-99"}, format="json").json()["code"]
        for _ in range(limit)
    ]
    assert codes[:-1] == ["auth.invalid_credentials"] * (limit - 1)
    assert codes[-1] == "auth.locked"
    locked = api.post(TOKEN_URL, {"username": phone, "password": factories.PASSWORD}, format="json")
    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.locked"
    assert "锁定" in locked.json()["message"]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=settings.AXES_COOLOFF_TIME * 60 + 1)):
        after = api.post(TOKEN_URL, {"username": phone, "password": factories.PASSWORD}, format="json")
    assert after.status_code == 201


def test_wrong_totp_counts_towards_lockout(api, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api.post(
            TOKEN_URL, {"username": "clerk", "password": factories.PASSWORD, "totp": "12"}, format="json"
        )
    response = api.post(
        TOKEN_URL,
        {"username": "clerk", "password": factories.PASSWORD, "totp": factories.totp_code(clerk)},
        format="json",
    )
    assert response.status_code == 429
    assert response.json()["code"] == "auth.locked"


def test_expired_and_revoked_tokens_are_refused(api, citizen, as_user):
    client = as_user(citizen.user)
    assert client.get("/api/v1/me/").status_code == 200
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204
    revoked = client.get("/api/v1/me/")
    assert revoked.status_code == 401
    assert revoked.json()["code"] == "auth.failed"

    client = as_user(citizen.user)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=settings.API_TOKEN_HOURS, minutes=1)):
        expired = client.get("/api/v1/me/")
    assert expired.status_code == 401
    assert "令牌" in expired.json()["message"] or expired.json()["code"] == "auth.failed"


def test_a_token_follows_its_account_on_the_very_next_request(as_user, clerk, tree):
    """Nothing about a bearer token or its account is cached: a deactivated account, a revoked
    token and a changed role all show on the next request (docs/performance.md, "2026-12-06: me")."""
    from sifa.accounts.models import User
    from sifa.accounts.services.staff import grant_role, revoke_role

    client = as_user(clerk)
    assert [m["role"] for m in client.get("/api/v1/me/").json()["memberships"]] == [Role.WINDOW_CLERK]
    grant_role(clerk, tree.county, Role.REVIEWER)
    roles = [m["role"] for m in client.get("/api/v1/me/").json()["memberships"]]
    assert sorted(roles) == sorted([Role.WINDOW_CLERK, Role.REVIEWER])
    revoke_role(clerk, tree.county, Role.WINDOW_CLERK)
    assert [m["role"] for m in client.get("/api/v1/me/").json()["memberships"]] == [Role.REVIEWER]

    User.objects.filter(pk=clerk.pk).update(is_active=False)
    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused.json()["code"] == "auth.failed"
    User.objects.filter(pk=clerk.pk).update(is_active=True)
    assert client.get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(user=clerk).update(revoked=True)
    assert client.get("/api/v1/me/").status_code == 401


def test_revoke_without_a_bearer_token_is_explained(citizen, client):
    client.force_login(citizen.user)
    response = client.post("/api/v1/auth/token/revoke/")
    assert response.status_code in (400, 403)


# --- SMS codes -------------------------------------------------------------------------------------


def _sms_code(phone):
    return latest_local_message(phone).params["code"]


def test_citizen_logs_in_with_an_sms_code_once(api, citizen):
    phone = citizen.user.reveal_phone()
    sent = api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json")
    assert sent.status_code == 202
    code = _sms_code(phone)
    assert len(code) == 6 and code.isdigit()
    message = SmsMessage.objects.get()
    assert message.reveal_phone() == phone and phone not in message.body
    ok = api.post(TOKEN_URL, {"phone": phone, "sms_code": code}, format="json")
    assert ok.status_code == 201, ok.json()
    again = api.post(TOKEN_URL, {"phone": phone, "sms_code": code}, format="json")
    assert again.status_code == 401
    assert again.json()["code"] == "auth.sms_code_invalid"


def test_sms_code_is_rate_limited_per_phone(api, citizen):
    phone = citizen.user.reveal_phone()
    assert api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json").status_code == 202
    second = api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json")
    assert second.status_code == 429
    assert second.json() == {"code": "auth.sms_rate_limited", "message": "验证码发送过于频繁，请60秒后再试"}
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json").status_code == 202


def test_sms_code_expires_after_five_minutes(api, citizen):
    phone = citizen.user.reveal_phone()
    api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json")
    code = _sms_code(phone)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5, seconds=1)):
        response = api.post(TOKEN_URL, {"phone": phone, "sms_code": code}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.sms_code_invalid"


def test_sms_code_dies_after_five_wrong_attempts(api, citizen, settings):
    settings.AXES_FAILURE_LIMIT = 50  # isolate the per-code attempt limit from the lockout
    phone = citizen.user.reveal_phone()
    api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json")
    code = _sms_code(phone)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert api.post(TOKEN_URL, {"phone": phone, "sms_code": wrong}, format="json").status_code == 401
    response = api.post(TOKEN_URL, {"phone": phone, "sms_code": code}, format="json")
    assert response.status_code == 401
    assert response.json()["message"] == "短信验证码错误或已失效，请重新获取"


def test_unknown_phone_gets_the_same_answer_but_no_message(api, tree):
    response = api.post("/api/v1/auth/sms-code/", {"phone": "13912345678"}, format="json")
    assert response.status_code == 202
    assert not SmsMessage.objects.exists()


def test_bad_phone_for_sms_code(api, tree):
    response = api.post("/api/v1/auth/sms-code/", {"phone": "12345"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "phone.invalid"


def test_unregistered_sms_gateway_is_503_for_known_and_unknown_numbers_alike(api, citizen, settings):
    """Regression: a SIFA_SMS_BACKEND naming no registered gateway answered 500, and only for
    numbers with an account — which told a caller which numbers are registered."""
    settings.SMS_BACKEND = "carrier-x"
    for phone in (citizen.user.reveal_phone(), "13912345678"):
        response = api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json")
        assert response.status_code == 503
        assert response.json()["code"] == "auth.sms_unavailable"
    assert not SmsMessage.objects.exists()


# --- login page ------------------------------------------------------------------------------------


def test_login_page_is_chinese_and_has_no_inline_script_or_style(client, tree):
    response = client.get("/accounts/login/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "登录" in html and 'lang="zh-Hans"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert "<style" not in html and "style=" not in html
    assert 'for="id_username"' in html and 'for="id_password"' in html


def test_staff_page_login_needs_totp_and_marks_the_session_verified(client, clerk):
    refused = client.post(
        "/accounts/login/", {"username": "clerk", "password": factories.PASSWORD, "totp": ""}
    )
    assert refused.status_code == 400
    assert "工作人员登录须填写动态验证码" in refused.content.decode()
    response = client.post(
        "/accounts/login/",
        {"username": "clerk", "password": factories.PASSWORD, "totp": factories.totp_code(clerk)},
    )
    assert response.status_code == 302
    page = client.get("/accounts/me/")
    assert page.status_code == 200
    assert page.wsgi_request.user.is_verified()


def test_citizen_page_login_and_logout(client, citizen):
    phone = citizen.user.reveal_phone()
    response = client.post("/accounts/login/", {"username": phone, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert client.get("/accounts/me/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/me/").status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=citizen.user).exists()


def test_page_lockout_message(client, citizen):
    phone = citizen.user.reveal_phone()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": phone, "password": "Wrong-pass-99"})
    response = client.post("/accounts/login/", {"username": phone, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "锁定" in response.content.decode()


def test_idle_session_is_logged_out_but_activity_keeps_it(client, citizen):
    phone = citizen.user.reveal_phone()
    client.post("/accounts/login/", {"username": phone, "password": factories.PASSWORD})
    idle = settings.SESSION_COOKIE_AGE
    start = timezone.now()
    with time_machine.travel(start + dt.timedelta(seconds=idle - 60)):
        assert client.get("/accounts/me/").status_code == 200  # activity renews the session
    with time_machine.travel(start + dt.timedelta(seconds=2 * idle - 120)):
        assert client.get("/accounts/me/").status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=3 * idle)):
        response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)


def test_a_login_whose_audit_event_fails_records_no_login_time(api, citizen, monkeypatch):
    """Regression (issue 10): the login time and the login event were two transactions, so a
    failed event left an account that had logged in with no record of it."""
    record = audit_services.record

    def failing_login_event(action, **kwargs):
        if action == "auth.login" and kwargs.get("result") == AuditResult.SUCCESS:
            raise RuntimeError("the audit chain is unavailable")
        return record(action, **kwargs)

    monkeypatch.setattr(audit_services, "record", failing_login_event)
    with pytest.raises(RuntimeError):
        api.post(
            TOKEN_URL, {"username": citizen.user.username, "password": factories.PASSWORD}, format="json"
        )
    citizen.user.refresh_from_db()
    assert citizen.user.last_login is None


def test_the_cookies_a_login_sets_carry_the_secure_flag(client, citizen):
    """SIFA_DEBUG is off in the tests: session and CSRF cookies are Secure with no other setting."""
    assert client.get("/accounts/login/").cookies["csrftoken"]["secure"] is True
    phone = citizen.user.reveal_phone()
    response = client.post("/accounts/login/", {"username": phone, "password": factories.PASSWORD})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True and session["samesite"] == "Lax"
