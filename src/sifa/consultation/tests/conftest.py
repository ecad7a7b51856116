"""The catalogue tree (浙江 → 杭州 → 西湖区 → 北山街道司法所, 西湖区法律援助中心; 北京 → 东城区) with the
catalogue and the law library's sample loaded, and the people of a 12348 consultation."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.catalogue.tests.conftest import _laws_sample, cat, laws, loaded  # noqa: F401  (fixtures)
from sifa.organisations.models import Role
from sifa.testing import PersonFactory, staff


def client(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def people(cat, laws):  # noqa: F811
    orgs = cat["orgs"]
    return {
        "operator": staff("hotline-zj", orgs["zj"], Role.CONSULTANT),
        "town": staff("town-consultant", orgs["xh_town"], Role.CONSULTANT),
        "county": staff("county-consultant", orgs["xh"], Role.CONSULTANT, Role.SUPERVISOR),
        "aid": staff("aid-consultant", orgs["xh_aid"], Role.CONSULTANT),
        "beijing": staff("bj-consultant", orgs["dc"], Role.CONSULTANT),
        "clerk": staff("town-clerk", orgs["xh_town"], Role.WINDOW_CLERK),
        "citizen": PersonFactory().user,
        "other_citizen": PersonFactory(name="王五").user,
    }
