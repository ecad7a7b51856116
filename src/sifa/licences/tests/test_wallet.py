"""我的证照: only my licences, 404 on others' PDFs, 用证授权, and every use shown to the holder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from sifa.audit.models import AuditEvent
from sifa.licences import services
from sifa.licences.models import Licence, LicenceAuthorisation, LicenceType
from sifa.licences.services import issue_licence

from .conftest import client_for

PDF_BYTES = b"%PDF-1.7\n% a stored rendition\n%%EOF\n"


@pytest.fixture
def licence(people, orgs) -> Licence:
    licence = issue_licence(
        LicenceType.objects.get(key="lawyer_licence"),
        people["citizen"],
        orgs["zj"],
        actor=None,
        with_pdf=False,
    )
    # A stored PDF without rendering one (the sealed rendition has its own test in test_pdf.py).
    key = default_storage.save(f"licences/test/{licence.pk}.pdf", ContentFile(PDF_BYTES))
    Licence.objects.filter(pk=licence.pk).update(
        pdf_storage_key=key, pdf_sm3="0" * 64, pdf_key_id=licence.key_id
    )
    licence.refresh_from_db()
    return licence


def _grant(people, licence, **body):
    body.setdefault("purpose", "办理律师事务所设立许可，核验律师执业证")
    body.setdefault("valid_until", (timezone.localdate() + dt.timedelta(days=30)).isoformat())
    return client_for(people["citizen"]).post(
        f"/api/v1/me/licences/{licence.identifier}/authorisations/", body, format="json"
    )


def test_wallet_lists_only_my_licences(people, orgs, licence):
    issue_licence(
        LicenceType.objects.get(key="law_firm_licence"),
        people["firm"],
        orgs["zj"],
        actor=None,
        with_pdf=False,
    )
    mine = client_for(people["citizen"]).get("/api/v1/me/licences/").json()["results"]
    assert [(e["identifier"], e["name"], e["status"]) for e in mine] == [
        (licence.identifier, "律师执业证", "valid")
    ]
    assert mine[0]["number"] == licence.number and mine[0]["valid_until"] is None and mine[0]["has_pdf"]
    assert client_for(people["other"]).get("/api/v1/me/licences/").json()["results"] == []
    assert client_for().get("/api/v1/me/licences/").status_code in (401, 403)


def test_the_holder_downloads_the_pdf_and_everyone_else_gets_404(people, licence):
    url = f"/api/v1/licences/{licence.identifier}/pdf/"
    response = client_for(people["citizen"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content if response.streaming else [response.content]) == PDF_BYTES
    for outsider in (people["other"], people["hz_clerk"], people["decider"]):
        response = client_for(outsider).get(url)
        assert response.status_code == 404 and response.json()["code"] == "licence.not_found"
    assert (
        client_for(people["other"]).get(f"/api/v1/me/licences/{licence.identifier}/uses/").status_code == 404
    )


def test_an_authorised_organisation_uses_the_licence_and_the_holder_sees_it(people, orgs, licence):
    response = _grant(people, licence, organisation_id=orgs["hz"].pk)
    assert response.status_code == 201, response.json()
    grant = response.json()
    assert grant["organisation"] == "杭州市司法局" and grant["active"]

    url = f"/api/v1/licences/{licence.identifier}/pdf/"
    assert client_for(people["hz_clerk"]).get(url).status_code == 200
    assert client_for(people["xh_clerk"]).get(url).status_code == 404  # a sub-organisation is not the grantee

    uses = (
        client_for(people["citizen"]).get(f"/api/v1/me/licences/{licence.identifier}/uses/").json()["results"]
    )
    assert len(uses) == 1
    assert (
        uses[0]["organisation"] == "杭州市司法局"
        and uses[0]["purpose"] == "办理律师事务所设立许可，核验律师执业证"
    )
    assert uses[0]["action"] == "download_pdf" and uses[0]["authorisation_id"] == grant["id"]

    revoke = client_for(people["citizen"]).post(
        f"/api/v1/me/licences/{licence.identifier}/authorisations/{grant['id']}/revoke/"
    )
    assert revoke.status_code == 200 and revoke.json()["active"] is False
    assert client_for(people["hz_clerk"]).get(url).status_code == 404
    listed = (
        client_for(people["citizen"]).get(f"/api/v1/me/licences/{licence.identifier}/authorisations/").json()
    )
    assert [g["active"] for g in listed["results"]] == [False]


def test_an_expired_authorisation_no_longer_works(people, orgs, licence, time_machine):
    _grant(people, licence, organisation_id=orgs["hz"].pk, valid_until=timezone.localdate().isoformat())
    url = f"/api/v1/licences/{licence.identifier}/pdf/"
    assert client_for(people["hz_clerk"]).get(url).status_code == 200
    time_machine.move_to(timezone.now() + dt.timedelta(days=2))
    assert client_for(people["hz_clerk"]).get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"purpose": ""}, "field.required"),
        ({"purpose": "事" * 201}, "field.too_long"),
        ({"valid_until": "2001-01-01"}, "licence.bad_validity"),
        ({"valid_until": "2999-01-01"}, "licence.authorisation_too_long"),
        ({}, "licence.grantee_required"),
        ({"organisation_id": 999999}, "licence.unknown_organisation"),
        ({"application_number": "SF000"}, "licence.unknown_application"),
    ],
)
def test_bad_authorisations_get_400_with_a_code(people, licence, body, code):
    response = _grant(people, licence, **body)
    assert response.status_code == 400
    codes = {response.json()["code"], *(e["code"] for e in response.json().get("errors", []))}
    assert code in codes


def test_another_citizen_cannot_authorise_my_licence(people, orgs, licence):
    response = client_for(people["other"]).post(
        f"/api/v1/me/licences/{licence.identifier}/authorisations/",
        {
            "purpose": "冒用",
            "valid_until": timezone.localdate().isoformat(),
            "organisation_id": orgs["hz"].pk,
        },
        format="json",
    )
    assert response.status_code == 404


def test_revoking_a_grant_is_undone_when_its_audit_event_fails(people, orgs, licence, monkeypatch):
    """Regression (issue 10): the revocation and its audit event were two transactions, so a failed
    event left the authorisation revoked with nobody recorded as having revoked it."""
    grant = _grant(people, licence, organisation_id=orgs["hz"].pk).json()

    def broken_record(*args, **kwargs):
        raise RuntimeError("the audit chain is unavailable")

    monkeypatch.setattr("sifa.licences.services.wallet.record", broken_record)
    with pytest.raises(RuntimeError):
        services.revoke_grant(licence, grant["id"], holder=people["citizen"])
    assert LicenceAuthorisation.objects.get(pk=grant["id"]).revoked_at is None
    assert (
        client_for(people["hz_clerk"]).get(f"/api/v1/licences/{licence.identifier}/pdf/").status_code == 200
    )


def test_revoking_twice_records_one_event_and_a_malformed_id_is_404(people, orgs, licence):
    grant = _grant(people, licence, organisation_id=orgs["hz"].pk).json()
    base = f"/api/v1/me/licences/{licence.identifier}/authorisations"
    for _ in range(2):
        assert client_for(people["citizen"]).post(f"{base}/{grant['id']}/revoke/").status_code == 200
    assert (
        AuditEvent.objects.filter(action="licence.authorisation_revoked", object_id=grant["id"]).count() == 1
    )
    response = client_for(people["citizen"]).post(f"{base}/not-a-uuid/revoke/")
    assert response.status_code == 404 and response.json()["code"] == "licence.authorisation_not_found"
