"""Without JavaScript, a session that ended for idleness leads to a sign-in page that says why, and
back to where the person was (``sifa.accounts.middleware``); signing out oneself says nothing of
idleness, and nothing in the notice can send anyone elsewhere."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from sifa.accounts.middleware import MARKER
from sifa.accounts.tests import factories
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db

NOTICE = "由于长时间没有操作"


@pytest.fixture
def citizen(tree):
    return factories.person()


def _sign_in(client, person) -> None:
    response = client.post(
        "/accounts/login/", {"username": person.user.reveal_phone(), "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.cookies[MARKER].value == "1"
    assert client.cookies[MARKER]["httponly"] is True


def _after_idle(client, path: str):
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60)):
        return client.get(path)


def test_an_idle_expiry_is_told_on_the_sign_in_page_and_leads_back(client, citizen):
    _sign_in(client, citizen)
    response = _after_idle(client, "/me/messages/?page=2")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?timeout=1&next=%2Fme%2Fmessages%2F%3Fpage%3D2"
    page = client.get(response["Location"])
    assert NOTICE in page.content.decode()
    assert page.context["next"] == "/me/messages/?page=2"
    signed_in = client.post(
        response["Location"],
        {
            "username": citizen.user.reveal_phone(),
            "password": factories.PASSWORD,
            "next": "/me/messages/?page=2",
        },
    )
    assert signed_in["Location"] == "/me/messages/?page=2"  # back where the person was
    # Told once: the next sign-in page (after signing out oneself) says nothing of idleness.
    client.post("/accounts/logout/")
    assert MARKER not in client.cookies or client.cookies[MARKER].value == ""
    assert NOTICE not in client.get("/accounts/login/").content.decode()


def test_public_pages_on_the_way_keep_the_notice_for_the_sign_in_page(client, citizen):
    _sign_in(client, citizen)
    home = _after_idle(client, "/")
    assert home.status_code == 200 and NOTICE not in home.content.decode()
    page = client.get("/accounts/login/")  # the header's 登录 link
    assert NOTICE in page.content.decode()
    assert client.cookies[MARKER].value == ""  # told: the marker is gone
    assert NOTICE not in client.get("/accounts/login/").content.decode()


def test_signing_out_oneself_says_nothing_of_idleness(client, citizen):
    _sign_in(client, citizen)
    assert client.post("/accounts/logout/").status_code == 302
    response = client.get("/me/")
    assert response["Location"] == "/accounts/login/?next=/me/"
    assert NOTICE not in client.get(response["Location"]).content.decode()


def test_a_visitor_never_signed_in_is_told_nothing(client, tree):
    response = client.get("/me/")
    assert response["Location"] == "/accounts/login/?next=/me/"
    assert MARKER not in response.cookies
    assert NOTICE not in client.get("/accounts/login/").content.decode()


def test_the_notice_sends_nowhere_else(client, citizen):
    """The flag only adds a notice: a foreign ``next`` is still refused by the sign-in page."""
    _sign_in(client, citizen)
    _after_idle(client, "/")
    page = client.get("/accounts/login/?timeout=1&next=https://evil.example/")
    assert NOTICE in page.content.decode() and page.context["next"] == ""
    signed_in = client.post(
        "/accounts/login/",
        {
            "username": citizen.user.reveal_phone(),
            "password": factories.PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert signed_in["Location"] == "/me/"


def test_staff_are_told_on_their_sign_in_page(client, tree):
    clerk = factories.staff(tree.county, Role.WINDOW_CLERK, username="idle-clerk")
    client.force_login(clerk)
    assert client.get("/accounts/me/").status_code == 200  # the marker is set on a signed-in answer
    assert client.cookies[MARKER].value == "1"
    response = _after_idle(client, "/workbench/")
    assert response["Location"].startswith("/accounts/login/?timeout=1&next=")
    staff = client.get(response["Location"])
    assert staff.status_code == 302 and staff["Location"].startswith("/accounts/login/staff/?timeout=1&next=")
    assert NOTICE in client.get(staff["Location"]).content.decode()
