"""Who gets into the workbench: staff with a TOTP-verified session only; citizens see nothing."""

from __future__ import annotations

import re

from sifa.workbench.tests import world as W


def test_anonymous_visitor_is_sent_to_the_login_page(client, w):
    response = client.get("/workbench/cases/X1/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/workbench/cases/X1/"


def test_staff_with_a_password_only_session_must_log_in_again_with_totp(client, people):
    client.force_login(people["hz_clerk"])  # logged in, but no verified OTP device in the session
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_citizen_gets_not_found_everywhere(client, people, case):
    client.force_login(people["citizen"])
    for url in (
        "/workbench/",
        f"/workbench/cases/{case.number}/",
        "/workbench/overdue/",
        "/workbench/catalogue/",
    ):
        assert client.get(url).status_code == 404, url


def test_password_and_totp_login_opens_the_worklist(client, people, case):
    clerk = people["hz_clerk"]
    response = client.post(
        "/accounts/login/",
        {
            "username": clerk.username,
            "password": W.PASSWORD,
            "totp": W.totp_code(clerk),
            "next": "/workbench/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/workbench/"
    page = client.get("/workbench/")
    assert page.status_code == 200
    html = page.content.decode()
    assert case.number in html and "待办工作" in html


def test_menu_shows_only_what_the_role_may_open(login, people):
    reviewer_html = login(people["hz_reviewer"]).get("/workbench/").content.decode()
    assert "发送失败的消息" not in reviewer_html and "事项管理" not in reviewer_html
    assert login(people["hz_reviewer"]).get("/workbench/deliveries/failed/").status_code == 404
    assert login(people["hz_reviewer"]).get("/workbench/catalogue/").status_code == 404
    supervisor_html = login(people["zj_supervisor"]).get("/workbench/").content.decode()
    assert "发送失败的消息" in supervisor_html and "事项管理" not in supervisor_html
    catalogue_html = login(people["zj_catalogue"]).get("/workbench/").content.decode()
    assert "事项管理" in catalogue_html and "发送失败的消息" not in catalogue_html


def test_pages_carry_no_inline_script_or_style(login, people, case):
    client = login(people["hz_clerk"])
    for url in ("/workbench/", f"/workbench/cases/{case.number}/", "/workbench/overdue/"):
        html = client.get(url).content.decode()
        # Scripts only from files (the idle warning's session.js), never inline.
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert "<style" not in html and " style=" not in html, url
        assert 'lang="zh-Hans"' in html
