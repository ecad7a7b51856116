"""印发 the monthly 绩效通报: the organisation's numbered, sealed 公文 for a month that has ended.

``issue_report`` renders the 通报 (``sifa.indicators.report``) and hands it to the documents app's
``issue_document`` (kind ``performance_report``, kind word 通: ``浙司通〔2026〕3号``), which numbers,
seals, stores and audits it (``documents.issue``, the one event of the command, naming the
organisation, the number and ``performance_report:<YYYY-MM>``) in one transaction.

* Who: a supervisor or decision maker of the organisation itself (``viewers.can_issue``). An
  organisation the caller may not see is 404 ``indicators.not_found``; one they see but do not act
  for is 403 ``indicators.not_issuer``.
* When: once the month is over (from the first day of the next month, Beijing time); before, 409
  ``indicators.month_not_over``.
* Once: issuing again answers the document already issued (``created`` is false) and writes
  nothing — the same number, the same bytes. Two concurrent issuers: the database's constraint
  lets one win, the other gets the winner's document.
* 撤销: ``withdraw_report`` marks a wrong 通报 已撤销 (kept, never deleted); the month then has
  no current 通报, and issuing it again gives a corrected one with the next number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from sifa.core.errors import Forbidden, NotFound, ServiceError
from sifa.documents.models import Document, DocumentKind
from sifa.documents.selectors import issued_for, withdrawn_for
from sifa.documents.services import issue_document, withdraw_document
from sifa.indicators.dashboard import Month, month_is_over
from sifa.indicators.report import TEMPLATE, report_context, report_title
from sifa.indicators.viewers import can_issue, viewable_organisation
from sifa.organisations.models import Organisation
from sifa.organisations.scope import actor_for

RELATED_TYPE = "performance_report"
KIND = DocumentKind.PERFORMANCE_REPORT


class MonthNotOver(ServiceError):
    status = 409


@dataclass(frozen=True)
class Issued:
    document: Document
    created: bool


def related(month: Month) -> tuple[str, str]:
    return (RELATED_TYPE, month.key)


def issued_report(actor: Any, organisation: Organisation, month: Month) -> Document | None:
    """The 通报 the organisation issued for the month, if any (read only; here beside the command
    so the page, the API and the command agree on what identifies it)."""
    return issued_for(actor, organisation, KIND, related(month))


def withdrawn_reports(actor: Any, organisation: Organisation, month: Month) -> list[Document]:
    """The organisation's withdrawn (已撤销) 通报 of the month, newest first (read only)."""
    return withdrawn_for(actor, organisation, KIND, related(month))


def withdraw_report(user: Any, organisation: Organisation, month: Month, *, reason: str) -> Document:
    """撤销 the organisation's current 通报 of ``month`` with ``reason``: the document is marked
    已撤销 (who, when, why; audited ``documents.withdraw``) and kept; a corrected 通报 may then be
    issued with the next number. Who: as for 印发 (a supervisor or decision maker of the
    organisation itself, ``viewers.can_issue``); 404 / 403 as there; 409
    ``indicators.not_issued`` when the month has no current 通报."""
    actor = actor_for(user)
    if viewable_organisation(actor, organisation.pk) is None:
        raise NotFound("机构不存在或不在您的管辖范围内", code="indicators.not_found")
    if not can_issue(actor, organisation):
        raise Forbidden(
            f"只有{organisation.name}的监督人员或审批决定人员可以撤销本机构的绩效通报",
            code="indicators.not_issuer",
        )
    current = issued_report(actor, organisation, month)
    if current is None:
        raise ServiceError("indicators.not_issued", f"{month.label}的绩效通报尚未印发，无需撤销", status=409)
    return withdraw_document(current, actor=user, reason=reason)


def issue_report(user: Any, organisation: Organisation, month: Month) -> Issued:
    """印发 ``organisation``'s 通报 for ``month`` as ``user`` (see the module's docstring)."""
    actor = actor_for(user)
    if viewable_organisation(actor, organisation.pk) is None:
        raise NotFound("机构不存在或不在您的管辖范围内", code="indicators.not_found")
    if not can_issue(actor, organisation):
        raise Forbidden(
            f"只有{organisation.name}的监督人员或审批决定人员可以印发本机构的绩效通报",
            code="indicators.not_issuer",
        )
    existing = issued_report(actor, organisation, month)
    if existing is not None:
        return Issued(existing, created=False)
    if not month_is_over(month, timezone.localdate()):
        raise MonthNotOver(
            "indicators.month_not_over", f"{month.label}尚未结束，月份结束后才能印发该月的绩效通报"
        )
    try:
        document = issue_document(
            KIND,
            organisation=organisation,
            context=report_context(actor, organisation, month),
            related=related(month),
            actor=user,
            title=report_title(organisation, month),
            template=TEMPLATE,
        )
    except ServiceError as error:
        if error.code != "documents.already_issued":
            raise
        winner = issued_report(actor, organisation, month)
        if winner is None:  # pragma: no cover - the constraint said it exists
            raise
        return Issued(winner, created=False)
    return Issued(document, created=True)
