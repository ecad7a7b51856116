"""The exchange world, built once per module and rolled back: 浙江省司法厅 → 杭州市司法局 → 西湖区司法局
and 北京市司法局 (USCCs from the factories), the three demo partners with keys in a temporary
folder, staff at 杭州 and in Beijing, a citizen, and Sifa's own key ring in a temporary folder."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from sifa.core import limits
from sifa.core.signing import KeyRing, Signer
from sifa.exchange import triggers
from sifa.exchange.envelope import Envelope
from sifa.exchange.models import PartnerKey
from sifa.exchange.services import envelopes, partners
from sifa.organisations.models import Role
from sifa.testing import PersonFactory, id_number, rolled_back, staff, tree

SUSPECT_ID = id_number("33010619850505123")
CASE = "(2026)浙0106刑初123号"


@pytest.fixture(scope="module")
def _ring(tmp_path_factory) -> Iterator[KeyRing]:
    ring = KeyRing(tmp_path_factory.mktemp("signing"), generate=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(envelopes, "default_keyring", lambda: ring)
        yield ring


@pytest.fixture(scope="module")
def _world(django_db_setup, django_db_blocker, tmp_path_factory, _ring) -> Iterator[dict[str, Any]]:
    key_dir = tmp_path_factory.mktemp("partner-keys")
    with rolled_back(django_db_blocker):
        orgs = tree("zj", "hz", "xh", "xh_town", "bj")
        loaded = partners.load_demo_partners(key_dir)
        # The keys were made just now; backdate them so that messages stamped minutes ago verify.
        for key in PartnerKey.objects.all():
            partners.add_key(
                key.partner,
                key.public_key_pem,
                key_id=key.key_id,
                valid_from=key.valid_from - dt.timedelta(days=1),
            )
        people = {
            "hz": staff("hz-window", orgs["hz"], Role.WINDOW_CLERK),
            "xh": staff("xh-window", orgs["xh"], Role.WINDOW_CLERK),
            "bj": staff("bj-window", orgs["bj"], Role.WINDOW_CLERK),
            "citizen": PersonFactory().user,
        }
        yield {"orgs": orgs, "partners": loaded, "people": people, "key_dir": key_dir, "ring": _ring}


@pytest.fixture
def world(_world, db) -> Iterator[dict[str, Any]]:
    limits.clear()
    yield _world
    limits.clear()


def signer_of(world: dict[str, Any], kind: str) -> Signer:
    return partners.demo_signer(kind, world["key_dir"])


def notice_body(**overrides: Any) -> dict[str, Any]:
    return {
        "case_number": CASE,
        "suspect": {"name": "王某某", "id_number": SUSPECT_ID},
        "court_or_organ": "杭州市西湖区人民法院",
        "notified_at": "2026-12-05",
        **overrides,
    }


def notice(
    world: dict[str, Any], partner: str = "court", *, signer: Signer | None = None, body=None, **header
):
    """A 通知辩护 request from a demo partner to 杭州市司法局, sealed with the partner's key."""
    fields = {
        "kind": "request",
        "issue": CASE,
        "purpose": "通知法律援助机构指派律师",
        "service": {"code": "legal-aid.notify", "version": "1"},
        "sender": world["partners"][partner].uscc,
        "receiver": world["orgs"]["hz"].uscc,
        "user_id": {"official": "审判员李某", "organisation": world["partners"][partner].name},
        **header,
    }
    return envelopes.seal(
        fields, notice_body() if body is None else body, signer=signer or signer_of(world, partner)
    )


def client(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


def openssl_verify(
    folder: Path, pem: str | bytes, data: bytes, signature: bytes
) -> subprocess.CompletedProcess:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pub.pem").write_bytes(pem.encode() if isinstance(pem, str) else pem)
    (folder / "data.bin").write_bytes(data)
    (folder / "data.sig").write_bytes(signature)
    command = [
        "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-in", "data.bin", "-sigfile", "data.sig",
    ]  # fmt: skip
    return subprocess.run(command, cwd=folder, capture_output=True, text=True)


needs_openssl = pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")


def tampered(envelope: Envelope, *, header: bytes | None = None, body: bytes | None = None, signature=None):
    return Envelope(
        header or envelope.header_bytes, body or envelope.body_bytes, signature or envelope.signature
    )


@contextmanager
def log_triggers_dropped() -> Iterator[None]:
    """Play the attacker with database access: drop the message log's guard triggers, then put
    them back (``sifa.exchange.triggers``), the chain table's too."""
    triggers.uninstall(connection)
    triggers.uninstall_links(connection)
    try:
        yield
    finally:
        triggers.install(connection)
        triggers.install_links(connection)
