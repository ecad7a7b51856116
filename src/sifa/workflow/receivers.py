"""Signal receivers: a case ready for acceptance starts its process; a correction notice owes its
letter; a withdrawal before acceptance ends the case started for it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from sifa.applications.models import ApplicationStatus
from sifa.core.errors import ServiceError
from sifa.workflow.models import CaseDocumentKind
from sifa.workflow.services import correction_items, owe, record_start_failure, start_case
from sifa.workflow.services.start import end_before_acceptance


def start_on_ready_for_acceptance(sender: Any, application: Any, **kwargs: Any) -> None:
    """Sent after commit, so a failure here cannot undo the submission: it is logged, and the case
    still starts on the first staff command or by §32 deemed acceptance (both call ``start_case``).
    A case that cannot start is recorded as a ``StartAlert`` (log, audit, workbench), not dropped."""
    try:
        start_case(application)
    except ServiceError as refused:
        record_start_failure(application, refused, source="ready_for_acceptance")


def end_on_withdrawal(
    sender: Any, application: Any, previous_status: str, changed: frozenset[str], **kwargs: Any
) -> None:
    """Inside every status change (``application_changed``): a withdrawal before acceptance leaves
    no acceptance task on a worklist nor a clock running (``end_before_acceptance``)."""
    if "status" in changed and application.status == ApplicationStatus.WITHDRAWN:
        end_before_acceptance(application, previous_status)


def _form_schema(application: Any) -> dict[str, Any]:
    form = getattr(application.version, "form", None)
    return (form.schema if form is not None else None) or {}


def owe_correction_document(sender: Any, notice: Any, actor: Any = None, **kwargs: Any) -> None:
    """Inside the notice's transaction: owe its sealed 补正告知书 (one per notice, every item listed)."""
    application = notice.application
    owe(
        application,
        CaseDocumentKind.CORRECTION_NOTICE,
        organisation=application.accepting_organisation,
        actor=actor,
        context={"items": correction_items(notice.items, _form_schema(application))},
        key=str(notice.pk),
        on=timezone.localdate(notice.issued_at),
    )
