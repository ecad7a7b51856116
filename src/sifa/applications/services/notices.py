"""办件 started by an organ's notice rather than by an applicant: 通知辩护 (法律援助法 §25, §36).

The court, procuratorate or police notify the legal-aid centre through the exchange; nobody applies
(the catalogue refuses drafts for such an item: ``catalogue.notice_only``). :func:`file_notice`
records the case at the centre with the notice's receipt time (the §36 three days run from it),
the suspect or defendant as the person concerned — found by 公民身份号码 or recorded, the number
sealed like every other (``accounts.services.walk_in_person``) — and the notice's particulars.
``sifa.workflow.services.notices`` then starts its process. Audited ``application.notice``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from sifa.accounts.services import walk_in_person
from sifa.applications.models import Application, ApplicationStatus, SubmissionChannel
from sifa.applications.services import numbers
from sifa.applications.services.common import audit
from sifa.applications.services.timeline import transition
from sifa.catalogue.models import EntryStatus, ImplementationEntry, VersionStatus
from sifa.core.errors import Conflict, ServiceError


@transaction.atomic
def file_notice(
    entry: ImplementationEntry,
    *,
    person_name: str,
    id_number: str,
    form_data: dict[str, Any],
    received_at: dt.datetime,
    notifier: str,
) -> Application:
    """Record a notice for ``entry`` (the centre's entry of a notice-only item), pending its start.

    ``person_name``/``id_number``: the suspect or defendant; ``notifier``: the notifying organ's name
    (on the timeline). Refusals are ``ServiceError`` with stable codes."""
    entry = ImplementationEntry.objects.select_related("version", "accepting_organisation").get(pk=entry.pk)
    if entry.status != EntryStatus.ACTIVE or entry.version.status != VersionStatus.PUBLISHED:
        raise Conflict("application.entry_unavailable", "该事项当前不接受通知")
    organisation = entry.accepting_organisation
    try:
        person = walk_in_person(name=person_name, id_number=id_number, organisation=organisation)
    except ServiceError as refused:
        problems = "；".join(e.get("message", "") for e in refused.errors or []) or refused.message
        raise ServiceError("legal_aid.person_invalid", f"犯罪嫌疑人、被告人信息有误：{problems}") from None
    application = Application(
        entry=entry,
        version=entry.version,
        accepting_organisation=organisation,
        current_organisation=organisation,
        scope_path=organisation.path,
        form_data=form_data,
        applicant_person=person,
        applicant=person.user,
        channel=SubmissionChannel.EXCHANGE,
    )
    application.save(force_insert=True)
    transition(
        application,
        status=ApplicationStatus.PENDING_ACCEPTANCE,
        event="notice_received",
        title="收到通知辩护",
        detail=f"通知机关：{notifier}",
        organisation=organisation,
        occurred_at=received_at,
        fields={
            "number": numbers.application_number(organisation, timezone.localdate(received_at)),
            "submitted_at": received_at,
            "received_at": received_at,
        },
    )
    audit("notice", application, None, {"entry": entry.implementation_code, "notifier": notifier})
    return application
