"""The catalogue test tree with the catalogue loaded, plus citizens and staff for applications."""

from __future__ import annotations

import pytest

from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.tests.conftest import build_tree, cat, loaded  # noqa: F401  (fixtures)
from sifa.organisations.models import Role
from sifa.testing import PersonFactory, api_client, id_number, staff

from .upload_corpus import make_pdf

LAWYER_FULL_TIME = "000100001001"


VALID_ID = id_number("33010619900101123")
OTHER_ID = id_number("33010619850505432")
BAD_CHECK_DIGIT_ID = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
PDF = make_pdf()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _person(name: str, number: str, phone: str):
    return PersonFactory(name=name, id_number=number, phone=phone, region_code="330106").user


def _staff(django_user_model, username: str, organisation, role=Role.WINDOW_CLERK):
    return staff(username, organisation, role)


_client = api_client


@pytest.fixture
def world(cat, django_user_model):  # noqa: F811  (the imported fixture)
    orgs = cat["orgs"]
    citizen = _person("张三", VALID_ID, "13800000001")
    other = _person("李四", OTHER_ID, "13800000002")
    city_clerk = _staff(django_user_model, "hz-clerk", orgs["hz"])
    county_elsewhere = _staff(django_user_model, "dc-clerk", orgs["dc"])
    entry = ImplementationEntry.objects.select_related("version").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"]
    )
    return {
        "orgs": orgs,
        "entry": entry,
        "citizen": citizen,
        "other": other,
        "city_clerk": city_clerk,
        "county_elsewhere": county_elsewhere,
        "api": _client(citizen),
        "other_api": _client(other),
        "clerk_api": _client(city_clerk),
        "elsewhere_api": _client(county_elsewhere),
    }


def lawyer_form(**changes) -> dict:
    form = {
        "applicant_name": "张三",
        "id_number": VALID_ID,
        "phone": "13800000001",
        "address": "杭州市西湖区北山街道1号",
        "law_firm": "浙江某某律师事务所",
        "qualification_number": "A20201234567",
    }
    form.update(changes)
    return form
