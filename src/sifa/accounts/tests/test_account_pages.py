"""The account pages people manage their account with (issue 15 point 1): sign in by password, SMS
code or (staff) password + TOTP, 登录 / 退出 in the header, 忘记密码 by SMS code (limited, the same
answer for unknown numbers), 修改密码, 更换手机号码 (confirmed on the new number), the keep-alive."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from sifa.accounts.models import SmsMessage
from sifa.accounts.sms import latest_local_message
from sifa.accounts.tests import factories
from sifa.audit.models import AuditEvent
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Hall-computer-2026"


@pytest.fixture
def citizen(tree):
    return factories.person()


def _code(phone: str) -> str:
    return latest_local_message(phone).params["code"]


def _sign_in(client: Client, phone: str, password: str = factories.PASSWORD):
    return client.post("/accounts/login/", {"username": phone, "password": password})


def test_empty_sign_in_lists_chinese_errors_linked_to_the_fields(client, tree):
    response = client.post("/accounts/login/", {"username": "", "password": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>错误：登录" in html
    assert 'href="#id_username">请填写手机号码</a>' in html
    assert 'href="#id_password">请填写密码</a>' in html
    assert 'aria-describedby="id_username-hint id_username-error"' in html
    wrong = _sign_in(client, "13900000000", "Wrong-pass-99")
    assert wrong.status_code == 400 and "用户名或密码错误" in wrong.content.decode()


def test_citizen_signs_in_to_my_space_and_the_header_signs_out(client, citizen):
    home = client.get("/").content.decode()
    assert 'href="/accounts/login/"' in home and ">登录</a>" in home
    response = _sign_in(client, citizen.user.reveal_phone())
    assert response.status_code == 302 and response["Location"] == "/me/"
    page = client.get("/me/").content.decode()
    form = re.search(
        r'<form class="sifa-nav__form" method="post" action="/accounts/logout/">(.*?)</form>', page, re.S
    )
    assert form and "csrfmiddlewaretoken" in form.group(1) and ">退出</button>" in form.group(1)
    assert 'id="sifa-idle"' in page and "accounts/session.js" in page
    assert client.get("/accounts/logout/").status_code == 405
    out = client.post("/accounts/logout/")
    assert out.status_code == 302 and out["Location"] == "/accounts/login/"
    assert "您已安全退出" in client.get("/accounts/login/").content.decode()
    me = client.get("/me/")
    assert me.status_code == 302 and me["Location"].startswith("/accounts/login/?next=/me/")
    assert AuditEvent.objects.filter(action="auth.logout", actor=citizen.user).exists()


def test_sign_out_needs_the_csrf_token(citizen):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(citizen.user)
    assert browser.post("/accounts/logout/").status_code == 403
    assert browser.get("/accounts/session/").status_code == 204  # still signed in


def test_keep_alive_answers_204_while_signed_in_and_401_after(client, citizen):
    assert client.get("/accounts/session/").status_code == 401
    _sign_in(client, citizen.user.reveal_phone())
    assert client.get("/accounts/session/").status_code == 204


def test_staff_page_wires_the_totp_hint_and_the_workbench_sends_staff_there(client, tree):
    clerk = factories.staff(tree.county, Role.WINDOW_CLERK, username="clerk")
    html = client.get("/accounts/login/staff/").content.decode()
    assert 'aria-describedby="id_totp-hint"' in html and 'id="id_totp-hint"' in html
    assert "打开身份验证器应用" in html
    moved = client.get("/accounts/login/?next=/workbench/")
    assert moved.status_code == 302 and moved["Location"] == "/accounts/login/staff/?next=%2Fworkbench%2F"
    missing = client.post("/accounts/login/staff/", {"username": "clerk", "password": factories.PASSWORD})
    assert missing.status_code == 400 and "请填写动态验证码" in missing.content.decode()
    on_citizen_page = _sign_in(client, "clerk")
    assert "这是工作人员账户" in on_citizen_page.content.decode()
    ok = client.post(
        "/accounts/login/staff/",
        {"username": "clerk", "password": factories.PASSWORD, "totp": factories.totp_code(clerk)},
    )
    assert ok.status_code == 302 and ok["Location"] == "/workbench/"


def test_citizen_signs_in_with_an_sms_code(client, citizen):
    phone = citizen.user.reveal_phone()
    bad = client.post("/accounts/login/sms/", {"action": "send", "phone": "12345"})
    assert bad.status_code == 400 and "手机号码应为11位中国大陆手机号" in bad.content.decode()
    sent = client.post("/accounts/login/sms/", {"action": "send", "phone": phone})
    assert sent.status_code == 302
    step = client.get(sent["Location"]).content.decode()
    assert "输入短信验证码" in step and phone not in step
    wrong = client.post("/accounts/login/sms/", {"code": "000000" if _code(phone) != "000000" else "111111"})
    assert wrong.status_code in (400, 401) and "短信验证码错误或已失效" in wrong.content.decode()
    ok = client.post("/accounts/login/sms/", {"code": _code(phone)})
    assert ok.status_code == 302 and ok["Location"] == "/me/"


def test_forgot_password_answers_alike_for_unknown_numbers_and_is_limited(client, citizen):
    phone = citizen.user.reveal_phone()
    unknown = factories.phone()
    known = client.post("/accounts/password/forgot/", {"phone": phone})
    stranger = Client().post("/accounts/password/forgot/", {"phone": unknown})
    assert known.status_code == stranger.status_code == 302
    assert known["Location"] == stranger["Location"] == "/accounts/password/reset/"
    assert latest_local_message(phone).template == "reset_code"
    assert latest_local_message(unknown) is None  # nobody to send it to, and nothing said about it
    again = client.post("/accounts/password/forgot/", {"phone": phone})
    again_stranger = Client().post("/accounts/password/forgot/", {"phone": unknown})
    assert again.status_code == again_stranger.status_code == 429
    assert "获取验证码过于频繁" in again.content.decode()
    assert "获取验证码过于频繁" in again_stranger.content.decode()
    assert SmsMessage.objects.count() == 1
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=130)):
        assert client.post("/accounts/password/forgot/", {"phone": phone}).status_code == 302
    empty = client.post("/accounts/password/forgot/", {"phone": ""})
    assert empty.status_code == 400 and "请填写手机号码" in empty.content.decode()


def test_reset_password_by_sms_code_then_sign_in_with_the_new_one(client, citizen):
    phone = citizen.user.reveal_phone()
    assert client.get("/accounts/password/reset/")["Location"] == "/accounts/password/forgot/"
    client.post("/accounts/password/forgot/", {"phone": phone})
    code = _code(phone)
    page = client.get("/accounts/password/reset/").content.decode()
    assert citizen.user.phone_masked in page and phone not in page
    mismatch = client.post(
        "/accounts/password/reset/", {"code": code, "password": NEW_PASSWORD, "password_confirm": "other"}
    )
    assert mismatch.status_code == 400 and "两次输入的新密码不一致" in mismatch.content.decode()
    weak = client.post(
        "/accounts/password/reset/", {"code": code, "password": "12345678", "password_confirm": "12345678"}
    )
    assert "密码不能全部是数字" in weak.content.decode()
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = client.post(
        "/accounts/password/reset/",
        {"code": wrong_code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and 'href="#id_code">短信验证码错误或已失效' in wrong.content.decode()
    done = client.post(
        "/accounts/password/reset/",
        {"code": code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert AuditEvent.objects.filter(action="account.password_reset", actor=citizen.user).exists()
    assert _sign_in(Client(), phone).status_code == 400  # the old password no longer works
    assert _sign_in(Client(), phone, NEW_PASSWORD).status_code == 302


def test_a_login_code_does_not_reset_a_password(client, citizen):
    phone = citizen.user.reveal_phone()
    client.post("/accounts/login/sms/", {"action": "send", "phone": phone})
    login_code = _code(phone)
    session = client.session
    session["sifa_reset_phone"] = phone
    session.save()
    refused = client.post(
        "/accounts/password/reset/",
        {"code": login_code, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert refused.status_code == 400 and "短信验证码错误或已失效" in refused.content.decode()


def test_change_password_keeps_this_session_and_ends_the_others(client, citizen):
    phone = citizen.user.reveal_phone()
    _sign_in(client, phone)
    other = Client()
    _sign_in(other, phone)
    wrong = client.post(
        "/accounts/password/change/",
        {"current_password": "Wrong-pass-99", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and 'href="#id_current_password">当前密码不正确' in wrong.content.decode()
    empty = client.post("/accounts/password/change/", {})
    assert "请填写当前密码" in empty.content.decode() and "请设置新密码" in empty.content.decode()
    ok = client.post(
        "/accounts/password/change/",
        {"current_password": factories.PASSWORD, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert ok.status_code == 302 and ok["Location"] == "/accounts/me/"
    assert client.get("/me/").status_code == 200
    assert other.get("/me/").status_code == 302
    assert AuditEvent.objects.filter(action="account.password_changed", actor=citizen.user).exists()


def test_change_phone_is_confirmed_by_a_code_sent_to_the_new_number(
    client, citizen, django_capture_on_commit_callbacks
):
    old = citizen.user.reveal_phone()
    new = factories.phone()
    _sign_in(client, old)
    same = client.post("/accounts/phone/change/", {"new_phone": old, "current_password": factories.PASSWORD})
    assert same.status_code == 400 and "新手机号码与当前号码相同" in same.content.decode()
    sent = client.post("/accounts/phone/change/", {"new_phone": new, "current_password": factories.PASSWORD})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/phone/confirm/"
    assert latest_local_message(new).template == "phone_change_code"
    code = _code(new)
    wrong = client.post("/accounts/phone/confirm/", {"code": "abc"})
    assert wrong.status_code == 400 and "短信验证码是6位数字" in wrong.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post("/accounts/phone/confirm/", {"code": code})
    assert ok.status_code == 302
    citizen.user.refresh_from_db()
    assert citizen.user.reveal_phone() == new
    told = latest_local_message(old)  # the old number learns of the change, with the new one masked
    assert told.template == "phone_changed_notice" and told.params["masked"] == citizen.user.phone_masked
    assert new not in told.body
    event = AuditEvent.objects.get(action="account.phone_changed", actor=citizen.user)
    assert new not in str(event.detail) and old not in str(event.detail)
    assert _sign_in(Client(), new).status_code == 302
    assert _sign_in(Client(), old).status_code == 400
