"""机构人员查询: who practises and which institutions exist, read from what Sifa already holds.

Nothing here writes, and the directory keeps no table of its own: every answer is read at request
time from the records of the apps below, so a licence suspended a second ago reads as suspended now.

* practitioners and institutions that hold a 电子证照 (``sifa.licences``): the current version of
  each licence (never a superseded one) of the types in :data:`LICENCE_KINDS`, with its live status;
* 法律援助中心: the organisation tree (``sifa.organisations``);
* 人民调解委员会: the mediation roster (``sifa.mediation``), with its mediators.

What is shown is only what the law makes public (docs/directory.md): names, the practice
organisation, the region, the licence number and status, an institution's registered address.
Never an ID number (not even masked), a person's phone or a person's address.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.urls import reverse

from sifa.core.errors import NotFound, ServiceError
from sifa.licences.models import HolderKind, Licence, LicenceStatus
from sifa.mediation.models import MediationCommittee
from sifa.organisations.models import Organisation, OrganisationKind, Region

MAX_QUERY_LENGTH = 50
"""名称 and 地区 are at most this many characters (a name or a region name is far shorter)."""
MAX_REGION_MATCHES = 200
"""A region text matching more regions than this is too vague to narrow anything: refused."""


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    licence_types: tuple[str, ...] = ()
    person: bool = False


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("lawyer", "律师", ("lawyer_licence",), person=True),
        Kind("law_firm", "律师事务所", ("law_firm_licence", "law_firm_branch_licence")),
        Kind("notary", "公证员", ("notary_licence",), person=True),
        Kind("notary_office", "公证机构", ("notary_office_licence",)),
        Kind("appraiser", "司法鉴定人", ("forensic_expert_licence",), person=True),
        Kind("appraisal_institution", "司法鉴定机构", ("forensic_institution_licence",)),
        Kind("grassroots_worker", "基层法律服务工作者", ("grassroots_legal_worker_licence",), person=True),
        Kind("legal_aid_centre", "法律援助中心"),
        Kind("mediation_committee", "人民调解委员会"),
    )
}
"""Every kind the directory searches, in the order results are listed. Each has a source that can
return rows: the licence kinds the licences Sifa issues, the other two the tree and the roster."""

LICENCE_KINDS = {key for key, kind in KINDS.items() if kind.licence_types}
DirectoryKind = models.TextChoices(
    "DirectoryKind", [(key.upper(), (key, kind.label)) for key, kind in KINDS.items()]
)
"""The kinds as a choice set (published once in the OpenAPI document as ``DirectoryKindEnum``)."""


@dataclass
class Entry:
    """One row of the directory: a practitioner or an institution, public fields only."""

    kind: str
    id: str
    name: str
    organisation: str = ""
    region_code: str = ""
    region: str = ""
    field: str = ""
    address: str = ""
    licence: dict[str, Any] | None = None
    organisation_url: str = ""
    """The directory page of the organisation, when it is in the directory (a lawyer's firm)."""
    mediators: list[dict[str, str]] = dataclass_field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind].label

    @property
    def url(self) -> str:
        return reverse("directory-detail", args=[self.kind, self.id])

    def as_dict(self, *, detail: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "kind_label": self.kind_label,
            "id": self.id,
            "name": self.name,
            "organisation": self.organisation,
            "region": self.region,
            "region_code": self.region_code,
            "field": self.field,
            "licence_status": self.licence["status"] if self.licence else None,
            "licence_status_label": self.licence["status_label"] if self.licence else None,
            "url": self.url,
        }
        if detail:
            data["organisation_url"] = self.organisation_url
            data["address"] = self.address
            data["licence"] = self.licence
            data["mediators"] = self.mediators if self.kind == "mediation_committee" else []
        return data


# --- input ------------------------------------------------------------------------------------


def bad_input(field_name: str, code: str, message: str) -> ServiceError:
    return ServiceError(code, message, errors=[{"field": field_name, "code": code, "message": message}])


def clean_text(value: Any, field_name: str, label: str) -> str:
    """A search text: trimmed, at most :data:`MAX_QUERY_LENGTH` characters, no control characters."""
    text = str(value or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise bad_input(field_name, "directory.query_too_long", f"{label}不能超过{MAX_QUERY_LENGTH}个字")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in text):
        raise bad_input(field_name, "directory.query_invalid", f"{label}中含有无法识别的字符，请重新输入")
    return text


def clean_kind(value: Any) -> str:
    kind = str(value or "").strip()
    if kind and kind not in KINDS:
        raise bad_input(
            "kind",
            "directory.kind",
            "类别无效，可选：" + "、".join(f"{k}（{v.label}）" for k, v in KINDS.items()),
        )
    return kind


# --- regions ----------------------------------------------------------------------------------


