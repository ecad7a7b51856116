"""With the real catalogue: an approved 律师执业许可 issues a 律师执业证 (no workflow needed), and a
later application that needs the licence takes it from the wallet instead of asking for it; a
change re-issues it, and without a licence in the wallet a change cannot even be drafted."""

from __future__ import annotations

import io

import pytest

from sifa.accounts.services import register_person
from sifa.applications.models import MaterialProvenance
from sifa.applications.services import upload_material
from sifa.applications.services.drafts import start_draft
from sifa.applications.tests.conftest import PDF
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.core.errors import Conflict, ServiceError
from sifa.core.licence_ids import parse_licence_id
from sifa.licences.models import LicenceUse
from sifa.licences.services import apply_decision, issue_for_application, load_licence_types
from sifa.organisations.models import Role
from sifa.testing import staff

from .conftest import CITIZEN_ID

LAWYER_FULL_TIME = "000100001001"


@pytest.fixture
def world(cat, django_user_model):  # noqa: F811  (the imported fixture)
    load_licence_types()
    citizen = register_person(
        name="张三",
        id_number=CITIZEN_ID,
        phone="13900000011",
        password="Sifa-Secret-2026!",
        region_code="330106",
    ).user
    decider = staff("zj-decider", cat["orgs"]["zj"], Role.DECISION_MAKER)
    return {"orgs": cat["orgs"], "citizen": citizen, "decider": decider}


def _draft(world, basic_code: str, **form):
    entry = ImplementationEntry.objects.select_related("version").get(
        item__basic_code=basic_code, organisation=world["orgs"]["hz"]
    )
    return start_draft(entry, actor=world["citizen"], form_data={"law_firm": "浙江示例律师事务所", **form})


