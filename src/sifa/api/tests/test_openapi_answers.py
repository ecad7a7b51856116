"""Real answers have the shape the schema promises (the views build dicts by hand, so the
schema-only serializers describing them could drift): every key answered is documented, and every
key the schema calls required is answered."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from sifa.applications.tests.conftest import PDF, lawyer_form

API = "/api/v1/applications"


@pytest.fixture(scope="module")
def components() -> dict[str, Any]:
    with GENERATOR_STATS.silence():
        return SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]


def _resolve(components: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    if "$ref" in schema:
        return _resolve(components, components[schema["$ref"].rsplit("/", 1)[-1]])
    if "allOf" in schema:
        return _resolve(components, schema["allOf"][0])
    return schema if "properties" in schema else None


def assert_matches(components: dict[str, Any], name: str, body: Any, where: str = "") -> None:
    """Keys of ``body`` against component ``name``, down through nested objects and lists."""
    schema = components[name]
    where = where or name
    assert isinstance(body, dict), where
    documented, required = set(schema["properties"]), set(schema.get("required", []))
    assert set(body) <= documented, f"{where}: undocumented {sorted(set(body) - documented)}"
    assert required <= set(body), f"{where}: missing {sorted(required - set(body))}"
    for key, value in body.items():
        prop = schema["properties"][key]
        items = prop.get("items") if prop.get("type") == "array" else None
        target = _resolve(components, items or prop)
        if target is None or value is None:
            continue
        child = next(n for n, s in components.items() if s is target)
        for index, element in enumerate(value if items else [value]):
            assert_matches(components, child, element, f"{where}.{key}[{index}]")


def _upload(api: APIClient, ref: str, material: int):
    body = {"material": str(material), "file": SimpleUploadedFile("证明.pdf", PDF, "application/pdf")}
    return api.post(f"{API}/{ref}/materials/", body, format="multipart")


def test_application_answers_match_the_schema(world, components, django_capture_on_commit_callbacks):
    api, clerk = world["api"], world["clerk_api"]
    draft = api.post(
        f"{API}/drafts/",
        {"entry": world["entry"].implementation_code, "form_data": lawyer_form()},
        format="json",
    )
    assert draft.status_code == 201, draft.json()
    assert_matches(components, "ApplicationDetail", draft.json())

    requested = [m["material"] for m in draft.json()["materials"] if m["requested"]]
    uploaded = [_upload(api, draft.json()["id"], material) for material in requested]
    assert uploaded and all(r.status_code == 201 for r in uploaded)
    assert_matches(components, "MaterialFile", uploaded[0].json())

    with django_capture_on_commit_callbacks(execute=True):
        submitted = api.post(f"{API}/{draft.json()['id']}/submit/", HTTP_IDEMPOTENCY_KEY="schema-1")
    assert submitted.status_code == 201, submitted.json()
    assert_matches(components, "Submitted", submitted.json())
    number, code = submitted.json()["number"], submitted.json()["query_code"]

    staff_view = clerk.get(f"{API}/{number}/").json()
    assert "findings" in staff_view
    assert_matches(components, "ApplicationDetail", staff_view)
    assert_matches(components, "FindingList", clerk.get(f"{API}/{number}/findings/").json())
    finding = clerk.post(
        f"{API}/{number}/findings/", {"field": "address", "message": "地址不完整"}, format="json"
    )
    assert finding.status_code == 201, finding.json()
    assert_matches(components, "Finding", finding.json())

    with django_capture_on_commit_callbacks(execute=True):
        notice = clerk.post(f"{API}/{number}/correction-notice/", {}, format="json")
    assert notice.status_code == 201, notice.json()
    assert_matches(components, "CorrectionNoticeIssued", notice.json())
    assert_matches(components, "ApplicationDetail", api.get(f"{API}/{number}/").json())

    listed = api.get(f"{API}/").json()
    assert_matches(components, "PaginatedApplicationSummaryList", listed)

    tracked = APIClient().get(f"/api/v1/track/{number}/", {"code": code})
    assert tracked.status_code == 200
    assert_matches(components, "Tracking", tracked.json())

    wrong = APIClient().get(f"/api/v1/track/{number}/", {"code": "AAAAAAAA"})
    assert wrong.status_code == 404
    assert_matches(components, "Error", wrong.json())


def test_validation_errors_match_the_error_component(world, components):
    response = world["api"].post(f"{API}/drafts/", {"entry": "nonexistent"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"], response.json()
    assert_matches(components, "Error", response.json())


@pytest.mark.django_db
def test_public_licence_answers_match_the_schema(components):
    keys = APIClient().get("/api/v1/keys/")
    assert keys.status_code == 200
    assert keys.json(), "a signing key exists (created on first use)"
    for key in keys.json():
        assert_matches(components, "PublicKey", key)

    unknown = APIClient().post(
        "/api/v1/licences/verify/", {"payload": "", "signature": "", "key_id": ""}, format="json"
    )
    assert unknown.status_code == 400
    assert_matches(components, "Error", unknown.json())
