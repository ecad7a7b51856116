"""The test world: 浙江省司法厅 → 杭州市司法局 (→ 西湖区司法局 → 北山街道司法所, 西湖区法律援助中心) and
宁波市司法局 (→ 海曙区司法局); the shipped catalogue loaded on top; the 2025 official calendar; staff
with roles; a citizen. Built once per module inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from sifa import testing
from sifa.accounts.models import User
from sifa.applications.models import Application, ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.organisations.models import Organisation, Role
from sifa.testing import CitizenFactory, api_client, cases, catalogue_tree, rolled_back, tree
from sifa.testing.cases import entry_for  # noqa: F401  (used by the tests)
from sifa.testing.clock import SHANGHAI, at, travel, working_days_after  # noqa: F401  (used by the tests)
from sifa.workflow.transitions import DECIDED

WORKFLOW_TREE = ("ministry", "zj", "hz", "xh", "xh_aid", "xh_town", "nb", "hs")


def build_world() -> dict[str, Organisation]:
    return tree(*WORKFLOW_TREE)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        orgs = catalogue_tree(*WORKFLOW_TREE)  # build_world() and the catalogue, once per process
        seed_calendar(2025, 2026)
        yield orgs


@pytest.fixture
def w(world, db):
    db_calendar.forget()
    yield world
    db_calendar.forget()


staff = testing.staff


@pytest.fixture
def people(w) -> dict[str, User]:
    return {
        "hz_clerk": staff("hz-clerk", w["hz"], Role.WINDOW_CLERK),
        "hz_reviewer": staff("hz-reviewer", w["hz"], Role.REVIEWER),
        "zj_decider": staff("zj-decider", w["zj"], Role.DECISION_MAKER),
        "zj_clerk": staff("zj-clerk", w["zj"], Role.WINDOW_CLERK),
        "nb_reviewer": staff("nb-reviewer", w["nb"], Role.REVIEWER),
        "town_clerk": staff("town-clerk", w["xh_town"], Role.WINDOW_CLERK),
        "aid_clerk": staff("aid-clerk", w["xh_aid"], Role.WINDOW_CLERK, Role.DECISION_MAKER, Role.REVIEWER),
        "citizen": CitizenFactory(username="citizen"),
    }


def make_case(
    entry: ImplementationEntry,
    citizen: User,
    *,
    received: dt.date = dt.date(2025, 9, 1),
    status: str = ApplicationStatus.PENDING_ACCEPTANCE,
    version=None,
) -> Application:
    return cases.make_case(entry, citizen, received=received, status=status, version=version)


def client_for(user: User) -> APIClient:
    return api_client(user)


def command(user: User, number: str, name: str, **body):
    """Give the command through the API; after a decision, what the worker does once it commits:
    issue the documents it owes (送达 waits for them, ``transitions.delivery_hold``)."""
    response = client_for(user).post(f"/api/v1/cases/{number}/commands/{name}/", body, format="json")
    if response.status_code == 200 and response.json().get("status") in DECIDED:
        cases.issue_pending_documents(number)
    return response