def test_an_approved_lawyer_application_issues_a_lawyer_licence(world):
    application = _draft(world, LAWYER_FULL_TIME)
    licence = issue_for_application(application, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    assert licence is not None and licence.name == "律师执业证" and licence.holder == world["citizen"]
    assert parse_licence_id(licence.identifier).issuer_code == world["orgs"]["zj"].uscc
    assert licence.particulars == {"practice_organisation": "浙江示例律师事务所"}
    assert licence.application == application
    # A retried decision does not issue a second licence.
    assert issue_for_application(application, world["decider"], with_pdf=False) == licence


def test_a_lawyer_holding_a_valid_licence_is_issued_no_second_one(world):
    """律师法第十条: a lawyer practises at one firm, and changing it is a 换发 — an approved second
    律师执业许可 does not issue a second 律师执业证 (409 ``licence.already_held``, naming the one held);
    once that one is no longer valid (注销), a new one may be issued."""
    from sifa.licences.models import Licence, LicenceStatus

    # Both drafted before either licence exists (the refusals at application and at the decision
    # come first; tests/test_one_licence.py): the guard at issuing is the last line of defence.
    first, again = _draft(world, LAWYER_FULL_TIME), _draft(world, LAWYER_FULL_TIME)
    held = issue_for_application(first, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    with pytest.raises(Conflict) as refused:
        issue_for_application(again, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    assert refused.value.code == "licence.already_held"
    assert held.number in refused.value.message and "律师法》第十条" in refused.value.message
    assert Licence.objects.filter(holder=world["citizen"]).count() == 1
    Licence.objects.filter(pk=held.pk).update(status=LicenceStatus.CANCELLED)
    second = issue_for_application(again, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    assert second is not None and second.pk != held.pk


def test_a_change_application_takes_the_licence_from_the_wallet_with_provenance(world):
    first = issue_for_application(
        _draft(world, LAWYER_FULL_TIME), world["decider"], issuer=world["orgs"]["zj"], with_pdf=False
    )
    change = _draft(world, "000100002000")
    material = change.materials.get(material__name="律师执业证书")
    assert material.provenance == MaterialProvenance.LICENCE
    assert material.source_reference == first.identifier
    assert material.source_label == f"来自电子证照库：律师执业证 {first.number}（浙江省司法厅）"

    use = LicenceUse.objects.get(licence=first)
    assert use.application == change and use.action == "once_only" and "律师执业证书" in use.purpose

    # The approved change re-issues the licence as version 002 with the new practice organisation.
    change.form_data = {"law_firm": "浙江新律师事务所"}
    second = apply_decision(change, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    assert parse_licence_id(second.identifier).version == 2 and second.previous == first
    assert second.particulars == {"practice_organisation": "浙江新律师事务所"}
    first.refresh_from_db()
    assert first.status == "superseded"
    # A retried task finds the version it issued.
    assert apply_decision(change, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False) == second


def test_a_change_cannot_be_drafted_without_a_licence_in_the_wallet(world):
    with pytest.raises(Conflict) as refused:
        _draft(world, "000100002000")
    assert refused.value.code == "application.no_current_licence"
    assert "浙江省司法厅颁发的有效律师执业证书" in refused.value.message


def test_a_revoked_licence_is_not_offered(world):
    from sifa.licences.services import revoke

    first = issue_for_application(
        _draft(world, LAWYER_FULL_TIME), world["decider"], issuer=world["orgs"]["zj"], with_pdf=False
    )
    revoke(first, actor=world["decider"], reason="吊销")
    with pytest.raises(Conflict) as refused:
        _draft(world, "000100002000")
    assert refused.value.code == "application.no_current_licence"


def test_the_licence_a_change_is_about_cannot_be_swapped_for_an_upload(world):
    issue_for_application(
        _draft(world, LAWYER_FULL_TIME), world["decider"], issuer=world["orgs"]["zj"], with_pdf=False
    )
    change = _draft(world, "000100002000")
    subject = change.materials.get(material__name="律师执业证书")
    with pytest.raises(ServiceError) as refused:
        upload_material(
            change,
            actor=world["citizen"],
            material_id=subject.material_id,
            fileobj=io.BytesIO(PDF),
            filename="执业证.pdf",
            declared_content_type="application/pdf",
        )
    assert refused.value.errors[0]["code"] == "material.from_licence_library"
    subject.refresh_from_db()
    assert not subject.superseded and subject.provenance == MaterialProvenance.LICENCE


def test_a_walk_in_applicant_without_an_account_holds_the_licence_by_the_checked_identity(world):
    """一窗受理: a person recorded at the window without an account. Their licence used to fail
    forever (licence.holder_without_account): the 准予 decision letter stayed 出具失败，待重试 and
    the window had no certificate to hand over. It is issued to the recorded person, found later by
    the blind index of the 公民身份号码."""
    from sifa.accounts import consents
    from sifa.core.crypto import field_cipher
    from sifa.licences.selectors import usable_wallet_licence
    from sifa.testing import id_number

    clerk = staff("hz-clerk", world["orgs"]["hz"], Role.WINDOW_CLERK)
    number = id_number("33010619900101456")
    entry = ImplementationEntry.objects.select_related("version").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=world["orgs"]["hz"]
    )
    walk_in = {
        "kind": "person",
        "name": "李窗口",
        "id_number": number,
        "id_number_consent": consents.current(consents.REGISTER_ID_NUMBER).version,
    }
    application = start_draft(
        entry, actor=clerk, walk_in=walk_in, form_data={"law_firm": "浙江示例律师事务所"}
    )
    assert application.applicant_id is None and application.applicant_person_id is not None
    licence = issue_for_application(application, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    assert licence is not None and licence.holder_id is None
    assert licence.holder_name == "李窗口" and licence.reveal_holder_code() == number
    index = field_cipher().blind_index(number, "accounts.id_number")
    assert licence.holder_code_index == index
    found = usable_wallet_licence(licence.licence_type_id, holder_id=None, id_number_index=index)
    assert found == licence
    assert issue_for_application(application, world["decider"], with_pdf=False) == licence
