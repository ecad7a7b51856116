"""Fixtures: a province bureau and a county bureau with regions and USCCs, a citizen, staff."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from sifa.accounts.models import User
from sifa.organisations.models import Organisation, Role
from sifa.testing import CitizenFactory, staff, tree

ZJ_USCC = "11330000002482022X"
XIHU_USCC = "11330106002481234X"

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("pdffonts") and shutil.which("pdftotext")),
    reason="poppler-utils (pdfsig, pdffonts, pdftotext) is not installed: apt-get install poppler-utils",
)


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    """司法部 (without a USCC, for the error it earns), 浙江省司法厅 and 西湖区司法局 right under it, at
    literal paths with fixed USCCs."""
    o = tree("ministry", "zj", ministry={"path": "/1/", "uscc": ""}, zj={"path": "/1/2/", "uscc": ZJ_USCC})
    o = tree("xh", on=o, xh={"path": "/1/2/4/", "uscc": XIHU_USCC, "parent": o["zj"]})
    return {"province": o["zj"], "county": o["xh"], "ministry": o["ministry"]}


@pytest.fixture
def citizen(orgs) -> User:
    return CitizenFactory(username="zhangsan", scope_path="/1/2/4/", display_name="张三")


@pytest.fixture
def other_citizen(orgs) -> User:
    return CitizenFactory(username="lisi", scope_path="/1/2/4/")


@pytest.fixture
def county_staff(orgs) -> User:
    return staff("clerk", orgs["county"], Role.WINDOW_CLERK, display_name="")


APPROVAL_CONTEXT = {
    "applicant_name": "张三",
    "item_name": "律师执业许可",
    "application_number": "330106202611270001",
    "submitted_on": dt.date(2026, 11, 2),
    "legal_basis": "《中华人民共和国律师法》第五条",
    "licence_name": "律师执业证",
    "licence_number": "13301202611000123",
    "verify_url": "https://sifa.example.gov.cn/verify/1.2.156.3005.2.11100000000013338W011",
}
