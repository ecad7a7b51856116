"""A small tree (司法部 → 浙江省司法厅 → 杭州市司法局 → 西湖区司法局, and 北京市司法局) with USCCs,
citizens and a law firm registered through the accounts services, a deciding official, and a key
ring of its own in a temporary directory (rotation here never touches anyone else's keys)."""

from __future__ import annotations

import pytest

from sifa.core.signing import KeyRing
from sifa.licences.services import load_licence_types
from sifa.organisations.models import Organisation, Role
from sifa.testing import PASSWORD, CompanyFactory, PersonFactory, StaffFactory, api_client, id_number, tree

__all__ = ["PASSWORD", "client_for"]

CITIZEN_ID = id_number("33010619880808123")
OTHER_ID = id_number("33010619900202456")


@pytest.fixture(autouse=True)
def ring(settings, tmp_path, monkeypatch) -> KeyRing:
    settings.MEDIA_ROOT = tmp_path / "media"
    keys = KeyRing(tmp_path / "signing", generate=True)
    monkeypatch.setattr("sifa.licences.payload.default_keyring", lambda: keys)
    # The verification throttle counts in the shared limits store, in the database (each test's
    # counts are rolled back with its transaction), and in the process until sent: the root
    # conftest forgets those before and after each test (ADR 0015).
    return keys


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    o = tree("ministry", "zj", "hz", "xh", "bj")
    load_licence_types()
    return o


def staff(django_user_model, organisation: Organisation, role: str = Role.DECISION_MAKER):
    return StaffFactory(memberships=[(organisation, role)])


@pytest.fixture
def people(orgs, django_user_model) -> dict:
    return {
        "citizen": PersonFactory(id_number=CITIZEN_ID, phone="13900000001", region_code="330106").user,
        "other": PersonFactory(
            name="李四", id_number=OTHER_ID, phone="13900000002", region_code="330106"
        ).user,
        "firm": CompanyFactory(legal_representative="王五", phone="13900000003").user,
        "decider": staff(django_user_model, orgs["zj"]),
        "bj_decider": staff(django_user_model, orgs["bj"]),
        "hz_clerk": staff(django_user_model, orgs["hz"], Role.WINDOW_CLERK),
        "xh_clerk": staff(django_user_model, orgs["xh"], Role.WINDOW_CLERK),
    }


client_for = api_client