def _significant(code: str) -> str:
    """330100 → 3301: the prefix every code below a region starts with (a township: its code)."""
    significant = code[:6]
    while significant.endswith("00"):
        significant = significant[:-2]
    return significant if len(code) <= 6 else code


def region_prefixes(text: str) -> list[str] | None:
    """The code prefixes a region text stands for: None for no filter, [] for “no such region”.

    Text matches region names (杭州 → 杭州市 and everything below it); digits are a region code
    (GB/T 2260 or a township code) and match it and everything below.
    """
    if not text:
        return None
    if text.isdigit():
        return [_significant(text)] if len(text) in (6, 12) else [text]
    codes = list(
        Region.objects.filter(name__icontains=text).values_list("code", flat=True)[: MAX_REGION_MATCHES + 1]
    )
    if len(codes) > MAX_REGION_MATCHES:
        raise bad_input(
            "region", "directory.region_too_vague", "地区名称太宽泛，请输入更完整的地区名称，如“西湖区”"
        )
    return [_significant(code) for code in codes]


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """Each code's full name from the province down, e.g. 浙江省杭州市西湖区."""
    codes = {code for code in codes if code}
    regions: dict[str, Region] = {}
    wanted = set(codes)
    while wanted:
        found = list(Region.objects.filter(code__in=wanted))
        regions.update((region.code, region) for region in found)
        wanted = {r.parent_id for r in found if r.parent_id and r.parent_id not in regions}
    names: dict[str, str] = {}
    for code in codes:
        parts, region = [], regions.get(code)
        while region is not None:
            parts.append(region.name)
            region = regions.get(region.parent_id) if region.parent_id else None
        names[code] = "".join(reversed(parts))
    return names


def picker_regions() -> list[Region]:
    """What the 地区 field suggests: provinces and cities (a datalist of a few hundred names, light
    enough for a phone); typing any region name, a county's or a township's, works too."""
    return list(Region.objects.filter(level__lte=2).order_by("code").only("code", "name"))


# --- sources ----------------------------------------------------------------------------------


def licence_summary(licence: Licence) -> dict[str, Any]:
    """The live status, the same label the verification page shows, and where to verify it."""
    return {
        "identifier": licence.identifier,
        "number": licence.number,
        "type": licence.licence_type.name,
        "status": licence.effective_status(),
        "status_label": licence.effective_status_label(),
        "status_date": licence.status_date.isoformat()
        if licence.status_date and licence.status != "valid"
        else None,
        "issuer": licence.issuer_name,
        "issue_date": licence.issue_date.isoformat(),
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "verify_url": reverse("licence-verify-page", args=[licence.identifier]),
    }


def _licence_rows(
    kinds: Iterable[str], *, number: str | None = None, holder_name: str | None = None
) -> list[Licence]:
    types = [t for k in kinds for t in KINDS[k].licence_types]
    rows = (
        Licence.objects.filter(licence_type__key__in=types)
        .exclude(status=LicenceStatus.SUPERSEDED)
        .select_related("licence_type", "issuer", "application__accepting_organisation", "holder__company")
        .order_by("holder_name", "number", "-version")
    )
    if number is not None:
        rows = rows.filter(number=number)
    if holder_name is not None:
        rows = rows.filter(holder_name=holder_name)
    return list(rows)


def _kind_of_type(type_key: str) -> str:
    return next(k for k in LICENCE_KINDS if type_key in KINDS[k].licence_types)


def _licence_entry(licence: Licence) -> Entry:
    kind = _kind_of_type(licence.licence_type.key)
    person = licence.licence_type.holder_kind == HolderKind.PERSON
    application = licence.application
    region = ""
    if not person and licence.holder_id:
        company = licence.holder.company if _has_company(licence) else None
        region = company.region_id if company is not None else ""
    if not region and application is not None:
        region = application.accepting_organisation.region_id or ""
    if not region:
        region = licence.issuer.region_id or ""
    address = ""
    if not person and application is not None and isinstance(application.form_data, dict):
        # The organisation form's 住所 (registered address) is public; a person's address never is.
        value = application.form_data.get("address")
        address = value.strip()[:200] if isinstance(value, str) else ""
    return Entry(
        kind=kind,
        id=licence.number,
        name=licence.holder_name,
        organisation=str((licence.particulars or {}).get("practice_organisation", "")) if person else "",
        region_code=region,
        address=address,
        licence=licence_summary(licence),
    )


def _has_company(licence: Licence) -> bool:
    try:
        licence.holder.company  # noqa: B018  (a reverse one-to-one: raises when there is none)
    except ObjectDoesNotExist:
        return False
    return True


def _centre_entry(org: Organisation) -> Entry:
    return Entry(
        kind="legal_aid_centre",
        id=org.uscc or str(org.pk),
        name=org.name,
        organisation=org.parent.name if org.parent_id else "",
        region_code=org.region_id or "",
        field="法律援助（法律咨询、代理、刑事辩护等）",
    )


