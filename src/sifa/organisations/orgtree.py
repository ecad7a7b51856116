"""The organisation tree as pure data: which organisations the regions imply, their names and USCCs.

No database access here, so the rules can be read and tested on their own; ``services`` turns the
plan into rows. One organisation is identified by its *natural key* ``(kind, region code)`` (the
ministry has no region), which is what keeps rebuilding idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sifa.core.identifiers import orgcode_check_char, uscc_check_char
from sifa.organisations.models import OrganisationKind, OrganisationLevel, RegionLevel, UsccSource

NaturalKey = tuple[str, str]

MINISTRY_KEY: NaturalKey = (OrganisationKind.MINISTRY.value, "")
MINISTRY_NAME = "中华人民共和国司法部"
MINISTRY_SHORT_NAME = "司法部"
MINISTRY_REGISTRATION_CODE = "100000"  # 中央: GB 32100 positions 3-8 for central bodies

MUNICIPALITIES = frozenset({"110000", "120000", "310000", "500000"})
"""直辖市: their justice department is a 司法局, a province's or autonomous region's a 司法厅."""

OFFICIAL_USCC: dict[NaturalKey, str] = {
    # Only codes verified in shared/reference/standards.md §1 (实施编码 evidence, check character valid).
    (OrganisationKind.BUREAU.value, "210000"): "11210000001100230L",  # 辽宁省司法厅
}

# GB 32100 positions 1-2: 1 机构编制 + 1 机关, as for every generated demo code.
_GENERATED_PREFIX = "11"
# First character of the generated 组织机构代码 body, per kind. Real 机关 codes start with a digit,
# so a generated body can never equal an official one.
_BODY_LETTER = {
    OrganisationKind.MINISTRY.value: "J",
    OrganisationKind.BUREAU.value: "J",
    OrganisationKind.LEGAL_SERVICE_CENTRE.value: "G",
    OrganisationKind.LEGAL_AID_CENTRE.value: "Y",
    OrganisationKind.JUDICIAL_OFFICE.value: "T",
}
_COUNTY_CENTRES = (
    (OrganisationKind.LEGAL_SERVICE_CENTRE.value, "公共法律服务中心"),
    (OrganisationKind.LEGAL_AID_CENTRE.value, "法律援助中心"),
)
_KIND_RANK = {
    OrganisationKind.MINISTRY.value: 0,
    OrganisationKind.BUREAU.value: 1,
    OrganisationKind.LEGAL_SERVICE_CENTRE.value: 2,
    OrganisationKind.LEGAL_AID_CENTRE.value: 3,
    OrganisationKind.JUDICIAL_OFFICE.value: 4,
}


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: int
    parent_code: str | None


@dataclass(frozen=True)
class OrgSpec:
    """One organisation the regions call for; ``parent_key`` is None only for the ministry."""

    key: NaturalKey
    parent_key: NaturalKey | None
    name: str
    short_name: str
    kind: str
    level: int
    region_code: str | None
    uscc: str
    uscc_source: str

    @property
    def sort_key(self) -> tuple[int, str, int]:
        return (self.level, self.region_code or "", _KIND_RANK[self.kind])


def generated_uscc(kind: str, registration_code: str, body_digits: str) -> str:
    """A demo 统一社会信用代码 whose two check characters are right (GB 11714 and GB 32100).

    ``registration_code`` is the 6-digit GB/T 2260 code of the registering area; the 8-character
    组织机构代码 body is a kind letter plus seven digits that are unique within that area.
    """
    body = _BODY_LETTER[kind] + body_digits
    first17 = _GENERATED_PREFIX + registration_code + body + orgcode_check_char(body)
    return first17 + uscc_check_char(first17)


def _uscc(key: NaturalKey, registration_code: str, body_digits: str) -> tuple[str, str]:
    official = OFFICIAL_USCC.get(key)
    if official:
        return official, UsccSource.OFFICIAL.value
    return generated_uscc(key[0], registration_code, body_digits), UsccSource.GENERATED.value


def bureau_names(region: RegionRow, parent: RegionRow | None) -> tuple[str, str]:
    """(full name, short name) of the justice bureau of ``region``.

    Districts (names ending in 区) carry their parent's name, as in "北京市东城区司法局", because
    district names repeat across the country (朝阳区 is in 北京 and in 长春).
    """
    if region.level == RegionLevel.PROVINCE:
        suffix = "司法局" if region.code in MUNICIPALITIES else "司法厅"
        return region.name + suffix, region.name + suffix
    short = region.name + "司法局"
    if region.level == RegionLevel.COUNTY and region.name.endswith("区") and parent is not None:
        return parent.name + short, short
    return short, short


def judicial_office_name(township_name: str) -> str:
    """ "东华门街道" -> "东华门街道司法所"; a trailing 办事处 is dropped ("漓东街道办事处" -> "漓东街道司法所")."""
    return township_name.removesuffix("办事处") + "司法所"


def plan(regions: Iterable[RegionRow]) -> list[OrgSpec]:
    """Every organisation implied by ``regions``, parents before children, in a stable order."""
    by_code = {region.code: region for region in regions}
    bureau = OrganisationKind.BUREAU.value
    uscc, source = _uscc(MINISTRY_KEY, MINISTRY_REGISTRATION_CODE, MINISTRY_REGISTRATION_CODE + "0")
    specs = [
        OrgSpec(
            MINISTRY_KEY,
            None,
            MINISTRY_NAME,
            MINISTRY_SHORT_NAME,
            OrganisationKind.MINISTRY.value,
            OrganisationLevel.MINISTRY,
            None,
            uscc,
            source,
        )
    ]
    for region in by_code.values():
        parent = by_code.get(region.parent_code) if region.parent_code else None
        parent_key = (bureau, parent.code) if parent else MINISTRY_KEY
        level = region.level + 1  # 省级 region -> 省级 organisation (level 2), and so on
        if region.level == RegionLevel.TOWNSHIP:
            key = (OrganisationKind.JUDICIAL_OFFICE.value, region.code)
            registration = parent.code if parent else region.code[:6]
            uscc, source = _uscc(key, registration, region.code[2:9])
            name = judicial_office_name(region.name)
            specs.append(OrgSpec(key, parent_key, name, name, key[0], level, region.code, uscc, source))
            continue
        key = (bureau, region.code)
        name, short = bureau_names(region, parent)
        uscc, source = _uscc(key, region.code, region.code + "0")
        specs.append(OrgSpec(key, parent_key, name, short, bureau, level, region.code, uscc, source))
        if region.level == RegionLevel.COUNTY:
            prefix = name.removesuffix("司法局")
            for kind, suffix in _COUNTY_CENTRES:
                centre_key = (kind, region.code)
                uscc, source = _uscc(centre_key, region.code, region.code + "0")
                specs.append(
                    OrgSpec(
                        centre_key,
                        key,
                        prefix + suffix,
                        short.removesuffix("司法局") + suffix,
                        kind,
                        level,
                        region.code,
                        uscc,
                        source,
                    )
                )
    specs.sort(key=lambda spec: spec.sort_key)
    return specs
