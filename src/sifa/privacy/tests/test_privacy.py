"""Consents and the copy of one's data (issue 14 point 7; issue 15 point 1).

* Registration asks for the 公民身份号码 separate consent (个人信息保护法 §29): missing or stale
  is listed with the other errors; given, it is recorded with the version, time and channel.
* The citizen sees their consents on 授权与个人数据 with the exact text, withdraws after reading
  the consequence (§15), and an online application is then refused until they consent again.
* The copy of their data (§45) holds their unmasked ID number and their rows only; it is audited
  (counts, never contents) and rate-limited. No address names a person: another citizen's
  consent or copy cannot be reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from sifa.accounts import consents
from sifa.accounts import services as accounts
from sifa.accounts.models import ConsentRecord, NaturalPerson
from sifa.applications import services as applications
from sifa.audit.models import AuditEvent
from sifa.catalogue.tests.conftest import CATALOGUE_TREE
from sifa.core import limits
from sifa.core.errors import ServiceError
from sifa.portal.tests.test_citizen_support import lawyer_entry, person, submitted_application
from sifa.testing import PASSWORD, bearer_client, catalogue_tree, id_number, rolled_back

pytestmark = pytest.mark.django_db

ID_A = id_number("11010119900307451")
ID_B = id_number("33010619851212345")
CURRENT = consents.current(consents.REGISTER_ID_NUMBER).version


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    """Two citizens with a consent each; A has a submitted application. Rolled back at the end."""
    with rolled_back(django_db_blocker):
        orgs = catalogue_tree(*CATALOGUE_TREE)  # with the licence types, as `sifa run` loads them
        a = person("李雷", ID_A, "13900005551")
        b = person("韩梅梅", ID_B, "13900005552")
        consent_a = accounts.give_consent(a, consents.REGISTER_ID_NUMBER, version=CURRENT)
        consent_b = accounts.give_consent(b, consents.REGISTER_ID_NUMBER, version=CURRENT)
        entry = lawyer_entry(orgs)
        app, _code = submitted_application(entry, a)
        yield {"a": a, "b": b, "consent_a": consent_a, "consent_b": consent_b, "entry": entry, "app": app}


@pytest.fixture(autouse=True)
def _limits() -> Iterator[None]:
    limits.clear()
    yield
    limits.clear()


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- registration ----------------------------------------------------------------------------------


def register(client: Client, **extra: str):
    data = {
        "name": "王五",
        "id_number": id_number("33010619900101123"),
        "phone": "13900001111",
        "password": PASSWORD,
        "region_code": "330106",
        **extra,
    }
    return client.post("/register/", data)


def test_registration_lists_the_missing_consent_and_asks_again_for_a_stale_version(world):
    form = Client().get("/register/").content.decode()
    assert (
        'name="id_number_consent"' in form and "checked" not in form.split('id="f-id_number_consent"')[1][:40]
    )
    assert f'name="id_number_consent_version" value="{CURRENT}"' in form
    missing = register(Client()).content.decode()
    assert '<a href="#f-id_number_consent">' in missing and "第二十九条" in missing
    stale = register(Client(), id_number_consent="1", id_number_consent_version="2020-01-v0").content.decode()
    assert "同意书内容已更新" in stale
    assert not NaturalPerson.objects.filter(name="王五").exists()
    response = register(Client(), id_number_consent="1", id_number_consent_version=CURRENT)
    assert response.status_code == 302
    user = NaturalPerson.objects.get(name="王五").user
    record = ConsentRecord.objects.get(user=user)
    assert (record.code, record.version, record.channel) == (consents.REGISTER_ID_NUMBER, CURRENT, "web")
    event = AuditEvent.objects.get(action="consent.given", object_id=str(record.pk))
    assert event.detail == {"code": record.code, "version": CURRENT, "channel": "web", "object_ref": ""}


def test_the_api_records_the_version_sent_and_refuses_a_missing_one(world):
    client = Client()
    body = {
        "name": "赵六",
        "id_number": id_number("33010619920202333"),
        "phone": "13900002223",
        "password": PASSWORD,
        "region_code": "330106",
    }
    refused = client.post("/api/v1/accounts/register/person/", body, content_type="application/json")
    assert refused.status_code == 400
    assert {e["field"]: e["code"] for e in refused.json()["errors"]} == {
        "id_number_consent": "consent.required"
    }
    texts = {t["code"]: t for t in client.get("/api/v1/accounts/consent-texts/").json()}
    version = texts[consents.REGISTER_ID_NUMBER]["version"]
    created = client.post(
        "/api/v1/accounts/register/person/",
        {**body, "id_number_consent": version},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    assert ConsentRecord.objects.get(user__public_id=created.json()["public_id"]).channel == "api"


# --- the consents page, withdrawal and its consequence -----------------------------------------------


def test_the_citizen_sees_withdraws_and_gives_again(world):
    a = world["a"]
    client = logged_in(a)
    page = client.get("/me/privacy/").content.decode()
    text = consents.current(consents.REGISTER_ID_NUMBER)
    assert text.text in page and CURRENT in page and "撤回同意" in page
    withdraw_url = f"/me/privacy/consents/{world['consent_a'].pk}/withdraw/"
    confirm = client.get(withdraw_url).content.decode()
    assert "不影响撤回前已经进行的处理" in confirm and "第十三条第一款第三项" in confirm
    assert client.post(withdraw_url).status_code == 302
    record = ConsentRecord.objects.get(pk=world["consent_a"].pk)
    assert record.withdrawn_at is not None and record.withdrawal_channel == "web"
    assert AuditEvent.objects.filter(action="consent.withdrawn", object_id=str(record.pk)).exists()
    # Withdrawn: an online application is refused; the earlier, submitted one is untouched.
    with pytest.raises(ServiceError) as refused:
        applications.start_draft(world["entry"], actor=a)
    assert refused.value.code == "application.id_number_consent_withdrawn"
    assert world["app"].__class__.objects.get(pk=world["app"].pk).status == world["app"].status
    page = client.get("/me/privacy/").content.decode()
    assert "重新同意" in page and "已于" in page
    client.post(
        "/me/privacy/consents/", {"code": consents.REGISTER_ID_NUMBER, "version": CURRENT, "consent": "1"}
    )
    assert applications.start_draft(world["entry"], actor=a).pk


def test_the_api_lists_and_withdraws_only_ones_own(world):
    a_api, b_api = bearer_client(world["a"]), bearer_client(world["b"])
    mine = a_api.get("/api/v1/me/consents/").json()
    assert [row["id"] for row in mine] == [world["consent_a"].pk]
    assert mine[0]["text"] == consents.current(consents.REGISTER_ID_NUMBER).text
    # B cannot withdraw, or see, A's consent: the same 404 as an unknown id.
    other = b_api.post(f"/api/v1/me/consents/{world['consent_a'].pk}/withdraw/")
    assert other.status_code == 404
    assert b_api.post("/api/v1/me/consents/999999/withdraw/").status_code == 404
    assert (
        logged_in(world["b"]).get(f"/me/privacy/consents/{world['consent_a'].pk}/withdraw/").status_code
        == 404
    )
    assert ConsentRecord.objects.get(pk=world["consent_a"].pk).withdrawn_at is None
    done = a_api.post(f"/api/v1/me/consents/{world['consent_a'].pk}/withdraw/")
    assert done.status_code == 200 and done.json()["withdrawn_at"]
    again = a_api.post(
        "/api/v1/me/consents/", {"code": consents.REGISTER_ID_NUMBER, "version": "old"}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "consent.unknown_version"
    given = a_api.post(
        "/api/v1/me/consents/", {"code": consents.REGISTER_ID_NUMBER, "version": CURRENT}, format="json"
    )
    assert given.status_code == 201 and given.json()["channel"] == "api"
    per_app = a_api.post(
        "/api/v1/me/consents/",
        {"code": consents.PARTNER_CHECK, "version": consents.current(consents.PARTNER_CHECK).version},
        format="json",
    )
    assert per_app.status_code == 409 and per_app.json()["code"] == "consent.give_on_application"


# --- the copy of one's data ----------------------------------------------------------------------------


def test_the_copy_holds_ones_own_data_unmasked_and_nobody_elses(world):
    response = bearer_client(world["a"]).get("/api/v1/me/data-export/")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["person"][0]["id_number"] == ID_A  # unmasked, to its owner only
    assert data["account"]["phone"] == "13900005551"
    assert [c["id"] for c in data["consents"]] == [world["consent_a"].pk]
    assert [a["number"] for a in data["applications"]] == [world["app"].number]
    assert data["applications"][0]["form_data"] == world["app"].form_data
    assert data["materials"] and all("storage_key" not in m for m in data["materials"])
    assert "id_number_enc" not in data["person"][0] and "password" not in data["account"]
    text = response.content.decode()
    assert ID_B not in text and "韩梅梅" not in text and "13900005552" not in text
    event = AuditEvent.objects.filter(action="privacy.export").latest("seq")
    assert event.object_id == str(world["a"].public_id)
    assert event.detail["counts"]["applications"] == 1 and ID_A not in json.dumps(event.detail)
    # The page's download is the same copy of the caller's own data.
    page = logged_in(world["b"]).get("/me/privacy/export/")
    assert json.loads(page.content)["person"][0]["id_number"] == ID_B


def test_the_copy_is_rate_limited_per_account(world):
    api = bearer_client(world["a"])
    assert [api.get("/api/v1/me/data-export/").status_code for _ in range(5)] == [200] * 5
    limited = api.get("/api/v1/me/data-export/")
    assert limited.status_code == 429 and limited.json()["code"] == "privacy.export_rate_limited"
    assert bearer_client(world["b"]).get("/api/v1/me/data-export/").status_code == 200
    assert logged_in(world["a"]).get("/me/privacy/export/").status_code == 429


def test_the_retention_table_names_the_data_in_plain_words(world):
    """授权与个人数据 tells the person what is kept and how long, not how the purge job works."""
    import re

    from sifa.privacy import retention

    page = logged_in(world["a"]).get("/me/privacy/").content.decode()
    table = page.split('id="retention"', 1)[1].split("</table>", 1)[0]
    for rule in retention.RULES:
        assert rule.label and rule.label in table, rule.code
        assert rule.note not in table, rule.code
    assert not re.search(r"[a-z]+[._-][a-z_]+", re.sub(r"<[^>]+>", " ", table))  # no audit.access_purged
    assert "定时任务" not in table and "开发、测试环境" not in table
