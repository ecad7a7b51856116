"""模拟办件: an inspector files an ordinary online application as a test applicant, then scores
how it was handled once it has ended.

The case reaches staff like any other: the draft is started, its materials uploaded and it is
submitted through ``sifa.applications.services`` acting as the test applicant's own citizen
account, with ``Application.is_mock`` set (no page, API answer or notification of the handling
side shows it). Only this app knows the account is a test identity.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sifa.accounts.models import NaturalPerson
from sifa.accounts.services.registration import id_number_index, register_person
from sifa.applications import services as applications
from sifa.applications.services.idempotency import MAX_KEY_LENGTH, first_request, request_digest
from sifa.catalogue.models import EntryStatus, ImplementationEntry
from sifa.core.errors import Conflict, ServiceError
from sifa.core.identifiers import IdentifierError, parse_id_number
from sifa.inspections.checklist import MOCK_CHECKLIST
from sifa.inspections.models import MockApplication, TestApplicant
from sifa.inspections.services.common import (
    audit,
    covers,
    inspecting_organisation,
    inspector_actor,
    invalid,
    not_found,
    problem,
    scores_of,
)
from sifa.organisations.models import Organisation

FINDINGS_MAX = 3000


@dataclass(frozen=True)
class Material:
    material: int
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True)
class Filed:
    mock: MockApplication
    replayed: bool = False


def _test_applicant(user: Any, organisation: Organisation, applicant: dict[str, Any]) -> TestApplicant:
    """The inspecting organisation's test identity for this 公民身份号码, registered on first use.
    A number that belongs to a real person (not a test identity) is refused: no impersonation."""
    name = str(applicant.get("name") or "").strip()
    raw_id = str(applicant.get("id_number") or "").strip()
    phone = str(applicant.get("phone") or "").strip()
    try:
        parsed = parse_id_number(raw_id)
    except IdentifierError as exc:
        raise invalid([problem("applicant.id_number", "bad_id_number", exc.message)]) from None
    person = NaturalPerson.objects.filter(id_number_index=id_number_index(parsed.value)).first()
    if person is not None:
        held = TestApplicant.objects.filter(person=person).select_related("person__user").first()
        if held is None or (
            not held.scope_path.startswith(organisation.path)
            and not organisation.path.startswith(held.scope_path)
        ):
            raise Conflict(
                "inspections.real_person",
                "该公民身份号码已属于一名真实用户，不能作为测试身份；请使用虚构的身份号码",
            )
        if person.name != name:
            raise invalid([problem("applicant.name", "name_mismatch", "姓名与该测试身份登记的姓名不一致")])
        return held
    try:
        person = register_person(
            name=name,
            id_number=parsed.value,
            phone=phone,
            password=secrets.token_urlsafe(24) + "Aa1!",
            region_code=parsed.region_code,
        )
    except ServiceError as refused:
        if not refused.errors:
            raise
        raise invalid([{**e, "field": f"applicant.{e['field']}"} for e in refused.errors]) from None
    return TestApplicant.objects.create(
        person=person, organisation=organisation, scope_path=organisation.path, created_by=user
    )


def _entry(organisation_id: Any, item_code: str) -> ImplementationEntry:
    entry = (
        ImplementationEntry.objects.select_related(
            "version", "item", "organisation", "accepting_organisation"
        )
        .filter(organisation_id=organisation_id, item__basic_code=item_code, status=EntryStatus.ACTIVE)
        .order_by("-id")
        .first()
    )
    if entry is None:
        raise not_found("机构实施的事项")
    return entry


def _replay(owner: str, key: str, digest: str) -> Filed | None:
    existing = first_request(MockApplication, owner=owner, key=key, digest=digest)
    if existing is None:
        return None
    return Filed(existing, replayed=True)


def file_mock(
    user: Any,
    *,
    organisation: Any,
    item: str,
    applicant: dict[str, Any],
    form_data: dict[str, Any] | None = None,
    situation_answers: dict[str, str] | None = None,
    materials: list[Material] = (),
    idempotency_key: str = "",
) -> Filed:
    """File a 模拟办件 for ``item`` implemented by ``organisation`` (in the inspector's subtree).

    A retry with the same ``idempotency_key`` and content answers the first mock again; the same
    key with other content is 422."""
    actor = inspector_actor(user)
    key = str(idempotency_key or "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise ServiceError("idempotency.bad_key", "幂等键应为1至200个字符")
    owner = f"user:{user.pk}"
    digest = request_digest(
        {
            "organisation": organisation,
            "item": item,
            "applicant": applicant,
            "form_data": form_data,
            "situation_answers": situation_answers,
            "materials": [(m.material, m.filename, request_digest(m.content.hex())) for m in materials],
        }
    )
    if key:
        replay = _replay(owner, key, digest)
        if replay is not None:
            return replay
    target = Organisation.objects.filter(pk=organisation if str(organisation).isdigit() else None).first()
    if target is None or not covers(actor, target.path):
        raise not_found("机构")
    entry = _entry(target.pk, str(item or ""))
    inspecting = inspecting_organisation(actor, target.path)
    try:
        with transaction.atomic():
            test = _test_applicant(user, inspecting, applicant if isinstance(applicant, dict) else {})
            citizen = test.person.user
            draft = applications.start_draft(
                entry,
                actor=citizen,
                form_data=form_data or {},
                situation_answers=situation_answers or {},
                is_mock=True,
            )
            for material in materials:
                applications.upload_material(
                    draft,
                    actor=citizen,
                    material_id=material.material,
                    fileobj=io.BytesIO(material.content),
                    filename=material.filename,
                    declared_content_type=material.content_type,
                )
            submitted, _code = applications.submit(draft, actor=citizen)
            mock = MockApplication.objects.create(
                application=submitted,
                applicant=test,
                organisation=target,
                inspecting_organisation=inspecting,
                scope_path=inspecting.path,
                inspector=user,
                idempotency_owner=owner if key else "",
                idempotency_key=key,
                request_digest=digest if key else "",
            )
            audit(
                "mock.file",
                user,
                subject=mock,
                organisation=inspecting,
                scope_path=inspecting.path,
                detail={"number": submitted.number, "organisation": target.pk, "item": entry.item.basic_code},
            )
            return Filed(mock)
    except IntegrityError:
        replay = _replay(owner, key, digest) if key else None
        if replay is None:
            raise
        return replay


def _lock(user: Any, public_id: Any) -> MockApplication:
    actor = inspector_actor(user)
    mock = (
        MockApplication.objects.select_for_update(of=("self",))
        .select_related("application", "inspecting_organisation")
        .filter(public_id=public_id)
        .first()
    )
    if mock is None or not covers(actor, mock.scope_path):
        raise not_found("模拟办件")
    return mock


@transaction.atomic
def score_mock(user: Any, public_id: Any, *, scores: Any, findings: str = "") -> MockApplication:
    """Score the handling of an ended mock application against the checklist, once."""
    mock = _lock(user, public_id)
    if not mock.ended:
        raise Conflict("inspections.not_ended", "模拟办件办结（送达、不予受理或撤回）后才能评分")
    if mock.scored_at is not None:
        raise Conflict("inspections.already_scored", "该模拟办件已评分")
    values, total = scores_of(MOCK_CHECKLIST, scores)
    text = str(findings or "").strip()
    if len(text) > FINDINGS_MAX:
        raise invalid([problem("findings", "findings_length", f"督查发现不能超过{FINDINGS_MAX}字")])
    mock.scores, mock.score_total, mock.findings = values, total, text
    mock.scored_at, mock.scored_by = timezone.now(), user
    mock.save(update_fields=["scores", "score_total", "findings", "scored_at", "scored_by"])
    audit(
        "mock.score",
        user,
        subject=mock,
        organisation=mock.inspecting_organisation,
        scope_path=mock.scope_path,
        detail={"number": mock.application.number, "total": total},
    )
    return mock
