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
