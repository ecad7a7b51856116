"""个人信息副本 (个人信息保护法 §45): everything Sifa holds about the caller, as one JSON document.

The caller is the only subject: every section is read by the caller's own user (no id is taken
from the request, so no one can ask for someone else's copy). Sealed fields are opened for their
owner — the 公民身份号码, phone numbers, a complaint's or consultation's text — except the
tracking codes, which are credentials, not data about the person. Hashes, blind indexes, storage
keys and password digests are left out: they describe Sifa's storage, not the person.

Each export is one audit event (``privacy.export``: counts per section, never contents) and is
limited per account through ``sifa.core.limits`` (:data:`EXPORT_RATE`).
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from sifa.accounts import selectors as account_selectors
from sifa.accounts.models import LegalPerson, Mandate, NaturalPerson, User
from sifa.applications.models import Application, ApplicationMaterial
from sifa.audit import services as audit
from sifa.audit.selectors import my_access_log
from sifa.complaints.models import Complaint
from sifa.consultation.models import Ticket
from sifa.core import limits
from sifa.core.errors import ServiceError
from sifa.documents.models import Document
from sifa.evaluation.models import Rating
from sifa.licences.selectors import my_licences
from sifa.notifications.selectors import my_messages

FORMAT_VERSION = 1
EXPORT_RATE = limits.Rate(5, 3600)
"""At most five copies an hour per account: each is a full read of the person's data."""

LEFT_OUT_NAMES = {"password", "storage_key", "prev_hash", "hash", "token_digest", "scope_path"}
LEFT_OUT_SUFFIXES = ("_enc", "_index", "_digest")
NOT_REVEALED = {"tracking_code"}


class ExportLimited(ServiceError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(
            "privacy.export_rate_limited",
            "下载个人数据副本过于频繁，请一小时后再试",
            status=429,
        )
        self.retry_after = int(retry_after) + 1


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def row(instance: models.Model) -> dict[str, Any]:
    """One row as JSON: its columns (a foreign key as the related row's id), sealed fields opened
    through the model's own ``reveal_<name>()``, storage-only columns left out."""
    data: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        name = field.name
        if name in LEFT_OUT_NAMES or name.endswith(LEFT_OUT_SUFFIXES):
            base = name.removesuffix("_enc")
            reveal = getattr(instance, f"reveal_{base}", None)
            if name.endswith("_enc") and base not in NOT_REVEALED and callable(reveal):
                data[base] = reveal()
            continue
        if isinstance(field, models.ForeignKey):
            data[name] = _value(getattr(instance, field.attname))
            continue
        value = getattr(instance, field.attname)
        if field.choices and value not in (None, ""):
            data[f"{name}_display"] = getattr(instance, f"get_{name}_display")()
        data[name] = _value(value)
    return data


def _rows(queryset: Any) -> list[dict[str, Any]]:
    return [row(r) for r in queryset]


def collect(user: User) -> dict[str, Any]:
    """The copy's sections (read only: :func:`export_for` audits and limits)."""
    # As applicant only: an application filed as someone's agent holds the principal's data,
    # which is theirs to ask for.
    applications = Application.objects.filter(applicant=user).order_by("created_at")
    account = row(user)
    account["phone"] = user.reveal_phone()
    return {
        "account": account,
        "person": _rows(NaturalPerson.objects.filter(user=user)),
        "company": _rows(LegalPerson.objects.filter(user=user)),
        "mandates": _rows(Mandate.objects.filter(Q(principal=user) | Q(agent=user)).order_by("created_at")),
        "consents": account_selectors.consent_rows(user),
        "applications": _rows(applications),
        "materials": _rows(
            ApplicationMaterial.objects.filter(application__in=applications).order_by("application_id", "id")
        ),
        "licences": _rows(my_licences(user)),
        "documents": _rows(Document.objects.filter(recipient=user).order_by("created_at", "id")),
        "messages": _rows(my_messages(user)),
        "complaints": _rows(Complaint.objects.filter(complainant=user).order_by("created_at", "id")),
        "consultations": _rows(Ticket.objects.filter(asker=user).order_by("created_at", "id")),
        "ratings": _rows(Rating.objects.filter(rater=user).order_by("created_at", "id")),
        "access_log": _rows(my_access_log(user)),
    }


def export_for(user: User) -> dict[str, Any]:
    """The caller's copy of their data, rate-limited per account and audited."""
    decision = limits.hit(f"privacy.export:{user.pk}", EXPORT_RATE)
    if not decision.allowed:
        raise ExportLimited(decision.retry_after)
    sections = collect(user)
    counts = {name: (len(value) if isinstance(value, list) else 1) for name, value in sections.items()}
    audit.record(
        "privacy.export", actor=user, subject=user, scope_path=user.scope_path, detail={"counts": counts}
    )
    return {
        "format": "sifa.personal-data-export",
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "legal_basis": "个人信息保护法第四十五条（个人有权查阅、复制其个人信息）",
        **sections,
    }
