"""What the applications API answers (read side). Writes go through ``services``."""

from __future__ import annotations

from typing import Any

from sifa.applications import selectors
from sifa.applications.models import Application, ApplicationMaterial
from sifa.applications.services.drafts import applicable_materials, current_materials


def _material_file(app: Application, row: ApplicationMaterial) -> dict[str, Any] | None:
    if not row.storage_key:
        return None
    ref = app.number or app.pk
    return {
        "id": str(row.pk),
        "display_name": row.display_name,
        "content_type": row.content_type,
        "size": row.size,
        "sm3": row.sm3,
        "url": f"/api/v1/applications/{ref}/materials/{row.pk}/file/",
    }


def materials_checklist(app: Application) -> list[dict[str, Any]]:
    have = current_materials(app)
    out = []
    for material in applicable_materials(app.version, app.situation_answers):
        row = have.get(material.pk)
        out.append(
            {
                "material": material.pk,
                "name": material.name,
                "necessity": material.necessity,
                "file_format": material.file_format,
                "satisfied": row is not None,
                "requested": row is None,
                "provenance": row.provenance if row else None,
                "source_label": row.source_label if row else "",
                "valid_until": row.valid_until if row else None,
                "file": _material_file(app, row) if row else None,
            }
        )
    return out


def timeline(app: Application) -> list[dict[str, Any]]:
    return [
        {
            "occurred_at": entry.occurred_at,
            "event": entry.event,
            "title": entry.title,
            "detail": entry.detail,
            "organisation": entry.organisation.name if entry.organisation else "",
        }
        for entry in selectors.public_timeline(app)
    ]


def summary(app: Application) -> dict[str, Any]:
    return {
        "id": str(app.pk),
        "number": app.number,
        "item": app.entry.item.name,
        "implementation_code": app.entry.implementation_code,
        "status": app.status,
        "status_label": app.get_status_display(),
        "stage": selectors.STAGES.get(app.status, ""),
        "next_action": selectors.NEXT_ACTIONS.get(app.status, ""),
        "channel": app.channel,
        "accepting_organisation": app.accepting_organisation.name,
        "created_at": app.created_at,
        "submitted_at": app.submitted_at,
    }


def detail(app: Application, *, staff: bool) -> dict[str, Any]:
    body = summary(app)
    body.update(
        {
            "version": app.version.number,
            "form_data": app.form_data,
            "situation_answers": app.situation_answers,
            "received_at": app.received_at,
            "materials": materials_checklist(app),
            "correction_notices": [
                {
                    "document_number": n.document_number,
                    "issued_at": n.issued_at,
                    "answered_at": n.answered_at,
                    "items": n.items,
                }
                for n in app.correction_notices.order_by("issued_at")
            ],
            "timeline": timeline(app),
            "deadline": selectors.deadline(app),
        }
    )
    if staff:
        body["findings"] = [finding(f) for f in app.findings.order_by("id")]
    return body


def finding(row) -> dict[str, Any]:
    return {
        "id": row.pk,
        "source": row.source,
        "field": row.field,
        "code": row.code,
        "message": row.message,
        "resolved": row.resolved,
        "created_at": row.created_at,
    }


def tracking(app: Application) -> dict[str, Any]:
    """The public page: no personal data, no staff names."""
    organisation = app.current_organisation or app.accepting_organisation
    return {
        "number": app.number,
        "item": app.entry.item.name,
        "status": app.status,
        "status_label": app.get_status_display(),
        "stage": selectors.STAGES.get(app.status, ""),
        "organisation": organisation.name,
        "submitted_at": app.submitted_at,
        "deadline": selectors.deadline(app),
        "timeline": timeline(app),
    }
