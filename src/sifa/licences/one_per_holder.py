"""Licences a holder holds one of at a time (律师法 §10 for the 律师执业证; §18 and §21 for the
律师事务所执业许可证, our reading: docs/licences.md), and the one read that finds the one held.

Asked three times, so no case reaches a decision that cannot be carried out:

* at application — the ``licence`` once-only slot's :meth:`sifa.licences.onceonly.WalletProvider.held`
  (the applications layer cannot import this app): a draft or a submission of an item whose
  licence effect is ``issue`` and whose result is one of these types is refused (409
  ``application.licence_already_held``);
* at the decision — :func:`sifa.licences.services.results.check_subject`: an approval is refused
  (409 ``licence.already_held``), the decider gives a 不予 decision instead (the licence may have
  been issued on another application, or imported, after this one was submitted);
* at issuing — :func:`sifa.licences.services.issue.issue_for_application`, the last line of defence.

Only items that issue one of these types read anything: the type comes from the catalogue's
result name in Python (:data:`sifa.licences.types.TYPES`), without a query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, Subquery
from django.utils import timezone

from sifa.accounts.models import NaturalPerson
from sifa.core.crypto import field_cipher
from sifa.licences.models import HolderKind, Licence
from sifa.licences.services.common import CHANGEABLE, USCC_INDEX
from sifa.licences.types import TYPES, TypeSpec

ONE_PER_HOLDER = {
    "lawyer_licence": "律师只能在一个律师事务所执业，律师变更执业机构的，应当申请换发律师执业证书"
    "（《中华人民共和国律师法》第十条），请申请“律师执业变更许可（变更执业机构）”",
    "law_firm_licence": "准予设立的律师事务所领取一份律师事务所执业证书（《中华人民共和国律师法》第十八条），"
    "其名称、负责人、章程、合伙协议变更的，应当报原审核部门批准（第二十一条），"
    "请申请“律师事务所变更许可”，而不是再次申请设立",
}
"""Licence types a holder holds one of at a time (by ``LicenceType.key``), and why, with the article
and what to apply for instead (Chinese: it is the end of the refusal's message)."""


IN_FORCE = CHANGEABLE
"""The stored statuses of a licence its holder still holds: 有效 and 停止执业 (吊销, 注销 and a
superseded version do not count; nor does a licence past its ``valid_until``)."""


def describe(licence: Licence) -> str:
    """“律师执业证（编号…，浙江省司法厅颁发，状态：有效）”: the licence a refusal names."""
    return (
        f"{licence.name}（编号{licence.number}，{licence.issuer_name}颁发，"
        f"状态：{licence.get_status_display()}）"
    )


def one_per_holder_type(result_name: str) -> TypeSpec | None:
    """The one-per-holder type a catalogue result name (``ItemVersion.result_name``) issues, or None
    (no query)."""
    result_name = (result_name or "").strip()
    if not result_name:
        return None
    return next((s for s in TYPES if s.key in ONE_PER_HOLDER and result_name in s.result_names), None)


def held_licence(
    type_key: str, *, holder_id: Any = None, person_id: Any = None, code_index: str | None = None
) -> Licence | None:
    """The holder's licence of the type ``type_key`` still in force — 有效 or 停止执业 (a suspended
    lawyer still holds it: a new one would escape the penalty), not past ``valid_until`` — by their account,
    their person record's 公民身份号码 blind index or ``code_index`` (a 公民身份号码's or USCC's
    blind index), the oldest first; None when there is none. One statement."""
    owner = Q()
    if holder_id:
        owner |= Q(holder_id=holder_id)
    if person_id:
        owner |= Q(
            holder_code_index=Subquery(
                NaturalPerson.objects.filter(pk=person_id).values("id_number_index")[:1]
            )
        )
    if code_index:
        owner |= Q(holder_code_index=code_index)
    if not owner:
        return None
    return (
        Licence.objects.filter(owner, licence_type__key=type_key, status__in=IN_FORCE)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=timezone.localdate()))
        .order_by("id")
        .first()
    )


def held_by_applicant(application: Any, spec: TypeSpec) -> Licence | None:
    """:func:`held_licence` for an application's applicant: the account, the person record (a
    walk-in recorded without an account too) and, for a company's type, the USCC's blind index."""
    code_index = None
    if spec.key == "law_firm_licence" and application.applicant_company_id:
        code_index = field_cipher().blind_index(application.applicant_company.uscc, USCC_INDEX)
    return held_licence(
        spec.key,
        holder_id=application.applicant_id,
        person_id=application.applicant_person_id if spec.holder_kind == HolderKind.PERSON else None,
        code_index=code_index,
    )
