"""机关代字: derived for the whole tree, unique, kept across rebuilds, configurable with clear errors."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from sifa.audit.models import AuditEvent
from sifa.organisations.models import Organisation, Role
from sifa.organisations.orgtree import choose_document_code, place_stems
from sifa.organisations.services import build_organisations, ensure_document_code
from sifa.testing import api_client, staff

pytestmark = pytest.mark.django_db


def org(kind: str, region_code: str = "") -> Organisation:
    if kind == "ministry":
        return Organisation.objects.get(kind="ministry")
    return Organisation.objects.get(kind=kind, region_id=region_code)


def url(organisation: Organisation) -> str:
    return f"/api/v1/organisations/{organisation.pk}/document-code/"


@pytest.fixture
def admin_api(subset_tree, django_user_model) -> APIClient:
    """A system administrator of 北京市司法局 (so of every Beijing organisation)."""
    return api_client(staff("bj-admin", org("bureau", "110000"), Role.SYSTEM_ADMIN))


def test_the_build_derives_a_conventional_unique_code_for_every_organisation(subset_tree):
    assert org("ministry").document_code == "司"
    assert org("bureau", "110000").document_code == "京司"
    assert org("bureau", "210000").document_code == "辽司"
    assert org("bureau", "210100").document_code == "沈司"  # 沈阳市
    assert org("bureau", "110101").document_code == "京东司"  # 北京市东城区
    assert org("bureau", "110102").document_code == "京西司"  # 北京市西城区
    assert org("legal_aid_centre", "110101").document_code == "京东法援"
    assert org("legal_service_centre", "110101").document_code == "京东公法"
    assert org("judicial_office", "110101001000").document_code == "京东东华所"  # 东华门街道
    assert org("bureau", "429004").document_code == "鄂仙司"  # 仙桃市, under the province
    assert org("bureau", "441900").document_code == "东司"  # 东莞市
    codes = list(Organisation.objects.values_list("document_code", flat=True))
    assert all(codes) and len(set(codes)) == len(codes)


def test_a_configured_code_survives_a_rebuild_and_is_never_derived_for_another(admin_api):
    dongcheng = org("bureau", "110101")
    assert admin_api.post(url(dongcheng), {"document_code": "东司"}, format="json").status_code == 409
    response = admin_api.post(url(dongcheng), {"document_code": "京东城司"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["document_code"] == "京东城司"

    result = build_organisations()

    assert (result.created, result.updated) == (0, 0)
    dongcheng.refresh_from_db()
    assert dongcheng.document_code == "京东城司"
    event = AuditEvent.objects.get(action="organisation.set_document_code")
    assert event.detail == {"previous": "京东司", "document_code": "京东城司"}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "organisation.document_code_required"),
        ("   ", "organisation.document_code_required"),
        (None, "organisation.document_code_required"),
        (12, "organisation.document_code_required"),
        ("京司1", "organisation.document_code_invalid"),
        ("京司〔", "organisation.document_code_invalid"),
        ("JS", "organisation.document_code_invalid"),
        ("京 司", "organisation.document_code_invalid"),
        ("一二三四五六七八九十一", "organisation.document_code_invalid"),
        ("京司不", "organisation.document_code_invalid"),
    ],
)
def test_bad_codes_are_refused_with_a_clear_message_and_nothing_changes(admin_api, value, code):
    bureau = org("bureau", "110101")
    response = admin_api.post(url(bureau), {"document_code": value}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "机关代字" in response.json()["message"]
    bureau.refresh_from_db()
    assert bureau.document_code == "京东司"


def test_a_code_already_used_is_a_conflict_naming_its_holder(admin_api):
    response = admin_api.post(url(org("bureau", "110102")), {"document_code": "京东司"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "organisation.document_code_taken"
    assert "北京市东城区司法局" in response.json()["message"]


def test_only_system_administrators_of_the_organisation_or_above_may_set_it(admin_api, django_user_model):
    # The Beijing administrator cannot change 辽宁; a clerk of 东城 cannot change 东城; anonymous: 401.
    assert (
        admin_api.post(url(org("bureau", "210000")), {"document_code": "辽宁司"}, format="json").status_code
        == 403
    )
    clerk_api = api_client(staff("dc-clerk", org("bureau", "110101"), Role.WINDOW_CLERK))
    forbidden = clerk_api.post(url(org("bureau", "110101")), {"document_code": "京东城司"}, format="json")
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "organisation.permission_denied"
    assert APIClient().post(url(org("bureau", "110101")), {"document_code": "京东城司"}).status_code in (
        401,
        403,
    )
    assert (
        admin_api.post("/api/v1/organisations/999999/document-code/", {"document_code": "某司"}).status_code
        == 404
    )
    assert (
        admin_api.post("/api/v1/organisations/abc/document-code/", {"document_code": "某司"}).status_code
        == 400
    )


def test_an_organisation_made_outside_the_build_gets_its_code_on_first_use(subset_tree):
    parent = org("bureau", "110000")
    made = Organisation.objects.create(
        name="北京市东城区司法局第二办公点",
        kind="bureau",
        level=4,
        region_id="110101",
        parent=parent,
        path="/x/",
    )
    # 京东司 is 东城's already: the next candidate is taken, never a duplicate.
    assert ensure_document_code(made) == "京东城司"
    made.refresh_from_db()
    assert made.document_code == "京东城司"


def test_place_stems_and_the_numeral_fallback():
    assert place_stems("西湖区") == ["西", "西湖"]
    assert place_stems("鄂尔多斯市") == ["鄂", "鄂尔", "鄂尔多", "鄂尔多斯"]
    taken = {"杭西司", "杭西湖司"}
    assert choose_document_code(["杭西司", "杭西湖司"], taken.__contains__) == "杭西湖司二"
