"""The workflow's world (ministry → 浙江 → 杭州 → 西湖区 → its 法律援助中心 and 司法所; 宁波 → 海曙区),
the catalogue and the 2025–2026 calendar, plus staff at every level for the scope tests."""

from __future__ import annotations

import pytest

from sifa.organisations.models import Role
from sifa.testing import staff
from sifa.workflow.tests.conftest import people, w, world  # noqa: F401  (fixtures)


@pytest.fixture
def viewers(w):  # noqa: F811
    return {
        "ministry": staff("ind-ministry", w["ministry"], Role.SUPERVISOR),
        "zj": staff("ind-zj", w["zj"], Role.SUPERVISOR),
        "hz": staff("ind-hz", w["hz"], Role.SUPERVISOR),
        "xh": staff("ind-xh", w["xh"], Role.SUPERVISOR),
        "nb": staff("ind-nb", w["nb"], Role.SUPERVISOR),
        "hs": staff("ind-hs", w["hs"], Role.SUPERVISOR),
    }
