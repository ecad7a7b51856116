"""A person's 详细地址 on 账户与安全: optional, sealed like the ID number (only ciphertext and a
masked copy in the database), edited on a no-JS page with an error summary, audited with masks."""

from __future__ import annotations

import pytest
from django.db import connection

from sifa.accounts.models import NaturalPerson
from sifa.accounts.services.address import MAX_LENGTH
from sifa.accounts.tests import factories
from sifa.audit.models import AuditEvent
from sifa.core.crypto import CryptoError
from sifa.core.masking import mask_address
from sifa.organisations.models import Role

pytestmark = pytest.mark.django_db

STREET = "北山街道1号2幢301室"


@pytest.fixture
def citizen(tree, client):
    person = factories.person()
    client.force_login(person.user)
    return person


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("浙江省杭州市西湖区北山街道1号", "浙江省杭州市西湖区北山街道****"),
        ("北山街道1号2幢301室", "北山街道****"),
        ("文三路8号2幢301室", "文三路****"),
        ("浙江省杭州市西湖区", "浙江省杭州市西湖区"),
        ("", ""),
    ],
)
def test_an_address_is_masked_below_its_places(address, masked):
    assert mask_address(address) == masked


def test_the_account_page_offers_the_address_and_saves_it_sealed(citizen, client):
    me = client.get("/accounts/me/").content.decode()
    assert "详细地址</dt><dd>未填写" in me and 'href="/accounts/address/">填写详细地址' in me
    page = client.get("/accounts/address/").content.decode()
    assert "浙江省杭州市西湖区北山街道" in page and 'autocomplete="street-address"' in page
    response = client.post("/accounts/address/", {"address": f"  {STREET}\n"})
    assert response.status_code == 302 and response["Location"] == "/accounts/me/"
    person = NaturalPerson.objects.get(pk=citizen.pk)
    assert person.reveal_address() == STREET and person.address_masked == "北山街道****"
    assert STREET.encode() not in bytes(person.address_enc)
    me = client.get("/accounts/me/").content.decode()
    assert "详细地址已保存：北山街道****" in me and "北山街道****" in me and STREET not in me
    assert 'href="/accounts/address/">修改详细地址' in me
    assert f'value="{STREET}"' in client.get("/accounts/address/").content.decode()  # one's own, to edit
    event = AuditEvent.objects.filter(action="account.address_changed").latest("seq")
    assert event.detail == {"from": "", "to": "北山街道****"} and STREET not in str(event.detail)
    # Emptied: removed.
    assert client.post("/accounts/address/", {"address": ""}).status_code == 302
    person.refresh_from_db()
    assert person.address_enc is None and person.address_masked == "" and person.reveal_address() == ""


def test_the_ciphertext_is_bound_to_its_person(citizen, client):
    client.post("/accounts/address/", {"address": STREET})
    other = factories.person(name="李四")
    other.address_enc = NaturalPerson.objects.get(pk=citizen.pk).address_enc  # copied to another row
    with pytest.raises(CryptoError):  # bound to its row and field
        other.reveal_address()


def test_a_too_long_address_is_listed_in_the_error_summary(citizen, client):
    response = client.post("/accounts/address/", {"address": "路" * (MAX_LENGTH + 1)})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_address"' in html and f"详细地址不能超过{MAX_LENGTH}个字" in html
    assert 'aria-invalid="true"' in html and "<title>错误：" in html
    assert NaturalPerson.objects.get(pk=citizen.pk).address_enc is None


def test_staff_and_companies_have_no_address_page(tree, client):
    client.force_login(factories.company().user)
    assert client.get("/accounts/address/")["Location"] == "/accounts/me/"
    me = client.get("/accounts/me/").content.decode()
    assert "只有个人账户可以填写详细地址" in me  # the way there was asked
    assert "详细地址</dt>" not in me and 'href="/accounts/address/"' not in me
    client.force_login(factories.staff(tree.county, Role.WINDOW_CLERK, username="addr-clerk"))
    assert client.get("/accounts/address/").status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads the PostgreSQL column")
def test_no_plaintext_address_in_the_table(citizen, client):
    client.post("/accounts/address/", {"address": STREET})
    with connection.cursor() as cursor:
        cursor.execute("SELECT address_enc::text, address_masked FROM accounts_naturalperson")
        rows = cursor.fetchall()
    assert all(STREET not in (enc or "") for enc, _ in rows)
    assert "北山街道****" in [masked for _, masked in rows]


def test_the_copy_of_ones_data_holds_the_address_unmasked(citizen, client):
    from sifa.privacy.services.export import collect

    client.post("/accounts/address/", {"address": STREET})
    person = collect(citizen.user)["person"][0]
    assert person["address"] == STREET and person["address_masked"] == "北山街道****"
    assert "address_enc" not in person
