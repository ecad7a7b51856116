"""Issue 14: guesses spread over many addresses are slowed down per account (a back-off, not a lock),
while the per account+address lockout stays; every lockout and wait is audited."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from sifa.accounts import services
from sifa.accounts.services import backoff
from sifa.accounts.sms import latest_local_message
from sifa.accounts.tests import factories
from sifa.audit.models import AuditEvent
from sifa.core.errors import Forbidden
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
AFTER = 4


@pytest.fixture(autouse=True)
def _small_threshold(settings):
    settings.ACCOUNT_BACKOFF_AFTER = AFTER
    settings.ACCOUNT_BACKOFF_MAX_SECONDS = 900


@pytest.fixture
def citizen(tree):
    return factories.person()


def _login(api, username, password, address, **extra):
    return api.post(
        TOKEN_URL, {"username": username, "password": password, **extra}, format="json", REMOTE_ADDR=address
    )


def _spread_failures(api, username, count, *, start=0):
    """``count`` wrong passwords, each from another address, a second apart (past each wait)."""
    answers = []
    for i in range(start, start + count):
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=2 ** min(i, 12)), tick=False):
            answers.append(_login(api, username, "Wrong-pass-99", f"198.51.100.{i + 1}"))
    return answers


def test_the_wait_doubles_from_the_threshold_and_is_capped(settings):
    assert [backoff.wait_seconds(n) for n in range(1, AFTER)] == [0] * (AFTER - 1)
    assert [backoff.wait_seconds(AFTER + k) for k in range(5)] == [1, 2, 4, 8, 16]
    assert backoff.wait_seconds(AFTER + 40) == 900


def test_guesses_from_many_addresses_are_slowed_down_with_a_clear_chinese_message(api, citizen):
    phone = citizen.user.reveal_phone()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for i in range(AFTER):
            answer = _login(api, phone, "Wrong-pass-99", f"198.51.100.{i + 1}")
            assert answer.json()["code"] == "auth.invalid_credentials"  # no address is locked yet
        # The wait after the 4th failure (1 s) holds for every address, even with the right password.
        refused = _login(api, phone, factories.PASSWORD, "203.0.113.9")
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "auth.backoff"
        assert (
            "请于" in body["message"] and "秒后）再试" in body["message"] and "短信验证码" in body["message"]
        )
        assert refused["Retry-After"] == "1" and body["retry_after"] == 1
        # A refused attempt during the wait checks no password and counts nothing.
        assert AuditEvent.objects.filter(action="auth.backoff").count() == 1
        traveller.shift(2)
        wrong = _login(api, phone, "Wrong-pass-99", "203.0.113.10")
        assert wrong.json()["code"] == "auth.invalid_credentials"
        second = _login(api, phone, factories.PASSWORD, "203.0.113.11")
        assert second.json()["code"] == "auth.backoff"
        assert second.json()["retry_after"] == 2  # the 5th failure: twice as long
        traveller.shift(3)
        # The owner gets in once the wait is over, and the count starts afresh.
        ok = _login(api, phone, factories.PASSWORD, "192.0.2.1")
        assert ok.status_code == 201, ok.json()
        assert backoff.current_wait(citizen.user.username) is None
        assert _login(api, phone, "Wrong-pass-99", "192.0.2.1").json()["code"] == "auth.invalid_credentials"
        assert _login(api, phone, factories.PASSWORD, "192.0.2.1").status_code == 201
    events = AuditEvent.objects.filter(action="auth.backoff").order_by("seq")
    assert [(e.detail["failures"], e.detail["wait_seconds"]) for e in events] == [(AFTER, 1), (AFTER + 1, 2)]
    assert {e.actor_id for e in events} == {citizen.user.pk}
    refusals = AuditEvent.objects.filter(action="auth.login", result="failed", detail__reason="auth.backoff")
    assert refusals.count() == 2


def test_the_per_address_lockout_stays_and_is_audited_once(api, citizen, settings):
    settings.ACCOUNT_BACKOFF_AFTER = 50
    phone = citizen.user.reveal_phone()
    codes = [_login(api, phone, "Wrong-pass-99", "198.51.100.7").json()["code"] for _ in range(5)]
    assert codes[-1] == "auth.locked"
    assert _login(api, phone, factories.PASSWORD, "198.51.100.7").json()["code"] == "auth.locked"
    # Another address is not locked by this pair's lockout.
    assert _login(api, phone, factories.PASSWORD, "198.51.100.8").status_code == 201
    lockouts = AuditEvent.objects.filter(action="auth.lockout")
    assert lockouts.count() == 1
    assert lockouts.get().detail["failures"] == settings.AXES_FAILURE_LIMIT


def test_unknown_accounts_are_slowed_down_alike(api, tree):
    answers = _spread_failures(api, "no-such-user", AFTER)
    assert [a.json()["code"] for a in answers] == ["auth.invalid_credentials"] * AFTER
    assert _login(api, "no-such-user", "x", "203.0.113.1").json()["code"] == "auth.backoff"


def test_staff_wrong_totp_codes_count_for_the_account_too(api, tree):
    clerk = factories.staff(tree.county, Role.WINDOW_CLERK, username="clerk")
    with time_machine.travel(timezone.now(), tick=False):
        for i in range(AFTER):
            _login(api, "clerk", factories.PASSWORD, f"198.51.100.{i + 1}", totp="12")
        answer = _login(api, "clerk", factories.PASSWORD, "203.0.113.1", totp=factories.totp_code(clerk))
    assert answer.json()["code"] == "auth.backoff"
    assert "短信验证码" not in answer.json()["message"]  # a login name, not a phone number


def test_password_guessing_does_not_hold_up_the_owners_sms_login(api, citizen):
    phone = citizen.user.reveal_phone()
    with time_machine.travel(timezone.now(), tick=False):
        for i in range(AFTER):
            _login(api, phone, "Wrong-pass-99", f"198.51.100.{i + 1}")
        assert _login(api, phone, factories.PASSWORD, "203.0.113.1").json()["code"] == "auth.backoff"
        assert api.post("/api/v1/auth/sms-code/", {"phone": phone}, format="json").status_code == 202
    code = latest_local_message(phone).params["code"]
    answer = api.post(TOKEN_URL, {"phone": phone, "sms_code": code}, format="json", REMOTE_ADDR="192.0.2.1")
    assert answer.status_code == 201, answer.json()


def test_the_page_login_shows_the_wait_too(client, citizen):
    phone = citizen.user.reveal_phone()
    with time_machine.travel(timezone.now(), tick=False):
        for i in range(AFTER):
            client.post(
                "/accounts/login/",
                {"username": phone, "password": "Wrong-pass-99"},
                REMOTE_ADDR=f"10.9.0.{i}",
            )
        page = client.post("/accounts/login/", {"username": phone, "password": factories.PASSWORD})
    assert page.status_code == 429
    assert "为保护账户安全，请于" in page.content.decode()


def test_the_security_administrator_lifts_the_limits(api, citizen, tree):
    phone = citizen.user.reveal_phone()
    with time_machine.travel(timezone.now(), tick=False):
        for i in range(AFTER + 3):  # waits of 1, 2, 4, 8 s
            _login(api, phone, "Wrong-pass-99", f"198.51.100.{i + 1}")
        for _ in range(5):
            _login(api, phone, "Wrong-pass-99", "192.0.2.1")
        assert backoff.current_wait(citizen.user.username) is not None
        clerk = factories.staff(tree.county, Role.WINDOW_CLERK, username="not-security")
        with pytest.raises(Forbidden):
            services.lift_login_limits(citizen.user, by=clerk)
        other_city = factories.staff(tree.other_county, Role.SECURITY_ADMIN, username="sec-elsewhere")
        with pytest.raises(Forbidden):
            services.lift_login_limits(citizen.user, by=other_city)
        security = factories.staff(tree.city, Role.SECURITY_ADMIN, username="sec-city")
        services.lift_login_limits(citizen.user, by=security)
        assert backoff.current_wait(citizen.user.username) is None
        assert _login(api, phone, factories.PASSWORD, "192.0.2.1").status_code == 201  # the pair too
    event = AuditEvent.objects.get(action="auth.limits_lifted")
    assert (event.actor_id, event.detail["by"]) == (security.pk, "security_admin")


def test_the_command_line_lifts_them_too(api, citizen):
    phone = citizen.user.reveal_phone()
    with time_machine.travel(timezone.now(), tick=False):
        for i in range(AFTER + 2):
            _login(api, phone, "Wrong-pass-99", f"198.51.100.{i + 1}")
        call_command("lift-login-limits", citizen.user.username)
        assert _login(api, phone, factories.PASSWORD, "192.0.2.1").status_code == 201
    assert AuditEvent.objects.get(action="auth.limits_lifted").detail["by"] == "command line"
