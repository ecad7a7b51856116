"""随机抽查: a reproducible draw of closed cases, assigned to inspectors, and their findings.

The draw: the candidates are the cases closed (送达 or 不予受理; ``closed_at``) in the month in
the organisation's subtree, mock applications excluded, ordered by 办件编号; the sample is
``random.Random(seed).sample(candidates, min(size, len(candidates)))``. The same seed over the same
month gives the same sample. Without a seed one is drawn from ``secrets`` and recorded. The
seed, the candidate count and the sample are recorded and audited.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from sifa.accounts.models import User
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.idempotency import MAX_KEY_LENGTH, first_request, request_digest
from sifa.core.errors import Conflict, ServiceError
from sifa.inspections.checklist import CASE_CHECKLIST
from sifa.inspections.models import CheckStatus, RandomCheck, Result, SampledCase, Severity
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
from sifa.organisations.models import Membership, Organisation, Role

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
SEED_RE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
MAX_SIZE = 200
FINDINGS_MAX = 3000
CLOSED_STATUSES = (ApplicationStatus.DELIVERED, ApplicationStatus.NOT_ACCEPTED)


@dataclass(frozen=True)
class Drawn:
    check: RandomCheck
    replayed: bool = False


def month_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    """The month ``YYYY-MM`` as [start, end) in the local time zone; 400 for anything else."""
    match = PERIOD_RE.match(str(period or ""))
    if not match:
        raise invalid([problem("period", "bad_period", "期间应为年月，格式 YYYY-MM，如 2026-11")])
    year, month = int(match.group(1)), int(match.group(2))
    start = dt.datetime(year, month, 1)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    zone = timezone.get_current_timezone()
    return timezone.make_aware(start, zone), timezone.make_aware(end, zone)


def candidates(organisation: Organisation, period: str) -> list[str]:
    """The 办件编号 a draw chooses from, in order."""
    start, end = month_bounds(period)
    return list(
        Application.objects.filter(
            scope_path__subtree=organisation.path,
            closed_at__gte=start,
            closed_at__lt=end,
            status__in=CLOSED_STATUSES,
            is_mock=False,
        )
        .order_by("number")
        .values_list("number", flat=True)
    )


def sample(numbers: list[str], size: int, seed: str) -> list[str]:
    """The seeded sample: deterministic for the same candidates, size and seed."""
    return random.Random(seed).sample(numbers, min(size, len(numbers)))


def _inspectors(actor_user: Any, target: Organisation, raw: Any) -> list[User]:
    """Who checks the sampled cases: the named inspectors (each an inspector whose subtree holds
    the organisation), round-robin; the one drawing when none is named."""
    if not raw:
        return [actor_user]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise invalid([problem("inspectors", "bad_inspectors", "检查人应为督查人员用户名的列表")])
    found: list[User] = []
    for username in dict.fromkeys(raw):
        user = User.objects.filter(username=username, is_active=True).first()
        paths = (
            Membership.objects.filter(user=user, role=Role.INSPECTOR).values_list(
                "organisation__path", flat=True
            )
            if user is not None
            else []
        )
        if user is None or not any(target.path.startswith(p) for p in paths):
            raise invalid(
                [problem("inspectors", "not_inspector", f"“{username}”不是能检查{target.name}的督查人员")]
            )
        found.append(user)
    return found


def _replay(owner: str, key: str, digest: str) -> Drawn | None:
    existing = first_request(RandomCheck, owner=owner, key=key, digest=digest)
    if existing is None:
        return None
    return Drawn(existing, replayed=True)


def draw(
    user: Any,
    *,
    organisation: Any,
    period: str,
    size: Any,
    seed: str = "",
    inspectors: Any = None,
    idempotency_key: str = "",
) -> Drawn:
    """Draw and record a random check (one transaction, audited)."""
    actor = inspector_actor(user)
    key = str(idempotency_key or "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise ServiceError("idempotency.bad_key", "幂等键应为1至200个字符")
    owner = f"user:{user.pk}"
    payload = {
        "organisation": organisation,
        "period": period,
        "size": size,
        "seed": seed,
        "inspectors": inspectors,
    }
    digest = request_digest(payload)
    if key:
        replay = _replay(owner, key, digest)
        if replay is not None:
            return replay
    target = Organisation.objects.filter(pk=organisation if str(organisation).isdigit() else None).first()
    if target is None or not covers(actor, target.path):
        raise not_found("机构")
    errors = []
    try:
        month_bounds(period)
    except ServiceError as refused:
        errors += refused.errors
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
        errors.append(problem("size", "bad_size", f"抽取数量应为1至{MAX_SIZE}件"))
    seed = str(seed or "").strip()
    if seed and not SEED_RE.match(seed):
        errors.append(problem("seed", "bad_seed", "随机种子应为1至64位字母、数字、下划线或连字符"))
    if errors:
        raise invalid(errors)
    if period >= timezone.localdate().strftime("%Y-%m"):
        raise Conflict("inspections.period_not_over", "只能抽查已经结束的月份的办结件")
    checkers = _inspectors(user, target, inspectors)
    given = bool(seed)
    seed = seed or secrets.token_hex(16)
    inspecting = inspecting_organisation(actor, target.path)
    try:
        with transaction.atomic():
            numbers = candidates(target, period)
            chosen = sample(numbers, size, seed)
            check = RandomCheck.objects.create(
                organisation=target,
                scope_path=target.path,
                period=period,
                size=size,
                seed=seed,
                seed_given=given,
                candidate_count=len(numbers),
                status=CheckStatus.OPEN if chosen else CheckStatus.CLOSED,
                closed_at=None if chosen else timezone.now(),
                drawn_by=user,
                idempotency_owner=owner if key else "",
                idempotency_key=key,
                request_digest=digest if key else "",
            )
            ids = dict(Application.objects.filter(number__in=chosen).values_list("number", "pk"))
            SampledCase.objects.bulk_create(
                SampledCase(
                    random_check=check,
                    application_id=ids[number],
                    position=index + 1,
                    inspector=checkers[index % len(checkers)],
                )
                for index, number in enumerate(chosen)
            )
            audit(
                "check.draw",
                user,
                subject=check,
                organisation=inspecting,
                scope_path=target.path,
                detail={
                    "organisation": target.pk,
                    "period": period,
                    "size": size,
                    "seed": seed,
                    "seed_given": given,
                    "candidates": len(numbers),
                    "sample": chosen,
                    "inspectors": [u.username for u in checkers],
                },
            )
            return Drawn(check)
    except IntegrityError:
        replay = _replay(owner, key, digest) if key else None
        if replay is None:
            raise
        return replay


@transaction.atomic
def record_finding(
    user: Any,
    check_id: Any,
    number: str,
    *,
    result: str,
    severity: str = "",
    findings: str = "",
    scores: Any = None,
) -> SampledCase:
    """The assigned inspector's finding on one sampled case: pass, or issues with a severity and
    a text; the checklist scores. The check closes when every sampled case has its finding."""
    actor = inspector_actor(user)
    check = RandomCheck.objects.select_for_update().filter(public_id=check_id).first()
    if check is None or not covers(actor, check.scope_path):
        raise not_found("随机抽查")
    row = (
        SampledCase.objects.select_for_update(of=("self",))
        .select_related("application")
        .filter(random_check=check, application__number=str(number))
        .first()
    )
    if row is None:
        raise not_found("抽查办件")
    if row.inspector_id != user.pk:
        raise ServiceError("inspections.not_assigned", "该抽查办件已分配给其他督查人员检查", status=403)
    if row.checked_at is not None:
        raise Conflict("inspections.already_checked", "该抽查办件已记录检查结论")
    errors = []
    if result not in Result.values:
        errors.append(problem("result", "bad_result", "结论应为合格（pass）或存在问题（issues）"))
    text = str(findings or "").strip()
    if result == Result.ISSUES:
        if severity not in Severity.values:
            errors.append(problem("severity", "bad_severity", "存在问题的，请选择问题程度：一般、较重或严重"))
        if len(text) < 4:
            errors.append(problem("findings", "findings_required", "存在问题的，请写明检查发现（至少4个字）"))
    elif severity:
        errors.append(problem("severity", "severity_on_pass", "结论为合格的，不填写问题程度"))
    if len(text) > FINDINGS_MAX:
        errors.append(problem("findings", "findings_length", f"检查发现不能超过{FINDINGS_MAX}字"))
    if errors:
        raise invalid(errors)
    values, total = scores_of(CASE_CHECKLIST, scores if scores is not None else {})
    row.result, row.severity, row.findings = result, severity if result == Result.ISSUES else "", text
    row.scores, row.score_total, row.checked_at = values, total, timezone.now()
    row.save(update_fields=["result", "severity", "findings", "scores", "score_total", "checked_at"])
    closed = not SampledCase.objects.filter(random_check=check, checked_at__isnull=True).exists()
    if closed:
        check.status, check.closed_at = CheckStatus.CLOSED, timezone.now()
        check.save(update_fields=["status", "closed_at"])
    audit(
        "check.finding",
        user,
        subject=check,
        organisation=inspecting_organisation(actor, check.scope_path),
        scope_path=check.scope_path,
        detail={
            "number": row.application.number,
            "result": result,
            "severity": row.severity,
            "total": total,
            "closed": closed,
        },
    )
    return row
