"""The licence types Sifa issues, defined by 司法部 (its USCC from the organisation tree).

:data:`TYPES` is what ``sifa load-licence-types`` writes
(:func:`sifa.licences.services.load_licence_types`: idempotent; a renamed type is updated in
place, its code never changes). Sequences are stable forever: a code printed in an identifier
must keep meaning the same type. The lookups here only read, never load: an approval whose
licence type was never loaded is refused (503 ``licence.types_not_loaded``) rather than decided
without its licence.
"""

from __future__ import annotations

from dataclasses import dataclass

from sifa.core.errors import ServiceError
from sifa.licences.models import HolderKind, LicenceType
from sifa.organisations.models import Organisation, OrganisationKind


@dataclass(frozen=True)
class TypeSpec:
    sequence: int
    key: str
    name: str
    holder_kind: str
    validity_years: int | None
    result_names: tuple[str, ...]
    legal_basis: str


PERSON, COMPANY = HolderKind.PERSON.value, HolderKind.COMPANY.value

TYPES: tuple[TypeSpec, ...] = (
    TypeSpec(1, "lawyer_licence", "律师执业证", PERSON, None,
             ("律师执业证书", "律师执业证书（换发）", "律师执业证"), "《中华人民共和国律师法》第六条"),
    TypeSpec(2, "law_firm_licence", "律师事务所执业许可证", COMPANY, None,
             ("律师事务所执业证书", "律师事务所执业许可证"), "《中华人民共和国律师法》第十八条"),
    TypeSpec(3, "notary_licence", "公证员执业证", PERSON, None,
             ("公证员执业证书", "公证员执业证"), "《中华人民共和国公证法》第二十一条"),
    TypeSpec(4, "forensic_institution_licence", "司法鉴定许可证", COMPANY, 5,
             ("司法鉴定许可证",), "《司法鉴定机构登记管理办法》第二十条（有效期五年）"),
    TypeSpec(5, "forensic_expert_licence", "司法鉴定人执业证", PERSON, 5,
             ("司法鉴定人执业证",), "《司法鉴定人登记管理办法》第十八条（有效期五年）"),
    TypeSpec(6, "grassroots_legal_worker_licence", "基层法律服务工作者执业证", PERSON, None,
             ("基层法律服务工作者执业证",), "《基层法律服务工作者管理办法》第十四条"),
    TypeSpec(7, "legal_qualification", "法律职业资格证书", PERSON, None,
             ("法律职业资格证书",), "《法律职业资格管理办法》第四条"),
    TypeSpec(8, "legal_aid_decision", "法律援助决定书", PERSON, None,
             ("给予法律援助决定书或者不予法律援助决定书", "法律援助决定书"), "《中华人民共和国法律援助法》第四十三条"),
    TypeSpec(9, "notary_office_licence", "公证机构执业证书", COMPANY, None,
             ("公证机构执业证书",), "《中华人民共和国公证法》第九条"),
    TypeSpec(10, "law_firm_branch_licence", "律师事务所分所执业许可证", COMPANY, None,
             ("律师事务所分所执业证书",), "《中华人民共和国律师法》第十九条"),
    TypeSpec(11, "foreign_law_office_licence", "外国律师事务所驻华代表机构执业执照", COMPANY, None,
             ("外国律师事务所驻华代表机构执业执照、代表执业证书",), "《外国律师事务所驻华代表机构管理条例》第十条"),
)  # fmt: skip


def ministry() -> Organisation:
    """司法部, the definer of every type; it must be in the organisation tree with its USCC."""
    org = Organisation.objects.filter(kind=OrganisationKind.MINISTRY).exclude(uscc="").order_by("pk").first()
    if org is None:
        raise ServiceError(
            "licence.no_definer",
            "组织机构树中没有带统一社会信用代码的司法部，请先运行 sifa build-organisations",
            status=503,
        )
    return org


def type_for(reference: str) -> LicenceType | None:
    """A type by its key (``lawyer_licence``) or its 21-character code; None when there is none
    (before the types are loaded no licence of any type exists, so a wallet finds nothing)."""
    reference = (reference or "").strip()
    if not reference:
        return None
    return (
        LicenceType.objects.filter(key=reference).first()
        or LicenceType.objects.filter(code=reference).first()
    )


def type_for_result(result_name: str) -> LicenceType | None:
    """The type a catalogue result name (``ItemVersion.result_name``) issues, or None when that
    result is no licence.

    503 ``licence.types_not_loaded`` when the result is a licence whose type was never loaded:
    answering None then would decide an approval without issuing its licence.
    """
    result_name = (result_name or "").strip()
    spec = next((spec for spec in TYPES if result_name and result_name in spec.result_names), None)
    if spec is None:
        return None
    row = LicenceType.objects.filter(key=spec.key).first()
    if row is None:
        raise ServiceError(
            "licence.types_not_loaded",
            f"电子证照类型“{spec.name}”尚未载入，请系统管理员运行 sifa load-licence-types 后重试",
            status=503,
        )
    return row
