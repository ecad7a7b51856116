"""Fixtures of the workbench tests: the world built once per module (rolled back afterwards), staff
with roles, a verified-login client, and a case pending acceptance on a fixed working day."""

from __future__ import annotations

import datetime as dt

import pytest

from sifa.deadlines import db_calendar
from sifa.organisations.models import Role
from sifa.testing import rolled_back
from sifa.testing.clock import travel
from sifa.workbench.tests import world as W
from sifa.workflow.services import start_case

TODAY = dt.date(2025, 9, 1)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield W.build_world()


@pytest.fixture
def w(world, db):
    db_calendar.forget()
    with travel(TODAY):
        yield world
    db_calendar.forget()


@pytest.fixture
def people(w):
    return {
        "hz_clerk": W.staff("hz-clerk", (w["hz"], Role.WINDOW_CLERK)),
        "hz_reviewer": W.staff("hz-reviewer", (w["hz"], Role.REVIEWER)),
        "zj_decider": W.staff("zj-decider", (w["zj"], Role.DECISION_MAKER)),
        "zj_clerk": W.staff("zj-clerk", (w["zj"], Role.WINDOW_CLERK)),
        "nb_reviewer": W.staff("nb-reviewer", (w["nb"], Role.REVIEWER)),
        "xh_clerk": W.staff("xh-clerk", (w["xh"], Role.WINDOW_CLERK)),
        "zj_supervisor": W.staff("zj-supervisor", (w["zj"], Role.SUPERVISOR)),
        "zj_catalogue": W.staff("zj-catalogue", (w["zj"], Role.CATALOGUE_ADMIN)),
        "citizen": W.citizen(),
    }


@pytest.fixture
def case(w, people):
    """律师执业许可 at 杭州市司法局, process started, acceptance work item open."""
    application = W.make_case(
        W.entry_for(W.LAWYER, w["hz"]),
        people["citizen"],
        form_data={"applicant_name": "李四", "law_firm": "浙江某某律师事务所"},
    )
    start_case(application)
    return application


@pytest.fixture
def login(client):
    def as_(user):
        W.verified_login(client, user)
        return client

    return as_
