"""The catalogue tree (浙江 → 杭州 → 西湖区 → 北山街道司法所; 北京 → 东城区) with the catalogue loaded and
宁波 added, the 2025–2026 working-day calendar, and the people of 好差评: the applicant of a
delivered 律师执业许可 case at 杭州市司法局, its staff, the province above and other cities."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.applications.models import Application, ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.tests.conftest import _laws_sample, cat, laws, loaded  # noqa: F401  (fixtures)
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.organisations.models import Role
from sifa.testing import PersonFactory, staff, tree
from sifa.testing.cases import make_case

LAWYER_FULL_TIME = "000100001001"
"""律师执业许可（专职律师）, accepted by 杭州市司法局."""


def client(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture(autouse=True)
def _fresh():
    # The rating endpoint is rate-limited per account: its counts are in the database, rolled back
    # with each test's transaction.
    db_calendar.forget()
    yield
    db_calendar.forget()


@pytest.fixture
def orgs(cat):  # noqa: F811
    seed_calendar(2025, 2026)
    db_calendar.forget()
    return tree("nb", on=cat["orgs"])


@pytest.fixture
def people(orgs, laws):  # noqa: F811
    return {
        "hz_clerk": staff("hz-clerk", orgs["hz"], Role.WINDOW_CLERK),
        "hz_supervisor": staff("hz-supervisor", orgs["hz"], Role.SUPERVISOR),
        "zj_supervisor": staff("zj-supervisor", orgs["zj"], Role.SUPERVISOR),
        "nb_supervisor": staff("nb-supervisor", orgs["nb"], Role.SUPERVISOR),
        "bj_supervisor": staff("bj-supervisor", orgs["bj"], Role.SUPERVISOR),
        "town": staff("town-consultant", orgs["xh_town"], Role.CONSULTANT),
        "operator": staff("hotline-zj", orgs["zj"], Role.CONSULTANT),
        "applicant": PersonFactory().user,
        "other": PersonFactory(name="王五").user,
    }


def lawyer_case(orgs, applicant, status: str = ApplicationStatus.DELIVERED) -> Application:
    """A 律师执业许可 case at 杭州市司法局 in ``status`` (delivered unless told)."""
    entry = ImplementationEntry.objects.select_related("version", "accepting_organisation").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"]
    )
    return make_case(entry, applicant, status=status)
