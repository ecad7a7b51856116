"""Names may not hold bidi or other invisible control characters (issue 14: a name with the RTL
override U+202E was accepted and shown reversed to staff)."""

from __future__ import annotations

import pytest

from sifa.accounts.services import create_staff, register_company, register_person
from sifa.accounts.services.walkin import walk_in_person
from sifa.core.errors import ServiceError
from sifa.core.requesttext import invisible_character
from sifa.testing import tree

pytestmark = pytest.mark.django_db

CONTROLS = [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202a",
    "\u202d",
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2069",
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",
    "\u061c",  # ARABIC LETTER MARK
    "\u200b",  # ZERO WIDTH SPACE
    "\u200d",
    "\ufeff",
    "\u2028",  # LINE SEPARATOR
    "\x07",
]


def _codes(caught: pytest.ExceptionInfo[ServiceError]) -> dict[str, str]:
    return {e["field"]: e["code"] for e in caught.value.errors}


@pytest.mark.parametrize("control", CONTROLS)
def test_every_invisible_control_is_found(control):
    assert invisible_character(f"陈{control}明") == f"U+{ord(control):04X}"


@pytest.mark.parametrize(
    "name", ["陈明", "欧阳娜娜", "买买提·艾力", "José María", "O'Brien-Smith", "阿依古丽"]
)
def test_ordinary_names_pass(name):
    assert invisible_character(name) is None


@pytest.mark.parametrize("control", ["\u202e", "\u2067", "\u200b"])
def test_registration_refuses_a_person_name_with_a_control(control):
    with pytest.raises(ServiceError) as caught:
        register_person(
            name=f"陈{control}明", id_number="x", phone="1", password="Aa-123456789", region_code="330106"
        )
    assert _codes(caught)["name"] == "name.invisible_character"
    message = next(e["message"] for e in caught.value.errors if e["field"] == "name")
    assert "姓名" in message and f"U+{ord(control):04X}" in message


def test_registration_refuses_company_and_representative_names_with_a_control():
    with pytest.raises(ServiceError) as caught:
        register_company(
            name="杭州\u202e某某公司",
            uscc="x",
            legal_representative="王\u2066五",
            phone="1",
            password="Aa-123456789",
            region_code="330106",
        )
    codes = _codes(caught)
    assert codes["name"] == codes["legal_representative"] == "name.invisible_character"


def test_staff_names_and_walk_in_names_too():
    orgs = tree("zj", "hz", "xh")
    with pytest.raises(ServiceError) as caught:
        create_staff(username="clerk-rtl", display_name="李\u202e四", password="Aa-123456789")
    assert _codes(caught)["display_name"] == "name.invisible_character"
    with pytest.raises(ServiceError) as caught:
        walk_in_person(name="赵\u200f六", id_number="330106199001011234", organisation=orgs["xh"])
    assert _codes(caught)["applicant.name"] == "name.invisible_character"
