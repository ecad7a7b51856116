"""The one-licence rule (律师法第十条: 律师只能在一个律师事务所执业): one who already holds a valid
律师执业证 is refused an item that would issue another — when drafting and submitting (API, portal,
window), at the decision (the decider gives a 不予 decision instead) and, last, at issuing. A
change (换发) is not refused, and a licence no longer valid (吊销, 注销, expired) does not count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sifa.accounts import consents
from sifa.accounts.services import register_person
from sifa.applications.models import Application
from sifa.applications.services import refuse_a_second_licence, submit
from sifa.applications.services.drafts import start_draft
from sifa.catalogue.guides import ONE_LICENCE_NOTICES
from sifa.catalogue.models import ImplementationEntry, LicenceEffect
from sifa.catalogue.tests.conftest import cat, loaded  # noqa: F401  (fixtures)
from sifa.core.errors import Conflict
from sifa.licences.models import Licence, LicenceStatus
from sifa.licences.one_per_holder import one_per_holder_type
from sifa.licences.services import check_subject, issue_for_application, load_licence_types
from sifa.organisations.models import Role
from sifa.testing import bearer_client, staff, verified_login

from .conftest import CITIZEN_ID

LAWYER_FULL_TIME = "000100001001"
LAWYER_CHANGE = "000100002000"
REFUSED = "application.licence_already_held"


@pytest.fixture
def world(cat):  # noqa: F811  (the imported fixture)
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


def _entry(world, basic_code: str = LAWYER_FULL_TIME) -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("version", "item").get(
        item__basic_code=basic_code, organisation=world["orgs"]["hz"]
    )


def _draft(world, basic_code: str = LAWYER_FULL_TIME, **kwargs):
    form = {"law_firm": "浙江示例律师事务所"}
    actor = kwargs.pop("actor", world["citizen"])
    return start_draft(_entry(world, basic_code), actor=actor, form_data=form, **kwargs)


def _licensed(world) -> Licence:
    return issue_for_application(_draft(world), world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)


def test_a_lawyer_holding_a_valid_licence_cannot_draft_another_licence_application(world):
    held = _licensed(world)
    with pytest.raises(Conflict) as refused:
        _draft(world)
    assert refused.value.code == REFUSED and refused.value.status == 409
    message = refused.value.message
    assert f"张三已持有律师执业证（编号{held.number}，浙江省司法厅颁发，状态：有效）" in message
    assert "不能再申请“律师执业许可（专职律师执业）”" in message
    assert "《中华人民共和国律师法》第十条" in message and "律师执业变更许可（变更执业机构）" in message


def test_a_change_of_firm_is_not_refused(world):
    _licensed(world)
    change = _draft(world, LAWYER_CHANGE)  # 换发: acts on the licence held
    assert change.version.licence_effect == LicenceEffect.REISSUE


@pytest.mark.parametrize("ended", ["revoked", "cancelled", "expired"])
def test_a_licence_no_longer_in_force_does_not_count(world, ended):
    held = _licensed(world)
    if ended == "expired":
        Licence.objects.filter(pk=held.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    else:
        Licence.objects.filter(pk=held.pk).update(status=getattr(LicenceStatus, ended.upper()))
    assert _draft(world).status == "draft"


def test_a_suspended_lawyer_still_holds_the_licence(world):
    """停止执业 is a penalty on the licence held: a new licence would escape it."""
    held = _licensed(world)
    Licence.objects.filter(pk=held.pk).update(status=LicenceStatus.SUSPENDED)
    with pytest.raises(Conflict) as refused:
        _draft(world)
    assert refused.value.code == REFUSED and "状态：停止执业" in refused.value.message


def test_a_licence_issued_after_the_draft_is_refused_at_submission_and_at_the_decision(world):
    first, second = _draft(world), _draft(world)
    issue_for_application(first, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    with pytest.raises(Conflict) as refused:
        submit(second, actor=world["citizen"])
    assert refused.value.code == REFUSED
    second.refresh_from_db()
    assert second.status == "draft" and second.number is None  # nothing written
    # Submitted before the first was issued (or the licence imported since): the decider is told
    # before approving, and gives a 不予 decision instead of one that could never be issued.
    with pytest.raises(Conflict) as at_decision:
        check_subject(second)
    assert at_decision.value.code == "licence.already_held"
    assert "请作出不予决定" in at_decision.value.message and "律师法》第十条" in at_decision.value.message
    with pytest.raises(Conflict) as at_issuing:  # the last line of defence
        issue_for_application(second, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    assert at_issuing.value.code == "licence.already_held"


def test_only_an_item_issuing_a_one_per_holder_licence_reads_anything(world):
    """The rule costs one query for 律师执业许可 / 律师事务所设立许可 and none for any other item."""
    _licensed(world)
    change = _draft(world, LAWYER_CHANGE)
    with CaptureQueriesContext(connection) as reads:
        refuse_a_second_licence(change)
    assert len(reads) == 0
    others = [
        e
        for e in ImplementationEntry.objects.select_related("version", "item").filter(
            organisation=world["orgs"]["hz"], version__licence_effect=LicenceEffect.ISSUE
        )
        if one_per_holder_type(e.version.result_name) is None
    ]
    assert others
    for entry in others:
        app = Application(entry=entry, version=entry.version, applicant=world["citizen"])
        with CaptureQueriesContext(connection) as reads:
            refuse_a_second_licence(app)
        assert len(reads) == 0, entry.item.name
    lawyer = Application(entry=_entry(world), version=_entry(world).version, applicant=world["citizen"])
    with CaptureQueriesContext(connection) as reads, pytest.raises(Conflict):
        refuse_a_second_licence(lawyer)
    assert len(reads) == 1


def test_the_api_refuses_the_draft_and_the_one_step_application_in_chinese(world):
    _licensed(world)
    client = bearer_client(world["citizen"])
    body = {"entry": _entry(world).implementation_code, "form_data": {"law_firm": "浙江示例律师事务所"}}
    for url in ("/api/v1/applications/drafts/", "/api/v1/applications/"):
        answer = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"one-licence-{url}")
        assert answer.status_code == 409, (url, answer.content)
        assert answer.json()["code"] == REFUSED and "律师法》第十条" in answer.json()["message"]


def test_the_portal_says_it_on_the_start_page_and_refuses_the_draft(world, client):
    _licensed(world)
    client.force_login(world["citizen"])
    url = f"/apply/{_entry(world).implementation_code}/"
    page = client.get(url).content.decode()
    assert 'id="licence-already-held"' in page and "已持有律师执业证" in page
    assert "律师法》第十条" in page and "开始新的申请" not in page  # nothing to start
    refused = client.post(url)
    assert refused.status_code == 409
    assert "已持有律师执业证" in refused.content.decode() and REFUSED in refused.content.decode()


def test_the_portal_refuses_at_submission_a_draft_made_before_the_licence(world, client):
    first, second = _draft(world), _draft(world)
    issue_for_application(first, world["decider"], issuer=world["orgs"]["zj"], with_pdf=False)
    client.force_login(world["citizen"])
    answer = client.post(reverse("citizen-apply-check", args=[second.pk]))
    assert answer.status_code == 409
    assert "已持有律师执业证" in answer.content.decode() and REFUSED in answer.content.decode()
    second.refresh_from_db()
    assert second.status == "draft"


def test_the_window_cannot_file_it_for_a_walk_in_holder(world):
    """一窗受理: the clerk entering a walk-in who already holds the licence is refused with the same
    message (by the 公民身份号码: the person's licence, account or not)."""
    _licensed(world)
    clerk = staff("hz-clerk", world["orgs"]["hz"], Role.WINDOW_CLERK)
    walk_in = {
        "kind": "person",
        "name": "张三",
        "id_number": CITIZEN_ID,
        "id_number_consent": consents.current(consents.REGISTER_ID_NUMBER).version,
    }
    with pytest.raises(Conflict) as refused:
        _draft(world, actor=clerk, walk_in=walk_in)
    assert refused.value.code == REFUSED and "张三已持有律师执业证" in refused.value.message


def test_a_law_firm_holding_its_licence_cannot_apply_to_be_set_up_again(world):
    """Our reading of 律师法 §18, §21 (docs/licences.md): a firm is set up once, its changes are
    律师事务所变更许可. Found by the account and by the USCC's blind index."""
    from sifa.licences.services import issue_licence
    from sifa.licences.types import type_for
    from sifa.testing import CompanyFactory

    firm = CompanyFactory(name="浙江示例律师事务所").user
    held = issue_licence(type_for("law_firm_licence"), firm, world["orgs"]["zj"], actor=None, with_pdf=False)
    entry = ImplementationEntry.objects.get(item__name="律师事务所设立许可", organisation=world["orgs"]["hz"])
    with pytest.raises(Conflict) as refused:
        start_draft(entry, actor=firm, form_data={})
    assert refused.value.code == REFUSED
    assert f"律师事务所执业许可证（编号{held.number}" in refused.value.message
    assert "第二十一条" in refused.value.message and "律师事务所变更许可" in refused.value.message
    Licence.objects.filter(pk=held.pk).update(holder=None)  # held by the USCC alone (imported)
    with pytest.raises(Conflict):
        start_draft(entry, actor=firm, form_data={})


def test_the_guides_of_the_items_the_rule_refuses_tell_a_holder_to_apply_for_the_change(world, client):
    """The notice is page text by 基本编码 (the catalogue cannot read this app): it is on exactly the
    guides of the items that issue a one-per-holder licence, and on no other."""
    refused = {
        entry.item.basic_code
        for entry in ImplementationEntry.objects.select_related("item", "version")
        if entry.version.licence_effect == LicenceEffect.ISSUE
        and one_per_holder_type(entry.version.result_name)
    }
    assert (
        refused
        == set(ONE_LICENCE_NOTICES)
        == {"000100001001", "000100001002", "000100004000", "000100008000"}
    )
    page = client.get(f"/guides/{_entry(world).implementation_code}/").content.decode()
    notice = page[page.index('id="one-licence"') :]
    assert "已持有有效律师执业证书的" in notice and "律师执业变更许可（变更执业机构）" in notice
    assert "律师法</a>第十条" in notice or "律师法第十条" in notice
    change = client.get(f"/guides/{_entry(world, LAWYER_CHANGE).implementation_code}/").content.decode()
    assert 'id="one-licence"' not in change
    answer = client.get(f"/guides/{_entry(world).implementation_code}.json").json()
    assert answer["one_licence_notice"] == ONE_LICENCE_NOTICES[LAWYER_FULL_TIME]


def test_the_window_clerk_sees_the_refusal_on_the_page(world, client):
    """窗口受理 in the workbench: the clerk starting 律师执业许可 for a walk-in who holds a 律师执业证
    reads the Chinese refusal on the page, and no application is made."""
    _licensed(world)
    before = Application.objects.count()
    clerk = staff("hz-window", world["orgs"]["hz"], Role.WINDOW_CLERK, two_factor=True, registered=True)
    verified_login(client, clerk)
    start = client.get("/workbench/window/new/", {"item": LAWYER_FULL_TIME}).content.decode()
    assert _entry(world).implementation_code in start
    answer = client.post(
        "/workbench/window/new/",
        {
            "item": LAWYER_FULL_TIME,
            "entry": _entry(world).implementation_code,
            "kind": "person",
            "name": "张三",
            "id_number": CITIZEN_ID,
            "phone": "13900000011",
            "id_number_consent": "on",
            "id_number_consent_version": consents.current(consents.REGISTER_ID_NUMBER).version,
        },
    )
    page = answer.content.decode()
    assert answer.status_code == 409
    assert "张三已持有律师执业证" in page and "律师法》第十条" in page
    assert "律师执业变更许可（变更执业机构）" in page and REFUSED in page
    assert Application.objects.count() == before
