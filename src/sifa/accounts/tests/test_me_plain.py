"""``GET /api/v1/me/``'s plain view (``sifa.accounts.api.me``) answers what DRF's ``MeView`` answers:
the same status, bytes and headers, in the same order, through the whole middleware stack, for
every kind of caller (staff at each level, superusers, citizens, companies and their agents,
accounts with mandates), every kind of token that is not live (expired, revoked, unknown, the
account deactivated), malformed headers, sessions with and without the second factor, the
``Accept`` headers and requests it leaves to DRF, and errors raised on the way.

The reference answers come from a URL configuration where ``me/`` is ``MeView.as_view()`` (this
module's ``urlpatterns``), the rest of Sifa's routes unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import path
from django.utils import timezone
from tests import probe_world

from sifa.accounts import api
from sifa.accounts.models import ApiToken, User
from sifa.accounts.services.auth import issue_api_token
from sifa.accounts.tests import factories
from sifa.conf import urls as sifa_urls
from sifa.core import limits
from sifa.core.errors import ServiceError
from sifa.deadlines import db_calendar
from sifa.testing.login import verified_login

urlpatterns = [path("api/v1/me/", api.MeView.as_view(), name="me-drf"), *sifa_urls.urlpatterns]
"""Sifa's routes with DRF's ``MeView`` for ``me/`` (Django tries this pattern first)."""
handler400, handler403 = sifa_urls.handler400, sifa_urls.handler403
handler404, handler500 = sifa_urls.handler404, sifa_urls.handler500

ACCEPTS = [None, "*/*", "application/json"]
"""``Accept`` headers the plain view answers itself (``None``: no header)."""
OTHER_ACCEPTS = ["text/html,application/xhtml+xml,*/*;q=0.8", "application/json; indent=2", "text/plain"]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[probe_world.World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield probe_world.build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            db_calendar.forget()
            limits.clear()


def _get(client: Client, reference: bool, url: str = "/api/v1/me/", **headers):
    if reference:
        with override_settings(ROOT_URLCONF=__name__):
            return client.get(url, **headers)
    return client.get(url, **headers)


def _answer(response) -> tuple:
    return response.status_code, response.content, list(response.items())


def _both(client: Client, url: str = "/api/v1/me/", **headers) -> tuple[tuple, tuple]:
    """The plain view's answer and DRF's, twice each in turns (the token stamped by the first)."""
    first = _answer(_get(client, False, url, **headers))
    reference = _answer(_get(client, True, url, **headers))
    again = _answer(_get(client, False, url, **headers))
    assert again == first
    return first, reference


def _bearer(key: str, accept: str | None = None) -> dict:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept
    return headers


@pytest.mark.django_db
def test_every_account_gets_drfs_answer_byte_for_byte(world):
    users = list(User.objects.filter(is_active=True).order_by("pk"))
    kinds = {(user.kind, user.is_superuser) for user in users}
    assert {("staff", False), ("staff", True), ("person", False), ("company", False)} <= kinds
    for user in users:
        key, _token = issue_api_token(user)
        for accept in ACCEPTS:
            plain, reference = _both(Client(), **_bearer(key, accept))
            assert plain == reference, (user.username, accept)
            assert plain[0] == 200, (user.username, plain[1][:200])


@pytest.mark.django_db
def test_callers_with_mandates_and_memberships_of_every_level(world):
    """The answers that differ most: mandates given and received, memberships at every level."""
    from sifa.accounts.models import Mandate
    from sifa.organisations.models import Membership

    parties = {m.principal_id for m in Mandate.objects.all()} | {m.agent_id for m in Mandate.objects.all()}
    members = set(Membership.objects.values_list("user_id", flat=True))
    assert parties and members
    for user in User.objects.filter(pk__in=parties | members):
        key, _token = issue_api_token(user)
        plain, reference = _both(Client(), **_bearer(key))
        assert plain == reference, user.username
        body = plain[1].decode()
        assert ('"mandates"' in body) == (user.kind != "staff")


@pytest.mark.django_db
def test_tokens_that_are_not_live_get_drfs_401_with_one_read(tree, django_assert_num_queries):
    user = factories.staff(tree.city, "reviewer")
    expired_key, expired = issue_api_token(user)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked_key, revoked = issue_api_token(user)
    ApiToken.objects.filter(pk=revoked.pk).update(revoked=True)
    citizen = factories.person().user
    inactive_key, _ = issue_api_token(citizen)
    for key in (expired_key, revoked_key, "no-such-token"):
        plain, reference = _both(Client(), **_bearer(key))
        assert plain == reference and plain[0] == 401, key
        with django_assert_num_queries(1):  # the token's statement, read once
            assert Client().get("/api/v1/me/", **_bearer(key)).status_code == 401
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    try:
        plain, reference = _both(Client(), **_bearer(inactive_key))
        assert plain == reference and plain[0] == 401
    finally:
        User.objects.filter(pk=citizen.pk).update(is_active=True)


@pytest.mark.django_db
def test_revocation_shows_on_the_next_request(tree):
    key, token = issue_api_token(factories.staff(tree.county, "reviewer"))
    client = Client()
    assert client.get("/api/v1/me/", **_bearer(key)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(revoked=True)
    assert client.get("/api/v1/me/", **_bearer(key)).status_code == 401


@pytest.mark.django_db
def test_the_token_is_stamped_as_drf_stamps_it(tree):
    key, token = issue_api_token(factories.staff(tree.province, "reviewer"))
    assert token.last_used_at is None
    response = Client().get("/api/v1/me/", **_bearer(key))
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Token abc", "bearer {key}", "BEARER {key}", "Bearer  {key} ", "Bearer é"],
)
def test_other_and_malformed_authorization_headers(tree, header):
    key, _ = issue_api_token(factories.staff(tree.township, "reviewer"))
    plain, reference = _both(Client(), HTTP_AUTHORIZATION=header.format(key=key))
    assert plain == reference


@pytest.mark.django_db
def test_sessions_with_and_without_the_second_factor(world):
    staff = world.users["admin"]  # has a TOTP device
    unverified = Client()
    unverified.force_login(staff)
    verified = Client()
    verified_login(verified, staff)
    citizen = Client()
    citizen.force_login(world.users["citizen"])
    for client in (Client(), unverified, verified, citizen):
        plain, reference = _both(client)
        assert plain == reference
    assert _answer(_get(unverified, False))[0] in (401, 403)
    assert _answer(_get(verified, False))[0] == 200
    other = world.users["staff-city"]
    key, _ = issue_api_token(other)  # a token beside a session: the token's account answers
    plain, reference = _both(unverified, **_bearer(key))
    assert plain == reference and f'"username":"{other.username}"'.encode() in plain[1]


@pytest.mark.django_db
def test_requests_left_to_drf(tree):
    key, _ = issue_api_token(factories.person().user)
    for accept in OTHER_ACCEPTS[1:]:
        plain, reference = _both(Client(), **_bearer(key, accept))
        assert plain == reference, accept
    for reference in (False, True):  # DRF's browsable page (its CSRF token differs on each answer)
        response = _get(Client(), reference, **_bearer(key, OTHER_ACCEPTS[0]))
        assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    for url in ("/api/v1/me/?format=json", "/api/v1/me/?x=1"):
        plain, reference = _both(Client(), url, **_bearer(key))
        assert plain == reference, url
    client = Client()
    for method in ("head", "options", "post", "delete"):
        answers = []
        for reference in (False, True):
            with override_settings(ROOT_URLCONF=__name__ if reference else "sifa.conf.urls"):
                answers.append(_answer(getattr(client, method)("/api/v1/me/", **_bearer(key))))
        assert answers[0] == answers[1], method


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error", [ServiceError("account.test", "测试错误"), DatabaseError("lost"), RuntimeError("bug")]
)
def test_an_error_on_the_way_is_answered_as_drf_answers_it(tree, monkeypatch, error):
    def fails(user, account):
        raise error

    monkeypatch.setattr(api, "me_body", fails)  # DRF's view
    monkeypatch.setattr(api, "me_json", fails)  # the plain view's (a staff account's answer)
    key, _ = issue_api_token(factories.staff(tree.city, "reviewer"))
    answers = []
    for reference in (False, True):
        client = Client(raise_request_exception=False)
        answers.append(_answer(_get(client, reference, **_bearer(key))))
    assert answers[0] == answers[1]
    assert answers[0][0] == (400 if isinstance(error, ServiceError) else 500)


@pytest.mark.django_db
def test_a_staff_answer_written_into_templates_is_drfs_for_any_text(tree, django_assert_num_queries):
    """``me_json`` writes a staff account's answer into templates: the same bytes as DRF's renderer
    for text no probe account holds (quotes, ``%``, backslashes, U+2028/U+2029, Chinese, control
    characters), several memberships, an empty region code, and a staff account with a person."""
    from rest_framework.renderers import JSONRenderer

    from sifa.organisations.models import Membership

    user = factories.staff(tree.city, "reviewer")
    Membership.objects.create(user=user, organisation=tree.county, role="decision_maker")
    odd = 'a"b\\c%s%%\u2028\u2029\x01张三\ud7ff'
    User.objects.filter(pk=user.pk).update(display_name=odd, phone_masked="138****%d")
    key, _ = issue_api_token(user)
    with django_assert_num_queries(1):
        token = api.token_with_user(key, with_account=True, narrow=True)
    memberships, _person, _region, mine = token.account
    assert mine is None  # staff: no mandates read
    assert len(memberships) == 2
    renders = JSONRenderer().render
    assert api.me_json(token.user, token.account) == renders(api.me_body(token.user, token.account))
    memberships[0]["organisation"]["region_code"] = None
    memberships[1]["organisation"]["name"] = odd
    with_person = (
        memberships,
        {"id": "x", "name": odd, "id_number_masked": "1***"},
        {"code": "1", "name": odd},
        None,
    )
    without_person = (memberships, None, {"code": "1", "name": odd}, None)  # me_body: no region then
    for account in (without_person, with_person, ([], None, None, None)):
        assert api.me_json(token.user, account) == renders(api.me_body(token.user, account))
    plain, reference = _both(Client(), **_bearer(key))
    assert plain == reference and plain[0] == 200


@pytest.mark.django_db
def test_the_plain_views_token_and_account_read_only_what_it_needs(tree, django_assert_num_queries):
    """``narrow``: the token and account as ``.only()`` gives them (the rest deferred, read when
    asked for), the same values as the full read; the whole request one statement."""
    user = factories.staff(tree.city, "reviewer")
    key, _ = issue_api_token(user)
    full = api.token_with_user(key, with_account=True)
    with django_assert_num_queries(1):
        narrow = api.token_with_user(key, with_account=True, narrow=True)
    assert narrow.account == full.account and narrow.user is narrow._state.fields_cache["user"]
    assert narrow.get_deferred_fields() == {"key_digest", "prefix", "created_at"}
    assert narrow.user.get_deferred_fields() == {
        "password", "last_login", "phone_enc", "phone_index", "email", "scope_path", "is_staff", "is_demo",
        "date_joined",
    }  # fmt: skip
    only_token = ApiToken.objects.only("id", "user", "expires_at", "last_used_at", "revoked").get(pk=full.pk)
    assert vars(narrow).keys() - {"account"} == vars(only_token).keys()
    for name in ("id", "user_id", "expires_at", "last_used_at", "revoked"):
        assert getattr(narrow, name) == getattr(full, name), name
    for field in User._meta.concrete_fields:
        with django_assert_num_queries(0 if field.attname in vars(narrow.user) else 1):
            assert getattr(narrow.user, field.attname) == getattr(full.user, field.attname), field.name
    assert Client().get("/api/v1/me/", **_bearer(key)).status_code == 200  # the token stamped
    with django_assert_num_queries(1):
        assert Client().get("/api/v1/me/", **_bearer(key)).status_code == 200
