"""An item whose pinned version names no shipped process file can not be applied for.

A test-only item is loaded through the real catalogue loader from the 律师执业许可（专职） content,
with one difference: its process is ``no_such_process.bpmn``, a file Sifa does not ship. Nobody
could ever accept such a case, so the guide offers no 在线申请 button, the portal's apply page
answers 409, and a draft through the API (or the services) is refused with
``catalogue.no_process`` and a Chinese message — nothing is written. A draft made while the
process still existed cannot be submitted either.
"""

from __future__ import annotations

import copy

import pytest
from rest_framework.test import APIClient

from sifa.applications.models import Application
from sifa.applications.tests.conftest import VALID_ID, lawyer_form
from sifa.catalogue.data.items import ITEMS
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ProcessDefinition
from sifa.catalogue.services import load_items
from sifa.catalogue.tests.conftest import build_tree, cat, loaded  # noqa: F401  (fixtures)
from sifa.portal.tests.test_citizen_support import lawyer_entry, person

pytestmark = pytest.mark.django_db
MISSING = "no_such_process.bpmn"


@pytest.fixture
def no_process_entry(cat):  # noqa: F811
    """A published test item (基本编码 …01099000) whose version names a process that is not shipped."""
    template = next(spec for spec in ITEMS if spec["name"] == "律师执业许可（专职律师执业）")
    spec = copy.deepcopy(template)
    spec.update(code=("01", 99, 0), name="测试事项（未配置办理流程）", bpmn=MISSING)
    spec.pop("parent", None)
    spec["level"] = 1
    load_items([spec])
    model = lawyer_entry(cat["orgs"])
    item = CatalogueItem.objects.get(name=spec["name"])
    return ImplementationEntry.objects.create(
        implementation_code=f"{model.organisation.uscc}{model.exercise_level}{item.basic_code}",
        item=item,
        version=ProcessDefinition.objects.get(bpmn_file=MISSING).version,
        organisation=model.organisation,
        exercise_level=model.exercise_level,
        accepting_organisation=model.accepting_organisation,
        deciding_organisation=model.deciding_organisation,
        region=model.region,
        place=model.place,
    )


@pytest.fixture
def citizen(db):
    return person("张三", VALID_ID, "13800000001")


def test_the_guide_offers_no_online_application(no_process_entry, client):
    page = client.get(f"/guides/{no_process_entry.implementation_code}/").content.decode()
    assert "在线申请</a>" not in page
    assert "暂未开通网上办理流程，不能在线申请" in page
    guide = client.get(f"/guides/{no_process_entry.implementation_code}.json").json()
    assert guide["online_application"] is False


def test_an_item_with_a_process_still_offers_it(cat, client):  # noqa: F811
    code = lawyer_entry(cat["orgs"]).implementation_code
    assert f'href="/apply/{code}/">在线申请</a>' in client.get(f"/guides/{code}/").content.decode()
    assert client.get(f"/guides/{code}.json").json()["online_application"] is True


def test_the_portal_apply_page_refuses_with_409(no_process_entry, citizen, client):
    client.force_login(citizen)
    url = f"/apply/{no_process_entry.implementation_code}/"
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 409
        assert "暂未开通网上办理流程" in response.content.decode()
    assert not Application.objects.filter(entry=no_process_entry).exists()


def test_a_draft_through_the_api_is_refused_and_nothing_is_written(no_process_entry, citizen):
    api = APIClient()
    api.force_authenticate(citizen)
    response = api.post(
        "/api/v1/applications/drafts/",
        {"entry": no_process_entry.implementation_code, "form_data": lawyer_form()},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "catalogue.no_process"
    assert "不能在线申请" in response.json()["message"]
    assert not Application.objects.filter(entry=no_process_entry).exists()


def test_a_draft_made_before_the_process_disappeared_cannot_be_submitted(cat, citizen):  # noqa: F811
    from sifa.applications import services

    entry = lawyer_entry(cat["orgs"])
    draft = services.start_draft(entry, actor=citizen, form_data=lawyer_form())
    ProcessDefinition.objects.filter(version=entry.version).update(bpmn_file=MISSING)
    api = APIClient()
    api.force_authenticate(citizen)
    response = api.post(f"/api/v1/applications/{draft.pk}/submit/", HTTP_IDEMPOTENCY_KEY="no-process-1")
    assert response.status_code == 409 and response.json()["code"] == "catalogue.no_process"
    draft.refresh_from_db()
    assert draft.status == "draft" and not draft.number
