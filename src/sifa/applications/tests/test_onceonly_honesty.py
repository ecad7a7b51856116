"""Honest once-only: partner data satisfies a material only when a partner answered, with its answer's
id and time on record; the stand-in answers only in demo and test mode; production asks instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from sifa.applications.models import ApplicationMaterial, MaterialProvenance
from sifa.applications.onceonly import Found, registry
from sifa.catalogue import guides

from .conftest import PDF, lawyer_form

API = "/api/v1/applications"
IDENTITY = "申请人的身份证明"


def _draft(world) -> dict:
    response = world["api"].post(
        f"{API}/drafts/",
        {"entry": world["entry"].implementation_code, "form_data": lawyer_form()},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def _identity(draft: dict) -> dict:
    return next(m for m in draft["materials"] if m["name"] == IDENTITY)


def test_the_demo_stand_in_answers_with_an_answer_id_and_time_and_says_it_is_simulated(world):
    draft = _draft(world)
    identity = _identity(draft)
    assert identity["satisfied"] and identity["provenance"] == MaterialProvenance.PARTNER
    assert identity["source_label"] == "公安部门共享数据：居民身份信息核验（演示模拟，非真实部门核验）"
    assert identity["partner_answer"]["answer_id"].startswith("SIM-")
    row = ApplicationMaterial.objects.get(
        application_id=draft["id"], provenance=MaterialProvenance.PARTNER, material__name=IDENTITY
    )
    assert row.partner_answer_id == identity["partner_answer"]["answer_id"] and row.partner_answered_at
    # Once submitted, the accepting staff see the answer's id and time on the case.
    for material in draft["materials"]:
        if material["requested"] and material["necessity"] == "required":
            upload = {"material": str(material["material"]), "file": SimpleUploadedFile("证明.pdf", PDF)}
            assert (
                world["api"].post(f"{API}/{draft['id']}/materials/", upload, format="multipart").status_code
                == 201
            )
    submitted = world["api"].post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="honest-1")
    assert submitted.status_code == 201, submitted.json()
    staff_view = world["clerk_api"].get(f"{API}/{submitted.json()['number']}/")
    assert staff_view.status_code == 200
    answer = _identity(staff_view.json())["partner_answer"]
    assert answer["answer_id"] == row.partner_answer_id and answer["answered_at"]


@override_settings(PARTNER_DATA="")
def test_without_a_partner_adapter_the_material_is_requested_and_nothing_claims_shared_data(world):
    draft = _draft(world)
    identity = _identity(draft)
    assert identity["requested"] and not identity["satisfied"]
    assert identity["provenance"] is None and identity["partner_answer"] is None
    assert "共享数据" not in json.dumps(draft, ensure_ascii=False)
    assert not ApplicationMaterial.objects.filter(provenance=MaterialProvenance.PARTNER).exists()
    # The guide does not promise what the platform cannot do.
    guide = guides.build(world["entry"], world["entry"].version)
    identity_row = next(m for m in guide["e"]["materials"] if m["name"] == IDENTITY)
    assert "共享数据" not in identity_row["once_only"]


def test_the_guide_promises_partner_data_only_where_a_partner_is_configured(world):
    guide = guides.build(world["entry"], world["entry"].version)
    identity_row = next(m for m in guide["e"]["materials"] if m["name"] == IDENTITY)
    assert identity_row["once_only"] == "可通过部门共享数据核验的，无需提交"


class _SilentPartner:
    """A gateway that claims a match but gives no answer id or time (a broken adapter)."""

    name = "partner"

    def find(self, application, material):
        if not material.satisfiable_by_partner_data:
            return None
        return Found(
            provenance=MaterialProvenance.PARTNER, source_reference="x", source_label="公安部门共享数据"
        )


def test_a_partner_claim_without_an_answer_is_never_recorded(world):
    original = registry.get("partner")
    registry.replace("partner", _SilentPartner())
    try:
        draft = _draft(world)
    finally:
        registry.replace("partner", original)
    assert _identity(draft)["requested"]
    assert not ApplicationMaterial.objects.filter(provenance=MaterialProvenance.PARTNER).exists()


def _settings_error(**environment: str) -> str:
    env = {
        **os.environ,
        "SIFA_TESTING": "0",
        "SIFA_DEBUG": "0",
        "SIFA_SECRET_KEY": "x" * 50,
        "SIFA_FIELD_KEYS": "k1:" + "0" * 32,
        "SIFA_BLIND_INDEX_KEY": "0" * 64,
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import sifa.conf.settings"], env=env, capture_output=True, text=True
    )
    return result.stderr if result.returncode else ""


@pytest.mark.parametrize(
    ("value", "debug", "refused"),
    [("simulated", "0", True), ("gateway", "0", True), ("simulated", "1", False), ("", "0", False)],
)
def test_the_stand_in_is_refused_outside_demo_and_test_mode(value, debug, refused):
    error = _settings_error(SIFA_PARTNER_DATA=value, SIFA_DEBUG=debug)
    assert ("SIFA_PARTNER_DATA" in error) is refused, error
