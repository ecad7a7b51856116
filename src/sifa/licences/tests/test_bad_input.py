"""Malformed identifiers, wrong check characters, forged signatures, unknown key ids: 4xx, never 500."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sifa.core import limits
from sifa.core.licence_ids import build_licence_id
from sifa.licences.api import VerifyThrottle
from sifa.licences.models import LicenceType
from sifa.licences.services import issue_licence

from .conftest import client_for

VERIFY = "/api/v1/licences/verify"


@pytest.fixture
def licence(people, orgs):
    return issue_licence(
        LicenceType.objects.get(key="lawyer_licence"),
        people["citizen"],
        orgs["zj"],
        actor=None,
        with_pdf=False,
    )


def _copy(licence) -> dict:
    return client_for().get(f"{VERIFY}/{licence.identifier}/").json()


def _wrong_check(identifier: str) -> str:
    head, check = identifier.rsplit(".", 1)
    return f"{head}.{'0' if check != '0' else '1'}"


@pytest.mark.parametrize(
    ("identifier", "code"),
    [
        ("hello", "licence_id.root"),
        ("1.2.156.3005.2.abc", "licence_id.format"),
        ("1.2.156.3005.2.11100000000013338X011.11430000006122244L.1.001.U", "licence_id.type_code"),
        (
            "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.V",
            "licence_id.check_char",
        ),
    ],
)
def test_malformed_identifiers_get_400_with_a_code_on_api_and_page(db, identifier, code):
    response = client_for().get(f"{VERIFY}/{identifier}/")
    assert response.status_code == 400 and response.json()["code"] == code
    assert response.json()["message"]
    page = client_for().get(f"/verify/{identifier}")
    assert page.status_code == 400 and code in page.content.decode()


def test_wrong_check_character_of_a_real_licence_is_400_and_unknown_is_404(licence):
    response = client_for().get(f"{VERIFY}/{_wrong_check(licence.identifier)}/")
    assert response.status_code == 400 and response.json()["code"] == "licence_id.check_char"
    unknown = build_licence_id(licence.licence_type.code, licence.issuer_uscc, "99999999", 1)
    response = client_for().get(f"{VERIFY}/{unknown}/")
    assert response.status_code == 404 and response.json()["code"] == "licence.not_found"
    assert client_for().get(f"/verify/{unknown}").status_code == 404


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#%"), max_size=90
    )
)
def test_any_identifier_text_gets_400_or_404(db, text):
    limits.clear()
    response = client_for().get(f"{VERIFY}/{text or 'x'}/")
    assert response.status_code in (400, 404), response.content


def test_an_authentic_copy_is_confirmed_with_the_register_status(licence):
    body = _copy(licence)
    response = client_for().post(
        f"{VERIFY}/", {k: body[k] for k in ("payload", "signature", "key_id")}, format="json"
    )
    answer = response.json()
    assert response.status_code == 200 and answer["authentic"] is True
    assert answer["registered"] and answer["matches_register"]
    assert answer["licence"]["status"] == "valid" and answer["identifier"] == licence.identifier


def test_a_forged_signature_is_200_not_authentic_with_a_reason(licence, ring):
    body = _copy(licence)
    other_signature = ring.sign(b"something else entirely")[1]
    response = client_for().post(
        f"{VERIFY}/",
        {
            "payload": body["payload"],
            "signature": base64.b64encode(other_signature).decode(),
            "key_id": body["key_id"],
        },
        format="json",
    )
    assert response.status_code == 200
    assert (
        response.json()["authentic"] is False
        and response.json()["reason_code"] == "licence.signature_invalid"
    )
    assert "licence" not in response.json()


def test_an_edited_payload_is_not_authentic(licence):
    body = _copy(licence)
    edited = base64.b64decode(body["payload"]).replace("张*".encode(), "王*".encode())
    response = client_for().post(
        f"{VERIFY}/",
        {
            "payload": base64.b64encode(edited).decode(),
            "signature": body["signature"],
            "key_id": body["key_id"],
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["authentic"] is False


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"key_id": "sm2-2020-01-deadbeef"}, "signing.unknown_key"),
        ({"payload": "not base64!"}, "licence.bad_base64"),
        ({"signature": "%%%"}, "licence.bad_base64"),
        ({"payload": base64.b64encode(b'{"b": 1, "a": 2}').decode()}, "canonical_json.not_canonical"),
        ({"payload": base64.b64encode(b'{"a":1.5}').decode()}, "canonical_json.float"),
        ({"payload": base64.b64encode(b'{"format":"other"}').decode()}, "licence.bad_payload"),
        ({"payload": base64.b64encode(b"\xff\xfe").decode()}, "canonical_json.syntax"),
        ({"key_id": ""}, "field.required"),
    ],
)
def test_malformed_copies_get_400_with_a_code(licence, change, code):
    body = _copy(licence)
    request = {**{k: body[k] for k in ("payload", "signature", "key_id")}, **change}
    response = client_for().post(f"{VERIFY}/", request, format="json")
    assert response.status_code == 400, response.json()
    codes = {response.json()["code"], *(e["code"] for e in response.json().get("errors", []))}
    assert code in codes


def test_garbage_signature_bytes_are_not_authentic(licence):
    body = _copy(licence)
    response = client_for().post(
        f"{VERIFY}/",
        {
            "payload": body["payload"],
            "signature": base64.b64encode(b"\x30\x02\x01").decode(),
            "key_id": body["key_id"],
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["authentic"] is False


def test_verification_is_rate_limited_with_a_chinese_message(licence, monkeypatch):
    monkeypatch.setattr(VerifyThrottle, "rate", "3/min")
    statuses = [client_for().get(f"{VERIFY}/{licence.identifier}/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client_for().get(f"{VERIFY}/{licence.identifier}/")
    assert response.json()["code"] == "rate_limited" and "频繁" in response.json()["message"]
    assert client_for().get(f"/verify/{licence.identifier}").status_code == 429
