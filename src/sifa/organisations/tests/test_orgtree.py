"""Naming and USCC rules of the organisation plan, without a database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sifa.core.identifiers import uscc_is_valid
from sifa.organisations.orgtree import OFFICIAL_USCC, RegionRow, generated_uscc, judicial_office_name, plan

KINDS = st.sampled_from(["ministry", "bureau", "legal_service_centre", "legal_aid_centre", "judicial_office"])


@given(
    kind=KINDS,
    region=st.text("0123456789", min_size=6, max_size=6),
    body=st.text("0123456789", min_size=7, max_size=7),
)
def test_generated_codes_pass_both_check_characters(kind: str, region: str, body: str):
    code = generated_uscc(kind, region, body)
    assert len(code) == 18
    assert code.startswith("11" + region)
    assert uscc_is_valid(code)


def test_official_codes_are_valid():
    assert all(uscc_is_valid(code) for code in OFFICIAL_USCC.values())


def test_judicial_office_names():
    assert judicial_office_name("东华门街道") == "东华门街道司法所"
    assert judicial_office_name("漓东街道办事处") == "漓东街道司法所"
    assert judicial_office_name("宋营镇") == "宋营镇司法所"


def test_plan_puts_parents_first_and_is_deterministic():
    regions = [
        RegionRow("120000", "天津市", 1, None),
        RegionRow("120101", "和平区", 3, "120000"),
        RegionRow("120101001000", "劝业场街道", 4, "120101"),
        RegionRow("130000", "河北省", 1, None),
        RegionRow("130100", "石家庄市", 2, "130000"),
    ]

    specs = plan(regions)

    assert specs == plan(reversed(regions))
    seen = set()
    for spec in specs:
        assert spec.parent_key is None or spec.parent_key in seen
        seen.add(spec.key)
    names = [spec.name for spec in specs]
    assert names == [
        "中华人民共和国司法部",
        "天津市司法局",
        "河北省司法厅",
        "石家庄市司法局",
        "天津市和平区司法局",
        "天津市和平区公共法律服务中心",
        "天津市和平区法律援助中心",
        "劝业场街道司法所",
    ]
