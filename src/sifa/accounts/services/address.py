"""A person's 详细地址: the street, number, building and flat below the registered region (常住地区划).

Optional. Sealed like the 公民身份号码 (SM4-GCM, the person's id as associated data) with a masked copy
for the pages that list it (``北山街道****``); no blind index (nobody is looked up by address). It
fills the address of the person's own applications (``applications.services.drafts.account_prefill``:
the region's names, then this). Set on 账户与安全 → 详细地址 (``/accounts/address/``); audited as
``account.address_changed`` with the masked forms only.
"""

from __future__ import annotations

import re

from django.db import transaction

from sifa.accounts.models import NaturalPerson, User
from sifa.accounts.services.common import FieldErrors
from sifa.audit import services as audit
from sifa.core.crypto import field_cipher
from sifa.core.errors import ServiceError
from sifa.core.masking import mask_address

MAX_LENGTH = 120
"""Characters of the 详细地址 (the form's 通讯地址 holds 200 with the region's names before it)."""
_SPACES = re.compile(r"\s+")


def clean_address(value: str, errors: FieldErrors, field: str = "address") -> str:
    """The address as kept: spaces and line breaks folded to one space, at most :data:`MAX_LENGTH`."""
    value = _SPACES.sub(" ", value or "").strip()
    if len(value) > MAX_LENGTH:
        errors.add(field, "address.too_long", f"详细地址不能超过{MAX_LENGTH}个字，现在是{len(value)}个字")
    elif value and len(value) < 2:
        errors.add(field, "address.too_short", "详细地址至少2个字，如“北山街道1号”")
    return value


def set_address(person: NaturalPerson, address: str) -> None:
    """Seal ``address`` onto the person (an empty one clears it)."""
    person.address_enc = field_cipher().seal(address, person.address_aad) if address else None
    person.address_masked = mask_address(address)[:60]


def change_address(user: User, *, address: str) -> NaturalPerson:
    """Set (or, empty, remove) the signed-in person's own 详细地址."""
    errors = FieldErrors()
    address = clean_address(address, errors)
    errors.raise_if_any()
    with transaction.atomic():
        person = NaturalPerson.objects.select_for_update().filter(user=user).first()
        if person is None:
            raise ServiceError("account.not_a_person", "只有个人账户可以填写详细地址", status=409)
        before = person.address_masked
        set_address(person, address)
        person.save(update_fields=["address_enc", "address_masked"])
        audit.record(
            "account.address_changed",
            actor=user,
            subject=person,
            scope_path=person.scope_path,
            detail={"from": before, "to": person.address_masked},
        )
    return person