def _centres(**filters: Any) -> list[Organisation]:
    return list(
        Organisation.objects.filter(kind=OrganisationKind.LEGAL_AID_CENTRE, is_active=True, **filters)
        .select_related("parent")
        .order_by("name", "pk")
    )


def _committee_entry(committee: MediationCommittee, *, with_mediators: bool) -> Entry:
    mediators = [m for m in committee.mediators.all() if m.is_active]
    specialties = sorted({m.specialties for m in mediators if m.specialties})
    return Entry(
        kind="mediation_committee",
        id=str(committee.pk),
        name=committee.name,
        organisation=committee.organisation.name,
        region_code=committee.organisation.region_id or "",
        field="；".join([committee.get_kind_display(), *specialties]),
        mediators=[
            {"name": m.name, "position": m.get_position_display(), "specialties": m.specialties}
            for m in mediators
        ]
        if with_mediators
        else [],
    )


def _committees(**filters: Any) -> list[MediationCommittee]:
    return list(
        MediationCommittee.objects.filter(is_active=True, organisation__is_active=True, **filters)
        .select_related("organisation")
        .prefetch_related("mediators")
        .order_by("name", "pk")
    )


def _entries(kinds: list[str]) -> list[Entry]:
    entries: list[Entry] = []
    wanted = [k for k in kinds if k in LICENCE_KINDS]
    if wanted:
        by_kind: dict[str, list[Entry]] = {}
        for licence in _licence_rows(wanted):
            entry = _licence_entry(licence)
            by_kind.setdefault(entry.kind, []).append(entry)
        for kind in wanted:
            entries += by_kind.get(kind, [])
    if "legal_aid_centre" in kinds:
        entries += [_centre_entry(org) for org in _centres()]
    if "mediation_committee" in kinds:
        entries += [_committee_entry(c, with_mediators=False) for c in _committees()]
    return entries


def _name_regions(entries: list[Entry]) -> None:
    names = region_names({e.region_code for e in entries})
    for entry in entries:
        entry.region = names.get(entry.region_code, "")


# --- the two reads ----------------------------------------------------------------------------


@dataclass
class SearchResult:
    entries: list[Entry]
    region_found: bool = True
    """False when a region text matched no region (the page says so)."""


def search(q: Any = "", kind: Any = "", region: Any = "") -> SearchResult:
    """Entries whose name, organisation or field contains ``q``, of ``kind`` (all when empty), in
    the region named by ``region`` or below it. 400 ``directory.*`` for bad input."""
    text = clean_text(q, "q", "名称")
    kind = clean_kind(kind)
    region_text = clean_text(region, "region", "地区")
    prefixes = region_prefixes(region_text)
    if prefixes == []:
        return SearchResult([], region_found=False)
    entries = _entries([kind] if kind else list(KINDS))
    if text:
        needle = text.casefold()
        entries = [
            e
            for e in entries
            if needle in e.name.casefold()
            or needle in e.organisation.casefold()
            or needle in e.field.casefold()
            or (e.licence is not None and needle == e.licence["number"])
        ]
    if prefixes is not None:
        entries = [e for e in entries if e.region_code and any(e.region_code.startswith(p) for p in prefixes)]
    _name_regions(entries)
    return SearchResult(entries)


def entry(kind: Any, entry_id: Any) -> Entry:
    """One practitioner or institution by its public id; 400 ``directory.kind`` for an unknown
    kind, 404 ``directory.not_found`` for an unknown id."""
    kind = clean_kind(kind)
    entry_id = str(entry_id or "").strip()
    missing = NotFound("机构人员名录中没有该条目，请核对后重新查询", "directory.not_found")
    if not kind or not entry_id or len(entry_id) > 64 or not entry_id.isalnum() or not entry_id.isascii():
        raise missing
    found: Entry | None = None
    if kind in LICENCE_KINDS:
        rows = _licence_rows([kind], number=entry_id)
        found = _licence_entry(rows[0]) if rows else None
    elif kind == "legal_aid_centre":
        if len(entry_id) == 18:
            lookup = Q(uscc=entry_id.upper())
        elif entry_id.isdigit() and len(entry_id) < 12:
            lookup = Q(pk=int(entry_id), uscc="")
        else:
            raise missing
        centres = _centres(pk__in=Organisation.objects.filter(lookup).values("pk")[:1])
        found = _centre_entry(centres[0]) if centres else None
    elif kind == "mediation_committee" and entry_id.isdigit() and len(entry_id) < 12:
        committees = _committees(pk=int(entry_id))
        found = _committee_entry(committees[0], with_mediators=True) if committees else None
    if found is None:
        raise missing
    if kind == "lawyer" and found.organisation:
        firms = _licence_rows(["law_firm"], holder_name=found.organisation)
        found.organisation_url = _licence_entry(firms[0]).url if firms else ""
    _name_regions([found])
    return found
