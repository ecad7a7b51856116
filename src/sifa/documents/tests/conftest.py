"""Fixtures: a province bureau and a county bureau with regions and USCCs, a citizen, staff."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from sifa.accounts.models import User
from sifa.organisations.models import (
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationLevel,
    Region,
    Role,
)

ZJ_USCC = "11330000002482022X"
XIHU_USCC = "11330106002481234X"

needs_poppler = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("pdffonts") and shutil.which("pdftotext")),
    reason="poppler-utils (pdfsig, pdffonts, pdftotext) is not installed: apt-get install poppler-utils",
)


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    zhejiang = Region.objects.create(code="330000", name="浙江省", level=1, vintage="test")
    hangzhou = Region.objects.create(code="330100", name="杭州市", level=2, parent=zhejiang, vintage="test")
    xihu = Region.objects.create(code="330106", name="西湖区", level=3, parent=hangzhou, vintage="test")
    province = Organisation.objects.create(
        name="浙江省司法厅", kind=OrganisationKind.BUREAU, level=OrganisationLevel.PROVINCE,
        region=zhejiang, path="/1/2/", uscc=ZJ_USCC,
    )  # fmt: skip
    county = Organisation.objects.create(
        name="杭州市西湖区司法局", kind=OrganisationKind.BUREAU, level=OrganisationLevel.COUNTY,
        region=xihu, parent=province, path="/1/2/4/", uscc=XIHU_USCC,
    )  # fmt: skip
    ministry = Organisation.objects.create(
        name="中华人民共和国司法部",
        kind=OrganisationKind.MINISTRY,
        level=OrganisationLevel.MINISTRY,
        path="/1/",
    )
    return {"province": province, "county": county, "ministry": ministry}


@pytest.fixture
def citizen(orgs) -> User:
    return User.objects.create_user(
        username="zhangsan", kind="person", scope_path="/1/2/4/", display_name="张三"
    )


@pytest.fixture
def other_citizen(orgs) -> User:
    return User.objects.create_user(username="lisi", kind="person", scope_path="/1/2/4/", display_name="李四")


@pytest.fixture
def county_staff(orgs) -> User:
    user = User.objects.create_user(username="clerk", kind="staff", scope_path="/1/2/4/")
    Membership.objects.create(user=user, organisation=orgs["county"], role=Role.WINDOW_CLERK)
    return user


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
