"""Agents under a mandate (a law firm for its client) and walk-in applicants at the window: the
happy paths, and every bad input answered with a clear 4xx while nothing is written."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from sifa.accounts import consents
from sifa.accounts.models import LegalPerson, NaturalPerson
from sifa.accounts.services import create_mandate, revoke_mandate
from sifa.accounts.tests.factories import uscc
from sifa.applications.models import Application, IdempotencyRecord, SubmissionChannel
from sifa.catalogue.models import CatalogueItem, ImplementationEntry
from sifa.testing import CompanyFactory

from .conftest import LAWYER_FULL_TIME, PDF, _client, _staff, id_number, lawyer_form

CONSENT = consents.current(consents.REGISTER_ID_NUMBER).version  # §29, read at the window

API = "/api/v1/applications"
LAWYER_MAIN = LAWYER_FULL_TIME[:-3] + "000"
TODAY = dt.date.today()


def _body(world, **extra) -> dict:
    return {"entry": world["entry"].implementation_code, "form_data": lawyer_form(), **extra}


@pytest.fixture
def firm(world):
    return CompanyFactory(name="浙江明理律师事务所", legal_representative="周律", phone="13900000003").user


@pytest.fixture
def mandate(world, firm):
    """张三 (world["citizen"]) mandates the law firm for 律师执业许可 (the 主项: covers 专职)."""
    return create_mandate(
        principal=world["citizen"],
        agent=firm,
        scope=[LAWYER_MAIN],
        valid_from=TODAY,
        valid_until=TODAY + dt.timedelta(days=60),
    )


def test_a_law_firm_applies_for_its_client_under_the_mandate(world, firm, mandate):
    firm_api = _client(firm)
    body = _body(world, on_behalf_of=str(world["citizen"].public_id))
    response = firm_api.post(f"{API}/drafts/", body, format="json")
    assert response.status_code == 201, response.json()
    app = Application.objects.get(pk=response.json()["id"])
    assert (app.applicant, app.agent, app.mandate, app.channel) == (
        world["citizen"],
        firm,
        mandate,
        SubmissionChannel.AGENT,
    )
    assert app.applicant_person.name == "张三"
    # Both see it in their lists; the principal can open it.
    assert [a["id"] for a in world["api"].get(f"{API}/").json()["results"]] == [str(app.pk)]
    [listed] = firm_api.get(f"{API}/").json()["results"]
    assert listed["id"] == str(app.pk) and listed["channel"] == "agent"
    assert listed["agent"] == {"public_id": str(firm.public_id), "display_name": "浙江明理律师事务所"}


def test_after_revocation_the_firm_can_neither_continue_nor_start(world, firm, mandate):
    firm_api = _client(firm)
    body = _body(world, on_behalf_of=str(world["citizen"].public_id))
    draft = firm_api.post(f"{API}/drafts/", body, format="json").json()
    revoke_mandate(mandate, by=world["citizen"])

    changed = firm_api.patch(f"{API}/drafts/{draft['id']}/", {"form_data": {"address": "改"}}, format="json")
    assert changed.status_code == 403
    assert changed.json()["code"] == "application.mandate_ended"
    assert "撤销委托" in changed.json()["message"]
    material = world["entry"].version.materials.first()
    upload = firm_api.post(
        f"{API}/{draft['id']}/materials/",
        {"material": material.pk, "file": io.BytesIO(PDF)},
        format="multipart",
    )
    assert upload.status_code == 403 and upload.json()["code"] == "application.mandate_ended"
    submitted = firm_api.post(f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY="k1")
    assert submitted.status_code == 403 and submitted.json()["code"] == "application.mandate_ended"
    again = firm_api.post(f"{API}/drafts/", body, format="json")
    assert again.status_code == 403 and again.json()["code"] == "application.no_mandate"

    app = Application.objects.get(pk=draft["id"])
    assert app.form_data == lawyer_form() and app.status == "draft" and app.number is None
    assert not app.materials.filter(provenance="upload").exists()
    assert Application.objects.count() == 1 and not IdempotencyRecord.objects.exists()
    # The principal still can: it is their application.
    mine = world["api"].patch(f"{API}/drafts/{draft['id']}/", {"form_data": lawyer_form()}, format="json")
    assert mine.status_code == 200


def test_a_mandate_for_other_items_does_not_cover_this_one(world, firm):
    create_mandate(
        principal=world["citizen"],
        agent=firm,
        scope=[CatalogueItem.objects.get(name="法律援助申请").basic_code],
        valid_from=TODAY,
        valid_until=TODAY + dt.timedelta(days=10),
    )
    refused = _client(firm).post(
        f"{API}/drafts/", _body(world, on_behalf_of=str(world["citizen"].public_id)), format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "application.no_mandate"
    assert not Application.objects.exists()


@pytest.fixture
def town_clerk(world, django_user_model):
    return _client(_staff(django_user_model, "town-clerk", world["orgs"]["xh_town"]))


def _org_entry(world, organisation_key: str, item_name: str) -> ImplementationEntry:
    return ImplementationEntry.objects.get(item__name=item_name, organisation=world["orgs"][organisation_key])


def test_a_township_clerk_receives_an_organisation_for_a_city_item(world, town_clerk):
    entry = _org_entry(world, "hz", "律师事务所设立许可")
    firm_uscc = uscc("330106")
    walk_in = {
        "kind": "company",
        "name": "浙江新设律师事务所",
        "uscc": firm_uscc,
        "legal_representative": "周律",
    }
    response = town_clerk.post(
        f"{API}/drafts/", {"entry": entry.implementation_code, "applicant": walk_in}, format="json"
    )
    assert response.status_code == 201, response.json()
    app = Application.objects.get(pk=response.json()["id"])
    assert app.channel == SubmissionChannel.WINDOW and app.applicant is None
    assert (
        app.applicant_company.uscc == firm_uscc
        and app.applicant_company.scope_path == entry.organisation.path
    )

    # The same organisation again under another name: refused, nothing new.
    renamed = town_clerk.post(
        f"{API}/drafts/",
        {"entry": entry.implementation_code, "applicant": {**walk_in, "name": "浙江别的律师事务所"}},
        format="json",
    )
    assert renamed.status_code == 400
    assert renamed.json()["errors"][0]["code"] == "applicant.name_mismatch"
    assert Application.objects.count() == 1 and LegalPerson.objects.count() == 1


@pytest.mark.parametrize(
    ("walk_in", "field", "code"),
    [
        ({"name": "王五", "id_number": "330106197002020011"}, "applicant.id_number", "id_number.check_digit"),
        ({"name": "王五", "id_number": "3301061970"}, "applicant.id_number", "id_number.length"),
        ({"name": "", "id_number": id_number("33010619700202001")}, "applicant.name", "field.required"),
        ({"kind": "company", "name": "某某公司", "uscc": "91330106MA2ABCDE1X"}, "applicant.uscc", None),
        (
            {"kind": "company", "name": "某某公司", "uscc": uscc("330106")},
            "applicant.legal_representative",
            None,
        ),
        ({"kind": "robot", "name": "某某"}, "applicant.kind", "applicant.kind"),
    ],
)
def test_bad_walk_in_identities_get_a_clear_400_and_nothing_is_written(
    world, town_clerk, walk_in, field, code
):
    response = town_clerk.post(f"{API}/drafts/", _body(world, applicant=walk_in), format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "application.invalid"
    assert field in {e["field"] for e in body["errors"]}
    if code:
        assert code in {e["code"] for e in body["errors"]}
    assert not Application.objects.exists()
    assert not NaturalPerson.objects.filter(user__isnull=True).exists()
    assert not LegalPerson.objects.exists()


def test_a_walk_in_under_a_registered_citizens_number_must_carry_their_name(world, town_clerk):
    registered = {"name": "张三", "id_number": lawyer_form()["id_number"], "id_number_consent": CONSENT}
    ok = town_clerk.post(f"{API}/drafts/", _body(world, applicant=registered), format="json")
    assert ok.status_code == 201
    # Filed under the registered citizen: it shows in their own space.
    assert Application.objects.get(pk=ok.json()["id"]).applicant == world["citizen"]
    wrong = town_clerk.post(
        f"{API}/drafts/", _body(world, applicant={**registered, "name": "张山"}), format="json"
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["code"] == "applicant.name_mismatch"
    assert Application.objects.count() == 1


def test_a_township_clerk_cannot_receive_for_another_countys_organisation(world, town_clerk):
    beijing = _org_entry(world, "dc", "律师执业许可（专职律师执业）")
    walk_in = {"name": "王五", "id_number": id_number("33010619700202001"), "id_number_consent": CONSENT}
    response = town_clerk.post(
        f"{API}/drafts/", {"entry": beijing.implementation_code, "applicant": walk_in}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "application.not_clerk"
    assert "北京市东城区司法局" in response.json()["message"]
    assert not Application.objects.exists() and not NaturalPerson.objects.filter(user__isnull=True).exists()


def test_applicant_must_be_an_object(world, town_clerk):
    response = town_clerk.post(f"{API}/drafts/", _body(world, applicant="王五"), format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "applicant"
