"""W4's transition (docs/performance.md, "W4 profile"): a suspend or resume by the city reviewer
through the API runs a fixed number of queries, and a case with a long history costs exactly what
a fresh case costs — the same queries, the same rows written, no history rewritten per command
(scale.md §7.4: a transition's cost is independent of the case's history, the SpiffWorkflow
lesson)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sifa.applications.models import TimelineEntry
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.organisations.models import Role
from sifa.testing import (
    CitizenFactory,
    bearer_client,
    catalogue_tree,
    rolled_back,
    staff,
)
from sifa.testing.cases import entry_for, make_case
from sifa.testing.clock import travel
from sifa.workflow.services import run_command

LAWYER = "律师执业许可（专职律师执业）"
ACCEPTED_ON = dt.date(2025, 9, 1)
SUSPENDED_ON = dt.date(2025, 9, 3)
SUSPEND = {"kind": "expert_review", "reason": "组织专家评审"}
MAX_QUERIES = {"suspend": 17, "resume": 16}
"""The most queries one API request may run (authentication with the caller's scope, lock, clocks,
status and timeline, audit chain, work items and the case returned): 17 / 16 on SQLite, 16 / 15 on
PostgreSQL (:data:`MAX_QUERIES_POSTGRESQL`) in the W4 profile of docs/performance.md ("2026-12-07
(session 10): W4 on PostgreSQL": the audit chain's lock and head in one statement, 17 / 16 there
before; "2026-12-06 (session 4): W4": the answer's clocks are the ones the command locked, 18 / 17
before; "2026-12-06 (session 3): W4": the scope read by the token's statement, 19 / 18 before;
"2026-12-06 (session 2): W4, the case's update and its timeline entry in one statement": 20 / 19 on
PostgreSQL before; "2026-12-06: W4 write path": the case's clocks in one statement; "2026-12-06: W4
answer": its mediation read with its work items; from 23 / 22 after "2026-12-06: W4 case commands",
from 33 / 32 and 35 / 34; 55 / 52 and 59 / 56 before the first W4 profile)."""
MAX_QUERIES_POSTGRESQL = {"suspend": 16, "resume": 15}
"""PostgreSQL: one statement more than SQLite for the case's update and its timeline entry (one
statement there, a data-modifying ``WITH``), none for the audit chain's lock (taken with its head by
``sifa_audit_chain_head()``, SQLite's ``BEGIN IMMEDIATE`` holds it)."""
HISTORY_PAIRS = 100
"""Suspend/resume pairs run before measuring: 200 timeline entries and 200 clock events."""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        orgs = catalogue_tree("ministry", "zj", "hz", "xh")
        seed_calendar(2025, 2026)
        db_calendar.forget()
        people = {
            "clerk": staff("perf-clerk", orgs["hz"], Role.WINDOW_CLERK),
            "reviewer": staff("perf-reviewer", orgs["hz"], Role.REVIEWER),
            "citizen": CitizenFactory(username="perf-citizen"),
        }
        yield orgs, people
    db_calendar.forget()


def _accepted(orgs, people):
    case = make_case(entry_for(LAWYER, orgs["hz"]), people["citizen"], received=ACCEPTED_ON)
    with travel(ACCEPTED_ON):
        run_command(people["clerk"], case.number, "accept", {})
    return case


def _shape(sql: str) -> str:
    """The kind and table of a statement, e.g. ``INSERT audit_auditevent``."""
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else ''}"


def _measure(client, number: str, command: str, body: dict) -> tuple[list[str], int]:
    """(the statements' kinds and tables, in order; the bytes of every write statement)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/api/v1/cases/{number}/commands/{command}/", body, format="json")
    assert response.status_code == 200, response.json()
    sqls = [q["sql"] for q in captured.captured_queries]
    written = sum(len(s) for s in sqls if s.split(None, 1)[0].upper() in {"INSERT", "UPDATE"})
    return [_shape(s) for s in sqls], written


@pytest.mark.django_db
def test_one_transition_runs_a_bounded_number_of_queries(world, django_assert_max_num_queries):
    orgs, people = world
    case = _accepted(orgs, people)
    client = bearer_client(people["reviewer"])
    limits = MAX_QUERIES_POSTGRESQL if connection.vendor == "postgresql" else MAX_QUERIES
    with travel(SUSPENDED_ON):
        client.get("/api/v1/me/")  # the token's first use records when it was last used
        with django_assert_max_num_queries(limits["suspend"]):
            response = client.post(f"/api/v1/cases/{case.number}/commands/suspend/", SUSPEND, format="json")
        assert response.status_code == 200, response.json()
        with django_assert_max_num_queries(limits["resume"]):
            response = client.post(f"/api/v1/cases/{case.number}/commands/resume/", {}, format="json")
        assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_a_transition_costs_the_same_on_a_long_history_as_on_a_fresh_case(world):
    orgs, people = world
    fresh, long = _accepted(orgs, people), _accepted(orgs, people)
    with travel(SUSPENDED_ON):
        for _ in range(HISTORY_PAIRS):
            run_command(people["reviewer"], long.number, "suspend", dict(SUSPEND))
            run_command(people["reviewer"], long.number, "resume", {})
    assert TimelineEntry.objects.filter(application=long).count() >= 2 * HISTORY_PAIRS
    client = bearer_client(people["reviewer"])
    with travel(SUSPENDED_ON):
        client.get("/api/v1/me/")  # the token's first use records when it was last used
        for command, body in (("suspend", SUSPEND), ("resume", {})):
            fresh_queries, fresh_written = _measure(client, fresh.number, command, body)
            long_queries, long_written = _measure(client, long.number, command, body)
            assert long_queries == fresh_queries, command
            # Same statements, and no stored history grows with the case: the bytes written differ
            # only by ids and numbers (a rewritten list of 100 suspensions would add kilobytes).
            assert abs(long_written - fresh_written) <= 200, (command, fresh_written, long_written)
