"""Fixtures: a small organisation tree, citizens with phone and e-mail, staff with roles."""

from __future__ import annotations

import pytest

from sifa.accounts.models import PHONE_INDEX, User
from sifa.core.crypto import field_cipher
from sifa.core.masking import mask_phone
from sifa.organisations.models import Organisation
from sifa.testing import staff, tree

CITIZEN_PHONE = "13812345678"
OTHER_PHONE = "13987654321"


@pytest.fixture
def orgs(db) -> dict[str, Organisation]:
    """The tree at literal paths (the tests speak of ``/1/2/3/4/``)."""
    paths = {"ministry": "/1/", "zj": "/1/2/", "hz": "/1/2/3/", "xh": "/1/2/3/4/", "bjq": "/1/2/3/5/"}
    o = tree(*paths, **{key: {"path": path} for key, path in paths.items()})
    return {"zhejiang": o["zj"], "hangzhou": o["hz"], "xihu": o["xh"], "binjiang": o["bjq"]}


def make_citizen(username: str, scope_path: str, *, phone: str = "", email: str = "") -> User:
    user = User.objects.create_user(
        username=username, kind="person", scope_path=scope_path, email=email, display_name="张三"
    )
    if phone:
        cipher = field_cipher()
        user.phone_enc = cipher.seal(phone, user.phone_aad)
        user.phone_index = cipher.blind_index(phone, PHONE_INDEX)
        user.phone_masked = mask_phone(phone)
        user.save(update_fields=["phone_enc", "phone_index", "phone_masked"])
    return user


def make_staff(username: str, organisation: Organisation, role: str) -> User:
    return staff(username, organisation, role)


@pytest.fixture
def citizen(orgs) -> User:
    return make_citizen("citizen", "/1/2/3/4/", phone=CITIZEN_PHONE, email="zhang@example.com")


@pytest.fixture
def other_citizen(orgs) -> User:
    return make_citizen("other", "/1/2/3/5/", phone=OTHER_PHONE, email="li@example.com")


CONTEXT = {"number": "330106202500000001", "item_name": "律师执业许可"}
