"""The demo world of 督查, built once per test session and rolled back: the catalogue tree with the
catalogue, 上城区, the 2025–2026 working-day calendar and ``sifa load-demo`` (its staff handle the
mock applications; ``demo-inspector`` at the province and ``demo-city-inspector`` at 杭州)."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from sifa.accounts.models import User
from sifa.catalogue.tests.conftest import CATALOGUE_TREE
from sifa.core import limits
from sifa.deadlines import db_calendar
from sifa.deadlines.services import seed_calendar
from sifa.demo.cases import LAWYER_FULL_TIME, demo_pdf
from sifa.testing import catalogue_tree, id_number, rolled_back, tree


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        orgs = catalogue_tree(*CATALOGUE_TREE)  # with the licence types, as `sifa run` loads them
        tree("sc", on=orgs)
        seed_calendar(2025, 2026)
        db_calendar.forget()
        limits.clear()
        call_command("load-demo", verbosity=0)
        try:
            yield {"orgs": orgs}
        finally:
            db_calendar.forget()
            limits.clear()


@pytest.fixture
def world(_world, db):
    limits.clear()
    db_calendar.forget()
    users = {u.username: u for u in User.objects.filter(is_demo=True)}
    yield {**_world, "users": users}
    limits.clear()
    db_calendar.forget()


def client(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


TEST_ID = id_number("33010619900307123")
TEST_NAME = "李测试"


def mock_body(orgs, *, materials=None, id_no: str = TEST_ID) -> dict:
    """A 律师执业许可（专职）mock application at 杭州市司法局 with every material."""
    from sifa.applications.services.draft_materials import applicable_materials
    from sifa.catalogue.models import ImplementationEntry

    entry = ImplementationEntry.objects.select_related("version").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"]
    )
    if materials is None:
        materials = [
            {
                "material": m.pk,
                "filename": "材料.pdf",
                "content": base64.b64encode(demo_pdf(f"m{m.pk}")).decode(),
            }
            for m in applicable_materials(entry.version, {})
        ]
    return {
        "organisation": orgs["hz"].pk,
        "item": LAWYER_FULL_TIME,
        "applicant": {"name": TEST_NAME, "id_number": id_no, "phone": "13911112222"},
        "form_data": {
            "applicant_name": TEST_NAME,
            "id_number": id_no,
            "phone": "13911112222",
            "address": "杭州市西湖区北山街道2号",
            "law_firm": "浙江演示律师事务所",
            "qualification_number": "A20191234568",
        },
        "materials": materials,
    }
