"""Once-only over the exchange (SIFA_PARTNER_DATA=exchange) against a real police simulator process:
the applicant's consent first; identity and criminal-record materials satisfied by the police's
signed answer (its message id kept); a mismatch or a record does not satisfy; the simulator stopped
or no address configured makes the form ask for the upload with a clear message; every request
that left is a row of the applicant's data tracker, seen by nobody else and carrying no ID number."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from sifa.accounts import consents
from sifa.accounts.models import ConsentRecord
from sifa.applications.models import Application, MaterialProvenance
from sifa.applications.partner_data import CONSENT_VERSION
from sifa.audit.models import AuditEvent, PersonalDataAccess
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.tests.conftest import CATALOGUE_TREE
from sifa.core.signing import default_keyring
from sifa.exchange.demo import DEMO_PARTNERS
from sifa.exchange.models import Direction, ExchangeMessage, PartnerKey
from sifa.exchange.services import partners
from sifa.exchange.simulator.data import CRIMINAL_RECORDS
from sifa.exchange.tests.test_http_transport import SimProcess, free_port
from sifa.testing import PersonFactory, api_client, catalogue_tree, id_number, rolled_back

from .conftest import LAWYER_FULL_TIME, lawyer_form

API = "/api/v1/applications"
IDENTITY = "申请人的身份证明"
RECORD = "无犯罪记录证明"
POLICE_USCC = DEMO_PARTNERS[0].uscc
CLEAN_ID = id_number("33010619900101123")
MISMATCH_ID = id_number("33010619900101995")  # 顺序码 995: registered to someone else
RECORD_ID = sorted(CRIMINAL_RECORDS)[0]
OTHER_ID = id_number("33010619850505432")
NOTARY = "000100009000"
"""公证员执业许可（任职）: its police material is the identity alone (no criminal-record check)."""


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[dict[str, Any]]:
    key_dir = tmp_path_factory.mktemp("partner-keys")
    with rolled_back(django_db_blocker):
        orgs = catalogue_tree(*CATALOGUE_TREE)  # with the licence types, as `sifa run` loads them
        partners.load_demo_partners(key_dir)
        for key in PartnerKey.objects.all():  # made just now: backdate, as the exchange tests do
            partners.add_key(
                key.partner,
                key.public_key_pem,
                key_id=key.key_id,
                valid_from=key.valid_from - dt.timedelta(days=1),
            )
        people = {
            "clean": PersonFactory(
                name="张三", id_number=CLEAN_ID, phone="13800000011", region_code="330106"
            ),
            "mismatch": PersonFactory(
                name="王五", id_number=MISMATCH_ID, phone="13800000012", region_code="330106"
            ),
            "record": PersonFactory(
                name="赵六", id_number=RECORD_ID, phone="13800000013", region_code="330106"
            ),
            "other": PersonFactory(
                name="李四", id_number=OTHER_ID, phone="13800000014", region_code="330106"
            ),
        }
        entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
        notary = ImplementationEntry.objects.get(item__basic_code=NOTARY, organisation=orgs["hz"])
        yield {"orgs": orgs, "people": people, "entry": entry, "notary": notary, "key_dir": key_dir}


@pytest.fixture(scope="module")
def police(_world, tmp_path_factory) -> Iterator[SimProcess]:
    folder = tmp_path_factory.mktemp("police-sim")
    keys = folder / "sifa-keys.json"
    ring = default_keyring()
    ring.signer()
    keys.write_text(json.dumps(ring.public_keys()), encoding="utf-8")
    sim = SimProcess("police", folder, _world["key_dir"], keys)
    sim.start()
    yield sim
    if sim.process is not None and sim.process.poll() is None:
        sim.stop()


@pytest.fixture
def world(_world, police, db, settings, tmp_path) -> Iterator[dict[str, Any]]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with override_settings(
        PARTNER_DATA="exchange",
        EXCHANGE_ENDPOINTS=[f"{POLICE_USCC}={police.endpoint}"],
        PARTNER_QUERY_TIMEOUT_SECONDS=3,
    ):
        yield _world


def _draft(world, who: str) -> dict[str, Any]:
    person = world["people"][who]
    form = lawyer_form(applicant_name=person.name, id_number=person.reveal_id_number())
    answer = api_client(person.user).post(
        f"{API}/drafts/", {"entry": world["entry"].implementation_code, "form_data": form}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    return answer.json()


def _consent(world, who: str, draft: dict[str, Any], given: bool = True) -> dict[str, Any]:
    answer = api_client(world["people"][who].user).patch(
        f"{API}/drafts/{draft['id']}/", {"partner_consent": given}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    return answer.json()


def _material(draft: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in draft["materials"] if m["name"] == name)


def _outbound(draft_id: str) -> list[ExchangeMessage]:
    prefix = f"草稿 {draft_id[:8]}"
    return list(
        ExchangeMessage.objects.filter(direction=Direction.OUTBOUND, case_number=prefix).order_by("pk")
    )


def test_without_consent_nobody_is_asked_and_the_materials_are_uploads(world):
    draft = _draft(world, "clean")
    consent = draft["partner_consent"]
    assert consent["given_at"] is None and consent["label"] == "同意向公安机关核验身份信息和无犯罪记录"
    assert {c["material"] for c in consent["checks"]} == {IDENTITY, RECORD}
    assert all(c["partner"] == "杭州市公安局" and c["legal_basis"] for c in consent["checks"])
    for name in (IDENTITY, RECORD):
        material = _material(draft, name)
        assert material["requested"] and material["notice"].startswith("您未同意向公安机关核验")
    assert not _outbound(draft["id"])
    assert not PersonalDataAccess.objects.filter(subject=world["people"]["clean"].user).exists()


def test_with_consent_the_police_answer_satisfies_both_materials_with_its_message_id(world):
    draft = _draft(world, "clean")
    after = _consent(world, "clean", draft)
    app = Application.objects.get(pk=draft["id"])
    assert app.partner_consent_at is not None and app.partner_consent_version == CONSENT_VERSION
    event = AuditEvent.objects.get(action="application.partner_consent", object_id=draft["id"])
    assert event.detail["version"] == CONSENT_VERSION
    sent = _outbound(draft["id"])
    assert [m.service_code for m in sent] == ["identity.verify", "criminal-record.check"]
    for name, request in ((IDENTITY, sent[0]), (RECORD, sent[1])):
        material = _material(after, name)
        assert material["satisfied"] and material["provenance"] == MaterialProvenance.PARTNER
        assert "公安模拟系统" in material["source_label"] and material["notice"] == ""
        answer = ExchangeMessage.objects.get(direction=Direction.INBOUND, correlation_id=request.message_id)
        assert material["partner_answer"]["answer_id"] == str(answer.message_id)
    # ID numbers never in clear in the exchange log.
    for row in ExchangeMessage.objects.filter(case_number=f"草稿 {draft['id'][:8]}"):
        assert CLEAN_ID not in json.dumps(row.body_masked) and CLEAN_ID not in row.header


def test_the_tracker_shows_each_query_to_the_applicant_only(world):
    draft = _draft(world, "clean")
    _consent(world, "clean", draft)
    sent = {str(m.message_id) for m in _outbound(draft["id"])}
    rows = api_client(world["people"]["clean"].user).get("/api/v1/me/access-log/").json()
    rows = rows.get("results", rows)
    mine = [r for r in rows if r["message_id"] in sent]
    assert len(mine) == 2
    for row in mine:
        assert row["receiver"] == "杭州市公安局" and row["kind"] == "disclosure"
        assert row["case_number"] == f"草稿 {draft['id'][:8]}" and row["visibility"] == "public"
        assert "个人信息保护法" in row["legal_basis"] and row["purpose"]
        assert row["reader_organisation"] == world["orgs"]["hz"].name and row["reader_name"] == "系统自动核验"
        assert {
            "time", "reader_name", "reader_organisation", "reader_role", "purpose", "data_type",
            "data_type_label", "kind", "kind_label", "receiver", "legal_basis", "case_number",
            "message_id", "visibility", "visibility_label",
        } == set(row)  # fmt: skip
    assert CLEAN_ID not in json.dumps(rows, ensure_ascii=False)
    others = api_client(world["people"]["other"].user).get("/api/v1/me/access-log/").json()
    assert not any(r["message_id"] in sent for r in others.get("results", others))
    # The citizen's page lists them too.
    client = Client()
    client.force_login(world["people"]["clean"].user)
    page = client.get("/me/access-log/").content.decode()
    assert "杭州市公安局" in page and next(iter(sent)) in page


def test_a_mismatch_does_not_satisfy_the_identity_and_is_not_asked_again(world):
    draft = _draft(world, "mismatch")
    after = _consent(world, "mismatch", draft)
    identity = _material(after, IDENTITY)
    assert identity["requested"] and identity["provenance"] is None
    assert identity["notice"].startswith("公安部门核验未通过")
    assert _material(after, RECORD)["satisfied"]
    asked = len(_outbound(draft["id"]))
    saved = api_client(world["people"]["mismatch"].user).patch(
        f"{API}/drafts/{draft['id']}/", {"form_data": lawyer_form(applicant_name="王五")}, format="json"
    )
    assert saved.status_code == 200
    assert len(_outbound(draft["id"])) == asked  # a negative answer is not asked again
    assert _material(saved.json(), IDENTITY)["notice"].startswith("公安部门核验未通过")


def test_a_record_does_not_satisfy_the_criminal_record_material(world):
    draft = _draft(world, "record")
    after = _consent(world, "record", draft)
    record = _material(after, RECORD)
    assert record["requested"] and record["provenance"] is None and record["partner_answer"] is None
    assert "不能替代此材料" in record["notice"]
    assert _material(after, IDENTITY)["satisfied"]


def test_the_simulator_stopped_asks_for_uploads_and_a_retry_succeeds(world, police):
    draft = _draft(world, "clean")
    police.stop()
    try:
        after = _consent(world, "clean", draft)
        for name in (IDENTITY, RECORD):
            material = _material(after, name)
            assert material["requested"] and material["notice"].startswith("公安部门数据暂时无法核验，请上传")
    finally:
        police.start()
    # A submit never asks the partner: refused (materials missing), it rolls back, and a query in
    # it would have disclosed data with its log and tracker rows rolled back.
    asked = len(_outbound(draft["id"]))
    refused = api_client(world["people"]["clean"].user).post(
        f"{API}/{draft['id']}/submit/", HTTP_IDEMPOTENCY_KEY=f"submit-{draft['id']}"
    )
    assert refused.status_code == 400 and len(_outbound(draft["id"])) == asked
    # Confirming the consent again is the applicant's retry.
    retried = _consent(world, "clean", draft)
    assert all(_material(retried, name)["satisfied"] for name in (IDENTITY, RECORD))
    assert all(_material(retried, name)["notice"] == "" for name in (IDENTITY, RECORD))
    assert len(_outbound(draft["id"])) == asked + 2


def test_a_slow_or_unconfigured_partner_asks_for_uploads(world):
    draft = _draft(world, "clean")
    silent = free_port()  # nothing listens there: refused at once
    with override_settings(EXCHANGE_ENDPOINTS=[f"{POLICE_USCC}=http://127.0.0.1:{silent}/exchange/"]):
        after = _consent(world, "clean", draft)
    assert _material(after, IDENTITY)["notice"].startswith("公安部门数据暂时无法核验")
    draft = _draft(world, "clean")
    with override_settings(EXCHANGE_ENDPOINTS=[]):
        after = _consent(world, "clean", draft)
    assert _material(after, RECORD)["notice"].startswith("公安部门数据暂时无法核验")
    assert not _outbound(draft["id"])  # exchange.no_endpoint: nothing was sent, nothing tracked
    assert not PersonalDataAccess.objects.filter(case_number=f"草稿 {draft['id'][:8]}").exists()


def test_the_consent_form_works_without_javascript_and_can_be_withdrawn(world):
    draft = _draft(world, "clean")
    client = Client()
    client.force_login(world["people"]["clean"].user)
    url = f"/apply/drafts/{draft['id']}/materials/"
    page = client.get(url).content.decode()
    assert "同意向公安机关核验身份信息和无犯罪记录" in page and 'name="partner_consent"' in page
    assert "《律师法》第七条" in page  # the legal basis of the criminal-record check, from the registry
    answer = client.post(url, {"partner_consent_form": "1", "partner_consent": "1"})
    assert answer.status_code == 302
    page = client.get(url).content.decode()
    assert "checked" in page and "公安部门共享数据：居民身份信息核验" in page
    client.post(url, {"partner_consent_form": "1"})
    app = Application.objects.get(pk=draft["id"])
    assert app.partner_consent_at is None and app.partner_consent_version == ""
    assert AuditEvent.objects.filter(
        action="application.partner_consent_withdrawn", object_id=draft["id"]
    ).exists()


def test_an_identity_only_item_asks_consent_to_the_identity_alone(world):
    """个人信息保护法 §14/§17: the consent names what is checked — an item whose only police material is
    the identity does not ask about (or mention) a criminal record, and its consent does not stand
    for one if the application's materials later come to need it."""
    person = world["people"]["other"]
    answer = api_client(person.user).post(
        f"{API}/drafts/", {"entry": world["notary"].implementation_code, "form_data": {}}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    draft = answer.json()
    consent = draft["partner_consent"]
    assert consent["label"] == "同意向公安机关核验身份信息（姓名、公民身份号码）"
    assert consent["sensitive"] is False and "犯罪" not in json.dumps(consent, ensure_ascii=False)
    assert {c["material"] for c in consent["checks"]} == {"身份证明"}
    after = _consent(world, "other", draft)
    app = Application.objects.get(pk=draft["id"])
    identity = consents.current(consents.PARTNER_IDENTITY)
    assert app.partner_consent_version == identity.version
    assert after["partner_consent"]["version"] == identity.version
    record = ConsentRecord.objects.get(user=person.user, object_ref=draft["id"])
    assert (record.code, record.version) == (identity.code, identity.version)
    assert [m.service_code for m in _outbound(draft["id"])] == ["identity.verify"]
    assert _material(after, "身份证明")["satisfied"]
    row = PersonalDataAccess.objects.filter(subject=person.user).order_by("-pk").first()
    assert "第二十九条" not in row.legal_basis and "第十四条" in row.legal_basis
    # The page says so without JavaScript, and says nothing of a criminal record.
    client = Client()
    client.force_login(person.user)
    page = client.get(f"/apply/drafts/{draft['id']}/materials/").content.decode()
    assert "只核对姓名与公民身份号码是否一致" in page and "犯罪记录属于敏感个人信息" not in page
    # Withdrawn: the record of the identity consent is withdrawn with it.
    _consent(world, "other", draft, given=False)
    record.refresh_from_db()
    assert record.withdrawn_at is not None


def test_an_identity_consent_does_not_stand_for_the_criminal_record(world):
    from sifa.applications import partner_data

    draft = _draft(world, "clean")
    app = Application.objects.get(pk=draft["id"])
    assert partner_data.consent_text(app).code == consents.PARTNER_CHECK
    app.partner_consent_at = app.created_at
    app.partner_consent_version = consents.current(consents.PARTNER_IDENTITY).version
    assert partner_data.consent_covers(app, "police.identity")
    assert not partner_data.consent_covers(app, "police.criminal_record")
    app.partner_consent_version = CONSENT_VERSION
    assert partner_data.consent_covers(app, "police.criminal_record")


def test_the_consent_says_where_the_checks_are_logged_for_an_account_and_for_a_walk_in(world):
    """The log of each check (``_track``) is a row of the subject's account, which lists it in 我的数据
    使用记录; a walk-in recorded without an account has no such list (the row's subject is empty
    and stays so), so the text tells them to ask the window or the organ (个人信息保护法 §45)."""
    from django.template.loader import render_to_string

    from sifa.applications.partner_data import consent_notice

    draft = _draft(world, "clean")
    app = Application.objects.select_related("accepting_organisation").get(pk=draft["id"])
    template = "web/journey/_partner_consent.html"
    online = render_to_string(template, {"partner_consent": consent_notice(app)})
    assert "每次核验都记录在“我的数据使用记录”中。" in online
    app.applicant_id = None  # as the window records a walk-in applicant without an account
    walk_in = render_to_string(template, {"partner_consent": consent_notice(app)})
    organisation = app.accepting_organisation.name
    assert "我的数据使用记录" not in walk_in
    assert f"每次核验都由{organisation}记录。您没有平台账户，不能在网上查看这些记录" in walk_in
    assert f"可以持身份证件向受理窗口或{organisation}申请查阅、复制" in walk_in
    assert "工作人员核对身份后当场打印交您（个人信息保护法第四十五条）" in walk_in
