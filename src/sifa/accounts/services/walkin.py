"""Walk-in applicants (一窗受理): the person or organisation a window clerk files an application for.

A walk-in applicant needs no account. They are found by their identifier — the blind index of the
公民身份号码, or the 统一社会信用代码 — and recorded on first visit under the receiving
organisation's scope. When the identifier is already known (a registered citizen or company, or
an earlier walk-in), the name given at the window must match the one on record: a typo in the
number would otherwise file the application under somebody else's name.

These helpers run inside the caller's command (``sifa.applications.services.start_draft``), which
is atomic and writes the audit event; they raise :class:`ServiceError` with every problem at once
(fields ``applicant.*``) and write nothing when refusing.
"""

from __future__ import annotations

from sifa.accounts.models import LegalPerson, NaturalPerson
from sifa.accounts.services.common import FieldErrors
from sifa.accounts.services.registration import id_number_index
from sifa.core.crypto import field_cipher
from sifa.core.identifiers import IdentifierError, parse_id_number, validate_uscc
from sifa.core.masking import mask_id_number
from sifa.core.requesttext import NAME_CONTROL_CODE, invisible_character, name_control_message
from sifa.organisations.models import Organisation, Region

NAME_MISMATCH = "姓名（名称）与平台已登记的信息不一致，请核对证件后重新填写"


def _name(value: object, field: str, label: str, errors: FieldErrors, max_length: int) -> str:
    name = str(value or "").strip()
    if not name:
        errors.add(field, "field.required", f"请填写{label}")
    elif not 2 <= len(name) <= max_length:
        errors.add(field, "field.length", f"{label}应为2至{max_length}个字")
    elif found := invisible_character(name):
        errors.add(field, NAME_CONTROL_CODE, name_control_message(label, found))
    return name


def walk_in_person(*, name: object, id_number: object, organisation: Organisation) -> NaturalPerson:
    """Find the walk-in person by 公民身份号码 (name must match), or record them."""
    errors = FieldErrors()
    name = _name(name, "applicant.name", "申请人姓名", errors, 100)
    parsed = None
    try:
        parsed = parse_id_number(str(id_number or ""))
    except IdentifierError as exc:
        errors.add("applicant.id_number", exc.code, exc.message)
    errors.raise_if_any()
    index = id_number_index(parsed.value)
    person = NaturalPerson.objects.select_related("user").filter(id_number_index=index).first()
    if person is not None:
        if person.name != name:
            errors.add("applicant.name", "applicant.name_mismatch", NAME_MISMATCH)
            errors.raise_if_any()
        return person
    # An address code no longer (or not yet) in our region table: the receiving office's region.
    region = Region.objects.filter(code=parsed.region_code).first() or organisation.region
    if region is None:
        errors.add("applicant.id_number", "region.unknown", "无法确定申请人的户籍地区")
        errors.raise_if_any()
    person = NaturalPerson(name=name, region=region, scope_path=organisation.path)
    person.id_number_enc = field_cipher().seal(parsed.value, person.id_number_aad)
    person.id_number_index = index
    person.id_number_masked = mask_id_number(parsed.value)
    person.save(force_insert=True)
    return person


def walk_in_company(
    *, name: object, uscc: object, legal_representative: object, organisation: Organisation
) -> LegalPerson:
    """Find the walk-in organisation by 统一社会信用代码 (name must match), or record it."""
    errors = FieldErrors()
    name = _name(name, "applicant.name", "单位名称", errors, 200)
    code = ""
    try:
        code = validate_uscc(str(uscc or ""))
    except IdentifierError as exc:
        errors.add("applicant.uscc", exc.code, exc.message)
    company = LegalPerson.objects.select_related("user").filter(uscc=code).first() if code else None
    representative = str(legal_representative or "").strip()
    if company is None:
        representative = _name(representative, "applicant.legal_representative", "法定代表人", errors, 100)
    errors.raise_if_any()
    if company is not None:
        if company.name != name:
            errors.add("applicant.name", "applicant.name_mismatch", NAME_MISMATCH)
            errors.raise_if_any()
        return company
    # GB 32100: characters 3–8 are the registering authority's division code.
    region = Region.objects.filter(code=code[2:8]).first() or organisation.region
    if region is None:
        errors.add("applicant.uscc", "region.unknown", "无法确定该单位的登记地区")
        errors.raise_if_any()
    return LegalPerson.objects.create(
        name=name,
        uscc=code,
        legal_representative=representative,
        region=region,
        scope_path=organisation.path,
    )
