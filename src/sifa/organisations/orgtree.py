"""The organisation tree as pure data: which organisations the regions imply, their names, USCCs
and 机关代字 (the prefix of their document numbers).

No database access here, so the rules can be read and tested on their own; ``services`` turns the
plan into rows. One organisation is identified by its *natural key* ``(kind, region code)`` (the
ministry has no region), which is what keeps rebuilding idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

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
    document_code: str = ""

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


def plan(regions: Iterable[RegionRow], document_codes: dict[NaturalKey, str] | None = None) -> list[OrgSpec]:
    """Every organisation implied by ``regions``, parents before children, in a stable order.

    ``document_codes`` are the 机关代字 organisations already have (configured or derived
    earlier); they are kept, and every other organisation gets a derived one that none of them
    uses (:func:`assign_document_codes`).
    """
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
    return assign_document_codes(specs, by_code, document_codes or {})


# --- 机关代字 (GB/T 9704-2012 §7.2.5: 发文字号 = 发文机关代字 + 〔年份〕 + 发文顺序号) -----------------

PROVINCE_SHORT_NAMES: dict[str, str] = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
    "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
    "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
    "53": "滇", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新", "71": "台",
    "81": "港", "82": "澳",
}  # fmt: skip
"""省级行政区简称, keyed by the first two digits of the GB/T 2260 code."""
MINISTRY_DOCUMENT_CODE = "司"
"""司法部's own 代字, as in 司发, 司办."""
DOCUMENT_CODE_MAX_LENGTH = 20
_KIND_WORD = {
    OrganisationKind.BUREAU.value: "司",
    OrganisationKind.LEGAL_SERVICE_CENTRE.value: "公法",
    OrganisationKind.LEGAL_AID_CENTRE.value: "法援",
    OrganisationKind.JUDICIAL_OFFICE.value: "所",
}
_PLACE_SUFFIXES = (
    "街道办事处", "特别行政区", "自治州", "自治县", "自治旗", "自治区", "街道", "地区", "林区", "特区",
    "新区", "市", "盟", "县", "区", "旗", "镇", "乡", "省", "苏木",
)  # fmt: skip
_NUMERALS = "二三四五六七八九"


def place_stems(name: str) -> list[str]:
    """Short stems of a place name, shortest first: "西湖区" → ["西", "西湖"], "宁德市" → ["宁", "宁德"].

    At most three characters, or the name without its suffix when that is at most four
    ("鄂尔多斯市" → […, "鄂尔多斯"]), so that derived 代字 stay short; collisions beyond that get a
    numeral (:func:`choose_document_code`).
    """
    core = name
    for suffix in _PLACE_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix):
            core = core.removesuffix(suffix)
            break
    stems: list[str] = []
    for stem in (name[:1], name[:2], core[:3], core if len(core) <= 4 else ""):
        if stem and stem not in stems:
            stems.append(stem)
    return stems


def document_stem(code: str) -> str:
    """The part of a bureau's 代字 its subordinate bodies build on: "杭司" → "杭", "京司" → "京"."""
    return code.removesuffix("司") or code


def document_code_candidates(
    kind: str, level: int, place_name: str, parent_code: str, region_code: str = ""
) -> list[str]:
    """The derived 代字 an organisation may take, most conventional first (docs/documents.md).

    * 司法部 ``司``; a province's bureau its 简称 + 司 (``浙司``);
    * a prefecture's bureau the first character(s) of its name + 司 (``杭司``, else ``宁德司``);
    * a county's bureau its prefecture's stem + the county's first character(s) + 司 (``杭西司``);
    * a county's centres the county's stem + 法援 / 公法 (``杭西法援``);
    * a 司法所 the county's stem + the township's first two characters + 所 (``杭西北山所``).
    """
    if kind == OrganisationKind.MINISTRY.value:
        return [MINISTRY_DOCUMENT_CODE]
    word = _KIND_WORD.get(kind, "司")
    stems = place_stems(place_name) if place_name else []
    parent_stem = document_stem(parent_code)
    if kind == OrganisationKind.BUREAU.value and level == OrganisationLevel.PROVINCE:
        short = PROVINCE_SHORT_NAMES.get(region_code[:2], "")
        return [s + word for s in ([short] if short else []) + stems[1:]]
    if kind == OrganisationKind.BUREAU.value and level == OrganisationLevel.CITY:
        return [s + word for s in stems]
    if kind in (OrganisationKind.LEGAL_AID_CENTRE.value, OrganisationKind.LEGAL_SERVICE_CENTRE.value):
        return [parent_stem + word] + [parent_stem + s + word for s in stems[1:]]
    if kind == OrganisationKind.JUDICIAL_OFFICE.value:
        return [parent_stem + s + word for s in stems[1:] or stems]
    return [parent_stem + s + word for s in stems]


def choose_document_code(candidates: list[str], is_taken: Callable[[str], bool]) -> str:
    """The first free candidate; if all are taken, the last one with 二, 三 … appended."""
    usable = [c[:DOCUMENT_CODE_MAX_LENGTH] for c in candidates if c] or ["司"]
    for candidate in usable:
        if not is_taken(candidate):
            return candidate
    base = usable[-1][: DOCUMENT_CODE_MAX_LENGTH - 2]
    for tens in ["", *_NUMERALS]:
        for digit in _NUMERALS:
            candidate = base + (tens + "十" if tens else "") + digit
            if not is_taken(candidate):
                return candidate
    raise ValueError(f"no free 机关代字 for {usable[-1]}")


def assign_document_codes(
    specs: list[OrgSpec], regions: dict[str, RegionRow], existing: dict[NaturalKey, str]
) -> list[OrgSpec]:
    """Keep the codes in ``existing``; derive the others in tree order so that no two are equal."""
    taken = {code for code in existing.values() if code}
    codes: dict[NaturalKey, str] = {}
    out = []
    for spec in specs:
        code = existing.get(spec.key, "")
        if not code:
            region = regions.get(spec.region_code or "")
            parent_code = codes.get(spec.parent_key, "") if spec.parent_key else ""
            candidates = document_code_candidates(
                spec.kind, spec.level, region.name if region else "", parent_code, spec.region_code or ""
            )
            code = choose_document_code(candidates, taken.__contains__)
            taken.add(code)
        codes[spec.key] = code
        out.append(replace(spec, document_code=code))
    return out
