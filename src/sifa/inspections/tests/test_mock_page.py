"""提交模拟办件 in the workbench (``/workbench/inspections/mocks/new/``): only inspectors, only their
subtree; the page files through the same command as the API, says in Chinese what is wrong, files
once on a double submit, and the mock is then on the inspector's list for scoring."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sifa.applications.models import Application
from sifa.applications.services.draft_materials import applicable_materials
from sifa.catalogue.models import ImplementationEntry
from sifa.demo.cases import LAWYER_FULL_TIME, demo_pdf
from sifa.inspections.models import MockApplication
from sifa.inspections.tests.conftest import TEST_ID, TEST_NAME
from sifa.testing import verified_login

pytestmark = pytest.mark.django_db
URL = "/workbench/inspections/mocks/new/"


def browser(user) -> Client:
    client = Client()
    verified_login(client, user)
    return client


def _entry(world) -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("version").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=world["orgs"]["hz"]
    )


def _post(world, *, with_materials: bool = True, id_no: str = TEST_ID, key: str = "k" * 20) -> dict:
    body = {
        "applicant-name": TEST_NAME,
        "applicant-id_number": id_no,
        "applicant-phone": "13911112222",
        "applicant-key": key,
        "address": "杭州市西湖区北山街道2号",
        "law_firm": "浙江演示律师事务所",
        "qualification_number": "A20191234568",
    }
    if with_materials:
        for m in applicable_materials(_entry(world).version, {}):
            body[f"m-{m.pk}"] = SimpleUploadedFile("材料.pdf", demo_pdf(f"m{m.pk}"), "application/pdf")
    return body


def _address(world) -> str:
    return f"{URL}?organisation={world['orgs']['hz'].pk}&item={LAWYER_FULL_TIME}"


def test_only_inspectors_and_only_their_subtree(world):
    clerk = browser(world["users"]["demo-city"])
    assert clerk.get(URL).status_code == 404
    assert clerk.post(_address(world), _post(world, with_materials=False)).status_code == 404
    city = browser(world["users"]["demo-city-inspector"])
    # 杭州's inspector reaches 杭州 and below, not the province nor 北京.
    assert city.get(f"{URL}?organisation={world['orgs']['zj'].pk}").status_code == 404
    assert city.get(f"{URL}?organisation={world['orgs']['bj'].pk}").status_code == 404
    assert city.get(f"{URL}?organisation=x").status_code == 404
    assert city.get(f"{URL}?organisation={world['orgs']['hz'].pk}&item=000000000000").status_code == 404
    outside = city.post(f"{URL}?organisation={world['orgs']['bj'].pk}&item={LAWYER_FULL_TIME}", _post(world))
    assert outside.status_code == 404
    assert not MockApplication.objects.exists()


def test_the_steps_offer_the_subtree_then_its_items_then_the_items_own_form(world):
    inspector = browser(world["users"]["demo-inspector"])
    index = inspector.get("/workbench/inspections/").content.decode()
    assert f'href="{URL}"' in index
    first = inspector.get(URL).content.decode()
    assert f'<option value="{world["orgs"]["hz"].pk}">杭州市司法局</option>' in first
    second = inspector.get(f"{URL}?organisation={world['orgs']['hz'].pk}").content.decode()
    assert f'<option value="{LAWYER_FULL_TIME}">' in second
    third = inspector.get(_address(world)).content.decode()
    assert 'enctype="multipart/form-data"' in third and 'name="law_firm"' in third
    for m in applicable_materials(_entry(world).version, {}):
        assert f'name="m-{m.pk}"' in third


def test_errors_are_named_in_chinese_and_nothing_is_filed(world):
    inspector = browser(world["users"]["demo-inspector"])
    empty = inspector.post(_address(world), {"applicant-key": "k" * 20})
    page = empty.content.decode()
    assert empty.status_code == 400 and "请填写测试身份姓名" in page and 'href="#id_applicant-name"' in page
    missing = inspector.post(_address(world), _post(world, with_materials=False))
    assert missing.status_code == 400, missing.content.decode()
    page = missing.content.decode()
    first = applicable_materials(_entry(world).version, {})[0]
    assert f'href="#m-{first.pk}"' in page and f'id="m-{first.pk}-error"' in page
    from sifa.accounts.management.commands import _demo

    real = inspector.post(_address(world), _post(world, id_no=_demo._id_number(_demo.CITIZEN)))
    assert real.status_code == 409 and "不能作为测试身份" in real.content.decode()
    assert not Application.objects.filter(is_mock=True).exists()


def test_a_mock_filed_on_the_page_is_on_the_list_once_even_when_sent_twice(world):
    inspector = browser(world["users"]["demo-inspector"])
    filed = inspector.post(_address(world), _post(world))
    assert filed.status_code == 302, filed.content.decode()
    mock = MockApplication.objects.select_related("application").get()
    assert filed["Location"] == f"/workbench/inspections/mocks/{mock.public_id}/"
    assert mock.inspector == world["users"]["demo-inspector"] and mock.application.is_mock
    assert mock.application.form_data["applicant_name"] == TEST_NAME  # filled from the identity
    again = inspector.post(_address(world), _post(world))
    assert again.status_code == 302 and again["Location"] == filed["Location"]
    assert MockApplication.objects.count() == 1
    shown = inspector.get(filed["Location"]).content.decode()
    assert mock.application.number in shown and "办结后可在此评分" in shown
    index = inspector.get("/workbench/inspections/").content.decode()
    assert f'href="/workbench/inspections/mocks/{mock.public_id}/"' in index
