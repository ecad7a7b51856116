"""The partner registry: USCCs validated, keys bound to their ids, endpoints from the allow-list
only, the demo partners refused in production, `sifa exchange add-key` for a rotation."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sifa.core.errors import ServiceError
from sifa.core.identifiers import uscc_is_valid
from sifa.core.signing.registry import generate_signer
from sifa.exchange.models import Partner, PartnerKey, PartnerService
from sifa.exchange.services import partners

pytestmark = pytest.mark.django_db


def test_the_demo_partners_have_valid_codes_keys_and_services(world):
    assert Partner.objects.filter(is_demo=True).count() == 3
    for demo in partners.DEMO_PARTNERS:
        assert uscc_is_valid(demo.uscc)
        partner = Partner.objects.get(uscc=demo.uscc)
        assert partner.name == demo.name and partner.kind == demo.kind
        assert PartnerKey.objects.filter(partner=partner).count() == 1
    assert (world["key_dir"] / "police.pem").stat().st_mode & 0o077 == 0
    notify = PartnerService.objects.get(provider__isnull=True, code="legal-aid.notify")
    assert set(notify.allowed_callers) == {p.uscc for p in Partner.objects.all()}
    # Loading again changes nothing.
    partners.load_demo_partners(world["key_dir"])
    # 5, and legal-aid.assignment (the 通知辩护 reply) offered by each of the three partners
    assert PartnerKey.objects.count() == 3 and PartnerService.objects.count() == 8


def test_a_partner_needs_a_valid_uscc_and_kind():
    with pytest.raises(ServiceError) as error:
        partners.register_partner(name="某公安局", uscc="11330100002493988X", kind="police")
    assert error.value.code == "uscc.check_char"
    with pytest.raises(ServiceError) as error:
        partners.register_partner(name="某机关", uscc="11330100002493988P", kind="army")
    assert error.value.code == "exchange.partner_kind"


def test_a_key_id_must_match_its_key(world):
    police = world["partners"]["police"]
    signer = generate_signer("SM2-with-SM3", timezone.now())
    other = generate_signer("SM2-with-SM3", timezone.now())
    with pytest.raises(ServiceError) as error:
        partners.add_key(police, signer.public_key_pem(), key_id=other.key_id, valid_from=timezone.now())
    assert error.value.code == "signing.key_id_mismatch"
    with pytest.raises(ServiceError) as error:
        partners.add_key(
            police,
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            key_id="x",
            valid_from=timezone.now(),
        )
    assert error.value.code.startswith("signing.")
    court_key = PartnerKey.objects.get(partner=world["partners"]["court"])
    with pytest.raises(ServiceError) as error:
        partners.add_key(police, court_key.public_key_pem, key_id=court_key.key_id, valid_from=timezone.now())
    assert error.value.code == "exchange.key_exists"


def test_endpoints_come_from_the_allow_list_only(world, settings):
    police = world["partners"]["police"]
    settings.EXCHANGE_ENDPOINTS = []
    with pytest.raises(ServiceError) as error:
        partners.endpoint_for(police)
    assert error.value.code == "exchange.no_endpoint" and error.value.status == 503
    settings.EXCHANGE_ENDPOINTS = [f"{police.uscc}=javascript:alert(1)"]
    with pytest.raises(ServiceError):
        partners.endpoint_for(police)
    settings.EXCHANGE_ENDPOINTS = [f"{police.uscc}=https://police.example/exchange/"]
    assert partners.endpoint_for(police) == "https://police.example/exchange/"


def test_demo_partners_are_refused_in_production(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(ServiceError) as error:
        partners.load_demo_partners()
    assert error.value.code == "exchange.demo_only"


def test_add_key_command_registers_a_rotated_key(world, tmp_path):
    court = world["partners"]["court"]
    signer = generate_signer("SM2-with-SM3", timezone.now())
    pem = tmp_path / "court-2.pem"
    pem.write_text(signer.public_key_pem())
    start = (timezone.now() + dt.timedelta(days=1)).isoformat()
    out = StringIO()
    call_command(
        "exchange", "add-key", "--partner", court.uscc, "--pem", str(pem), "--key-id", signer.key_id,
        "--valid-from", start, stdout=out,
    )  # fmt: skip
    assert out.getvalue() == f"已登记 杭州市中级人民法院 的公钥 {signer.key_id}\n"
    assert PartnerKey.objects.filter(partner=court).count() == 2
    with pytest.raises(CommandError, match="未登记的伙伴"):
        call_command(
            "exchange", "add-key", "--partner", "X", "--pem", str(pem), "--key-id", "k", "--valid-from", start
        )
    with pytest.raises(CommandError, match="时区"):
        call_command(
            "exchange", "add-key", "--partner", court.uscc, "--pem", str(pem), "--key-id", signer.key_id,
            "--valid-from", "2026-12-01T00:00:00",
        )  # fmt: skip
