"""The catalogue tree (浙江 → 杭州 → 西湖区 → 北山街道司法所; 北京 → 东城区) and the people of a
complaint: supervisors at the county, the city and in Beijing, a window clerk who is complained
about, and citizens."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.core import limits
from sifa.organisations.models import Role
from sifa.testing import PersonFactory, staff


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Every complaint test starts and ends with no counted requests (the limits are shared)."""
    limits.clear()
    yield
    limits.clear()


def client(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def people(cat):  # noqa: F811
    orgs = cat["orgs"]
    return {
        "county": staff("xh-supervisor", orgs["xh"], Role.SUPERVISOR),
        "city": staff("hz-supervisor", orgs["hz"], Role.SUPERVISOR),
        "beijing": staff("dc-supervisor", orgs["dc"], Role.SUPERVISOR),
        "clerk": staff("town-clerk", orgs["xh_town"], Role.WINDOW_CLERK),
        # A county supervisor who also sits at the window: complained about, still in scope.
        "accused": staff("xh-window-chief", orgs["xh"], Role.WINDOW_CLERK, Role.SUPERVISOR),
        "citizen": PersonFactory().user,
        "other_citizen": PersonFactory(name="王五").user,
    }


def body(orgs, **overrides):
    return {
        "kind": "complaint",
        "subject_kind": "service",
        "organisation": orgs["xh_town"].pk,
        "text": "窗口工作人员让我来回跑了三次，每次要求的材料都不一样，请核查。",
        **overrides,
    }
