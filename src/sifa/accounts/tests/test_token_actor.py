"""The bearer token of a staff command reads the caller's scope in its own statement
(``ActorBearerTokenAuthentication``): the actor is exactly ``scope.actor_for``'s."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sifa.accounts.authentication import token_with_user
from sifa.accounts.services.auth import issue_api_token
from sifa.organisations.models import Membership, Role
from sifa.organisations.scope import actor_for
from sifa.testing import CitizenFactory, bearer_client, staff, tree

pytestmark = pytest.mark.django_db


def _both(user):
    key, _token = issue_api_token(user)
    with CaptureQueriesContext(connection) as queries:
        token = token_with_user(key, with_actor=True)
    assert len(queries.captured_queries) == 1
    assert token is not None and token.user.pk == user.pk
    return token.actor, actor_for(user)


def test_the_tokens_actor_is_actor_for_with_memberships_inactive_organisations_and_none():
    orgs = tree("ministry", "zj", "hz", "xh")
    person = staff("scope-reviewer", orgs["hz"], Role.REVIEWER, Role.WINDOW_CLERK)
    Membership.objects.create(user=person, organisation=orgs["xh"], role=Role.REVIEWER)
    Membership.objects.create(user=person, organisation=orgs["zj"], role=Role.DECISION_MAKER)
    mine, theirs = _both(person)
    assert mine == theirs and len(mine.memberships) == 4
    orgs["xh"].is_active = False
    orgs["xh"].save(update_fields=["is_active"])
    mine, theirs = _both(person)
    assert mine == theirs and len(mine.memberships) == 3
    citizen = CitizenFactory(username="scope-citizen")
    mine, theirs = _both(citizen)
    assert mine == theirs and mine.memberships == ()
    person.is_superuser = True
    person.save(update_fields=["is_superuser"])
    mine, theirs = _both(person)
    assert mine == theirs and mine.is_superuser


def test_a_command_builds_no_actor_of_its_own(monkeypatch):
    """The command endpoint takes the token's actor (``actor_for`` is not called for it)."""
    from sifa.workflow import api

    calls = []
    monkeypatch.setattr(api, "actor_for", lambda user: calls.append(user))
    orgs = tree("ministry", "zj", "hz")
    person = staff("scope-reviewer2", orgs["hz"], Role.REVIEWER)

    response = bearer_client(person).post("/api/v1/cases/NOPE/commands/suspend/", {}, format="json")
    assert response.status_code == 404, response.content
    assert calls == []


def test_a_commands_narrow_token_reads_the_accounts_columns_it_uses_and_equals_the_whole_read():
    """``ActorBearerTokenAuthentication`` reads the token and account narrow (``_ACTOR_USER_ROWS``):
    every column it reads is the whole read's, the rest deferred; the actor is the same."""
    from sifa.accounts.authentication import _ACTOR_USER_ROWS, ActorBearerTokenAuthentication

    assert ActorBearerTokenAuthentication.narrow and ActorBearerTokenAuthentication.with_actor
    orgs = tree("ministry", "zj", "hz")
    person = staff("narrow-reviewer", orgs["hz"], Role.REVIEWER)
    key, _token = issue_api_token(person)
    whole = token_with_user(key, with_actor=True)
    with CaptureQueriesContext(connection) as queries:
        narrow = token_with_user(key, with_actor=True, narrow=True)
        read = {name: getattr(narrow.user, name) for name in _ACTOR_USER_ROWS.attnames}
    assert len(queries.captured_queries) == 1  # nothing read is deferred
    assert read == {name: getattr(whole.user, name) for name in _ACTOR_USER_ROWS.attnames}
    assert "scope_path" in read and read["scope_path"] == person.scope_path
    deferred = narrow.user.get_deferred_fields()
    assert deferred == {f.attname for f in type(person)._meta.concrete_fields} - set(read)
    assert narrow.actor == whole.actor and narrow.pk == whole.pk
