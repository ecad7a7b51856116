"""A command on a case answered without DRF (``api.case_command``) gives exactly what DRF's
``CaseCommand`` gives: the same status, bytes and headers, for answers and refusals alike, from the
same state at the same instant — and runs the command once."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from sifa.applications.models import Application
from sifa.organisations.models import Role
from sifa.testing import bearer_client
from sifa.workflow import api
from sifa.workflow.tests.conftest import entry_for, make_case, staff, travel

LAWYER = "律师执业许可（专职律师执业）"
ACCEPTED_ON = dt.date(2025, 9, 1)
LATER = dt.date(2025, 9, 3)
SUSPEND = {"kind": "expert_review", "reason": "组织专家评审"}


@pytest.fixture
def drf_runs(monkeypatch):
    """How many requests DRF's ``CaseCommand`` handled."""
    runs = []
    initialize = api.CaseCommand.initialize_request

    def counted(self, request, *args, **kwargs):
        runs.append(request.path)
        return initialize(self, request, *args, **kwargs)

    monkeypatch.setattr(api.CaseCommand, "initialize_request", counted)
    return runs


def _answer(client, number: str, command: str, body, **extra):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    extra.setdefault("content_type", "application/json")
    return client.post(f"/api/v1/cases/{number}/commands/{command}/", data, **extra)


def _comparable(content: bytes) -> bytes:
    # PostgreSQL's sequences do not roll back: a work item created again gets another id.
    if connection.vendor == "postgresql":
        return re.sub(rb'"id":\d+', b'"id":0', content)
    return content


def _headers(response) -> list[tuple[str, str]]:
    if connection.vendor == "postgresql":  # the length follows the ids' digits (see _comparable)
        return [(name, value) for name, value in response.items() if name != "Content-Length"]
    return list(response.items())


def _same_both_ways(monkeypatch, drf_runs, client, number: str, command: str, body, **extra):
    """The answer of the view as routed, then — from the same state, rolled back to — DRF's."""
    before = transaction.savepoint()
    fast = _answer(client, number, command, body, **extra)
    fast_runs = len(drf_runs)
    transaction.savepoint_rollback(before)
    with monkeypatch.context() as patched:
        patched.setattr(api, "_FAST_ACCEPT", frozenset())  # every request through DRF
        slow = _answer(client, number, command, body, **extra)
    transaction.savepoint_rollback(before)
    assert fast.status_code == slow.status_code, (command, fast.content, slow.content)
    assert _comparable(fast.content) == _comparable(slow.content), command
    assert _headers(fast) == _headers(slow), command
    drf_runs.clear()
    return fast, fast_runs


@pytest.fixture
def case_world(w, people):
    reviewer = staff("hz-reviewer-2", w["hz"], Role.REVIEWER)
    case = make_case(entry_for(LAWYER, w["hz"]), people["citizen"], received=ACCEPTED_ON)
    return case, people, reviewer


@pytest.mark.django_db
def test_the_answers_are_drf_s_byte_for_byte(case_world, monkeypatch, drf_runs):
    case, people, reviewer = case_world
    clerk = bearer_client(people["hz_clerk"])
    client = bearer_client(reviewer)
    with travel(ACCEPTED_ON):
        response, runs = _same_both_ways(monkeypatch, drf_runs, clerk, case.number, "accept", {})
        assert response.status_code == 200 and runs == 0
        clerk.post(f"/api/v1/cases/{case.number}/commands/accept/", {}, format="json")
    with travel(LATER):
        for command, body in (("suspend", SUSPEND), ("resume", {})):
            response, runs = _same_both_ways(monkeypatch, drf_runs, client, case.number, command, body)
            assert response.status_code == 200 and runs == 0, response.content
            client.post(f"/api/v1/cases/{case.number}/commands/{command}/", body, format="json")
        row_version = Application.objects.get(pk=case.pk).row_version
        response, runs = _same_both_ways(
            monkeypatch, drf_runs, client, case.number, "suspend", {**SUSPEND, "row_version": row_version}
        )
        assert response.status_code == 200 and runs == 0
        # Refusals: what the command raises, answered by DRF without running the command again.
        for command, body, status in (
            ("resume", {}, 409),  # not suspended
            ("extend", {"reason": "情况复杂", "approved_by": "局长"}, 409),  # not for this item
            ("suspend", {**SUSPEND, "row_version": row_version + 5}, 409),  # stale
            ("no-such-command", {}, 404),
            ("suspend", {"kind": "x" * 41}, 400),  # too long: DRF's validation
            ("suspend", {"unknown": 1}, 400),  # an unknown field
            ("suspend", [], 400),  # not an object
            ("suspend", b'{"reason": NaN}', 400),
            ("suspend", b'{"reason": ', 400),  # does not parse
            ("suspend", b"", 400),
        ):
            response, runs = _same_both_ways(monkeypatch, drf_runs, client, case.number, command, body)
            assert response.status_code == status, (command, body, response.content)
            assert runs == 1, (command, body)
        response, _ = _same_both_ways(monkeypatch, drf_runs, client, "NO-SUCH-CASE", "suspend", SUSPEND)
        assert response.status_code == 404
        # Outside the fast path's conditions: through DRF from the start, the same answers.
        other = bearer_client(people["nb_reviewer"])  # outside the case's scope
        response, _ = _same_both_ways(monkeypatch, drf_runs, other, case.number, "suspend", SUSPEND)
        assert response.status_code == 404
        for extra in (
            {"HTTP_ACCEPT": "application/json; indent=2"},
            {"HTTP_ACCEPT": "application/xml"},
            {"QUERY_STRING": "format=json"},
            {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
            {"HTTP_AUTHORIZATION": ""},
            {"content_type": "text/plain"},
        ):
            response, _ = _same_both_ways(
                monkeypatch, drf_runs, client, case.number, "suspend", SUSPEND, **extra
            )


@pytest.mark.django_db
def test_the_command_runs_once_and_the_token_is_read_once(case_world, monkeypatch):
    case, people, reviewer = case_world
    clerk = bearer_client(people["hz_clerk"])
    client = bearer_client(reviewer)
    with travel(ACCEPTED_ON):
        clerk.post(f"/api/v1/cases/{case.number}/commands/accept/", {}, format="json")
    ran = []
    run_command = api.run_command
    monkeypatch.setattr(api, "run_command", lambda *a, **k: ran.append(a) or run_command(*a, **k))
    with travel(LATER):
        client.post(f"/api/v1/cases/{case.number}/commands/resume/", {}, format="json")
        assert len(ran) == 1  # refused (not suspended), answered by DRF without a second run
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"/api/v1/cases/{case.number}/commands/suspend/", {"kind": ""}, format="json"
            )
        assert response.status_code == 400
        tokens = [
            q for q in queries.captured_queries if q["sql"].startswith("SELECT") and "apitoken" in q["sql"]
        ]
        assert len(tokens) == 1, tokens
