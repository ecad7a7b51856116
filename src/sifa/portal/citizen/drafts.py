"""Reads the apply and correction pages share: the draft in scope, its form, its steps and links."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.urls import reverse

from sifa.applications import selectors
from sifa.applications.models import Application, MaterialProvenance
from sifa.applications.serializers import materials_checklist
from sifa.applications.services.common import is_applicant_side
from sifa.catalogue.models import MaterialNecessity
from sifa.core.errors import NotFound
from sifa.organisations.scope import actor_for
from sifa.portal.citizen import jsonschema_forms as jf


def my_application(request: HttpRequest, ref: Any) -> Application:
    """The caller's own application (as applicant or agent); anyone else is told it does not exist."""
    app = selectors.application(actor_for(request.user), ref)
    if not is_applicant_side(request.user, app):
        raise NotFound()
    return app


def schema_of(app: Application) -> dict[str, Any]:
    try:
        return app.version.form.schema or {}
    except ObjectDoesNotExist:
        return {}


def situations_of(app: Application) -> list:
    return list(app.version.situations.all())


def ref_of(app: Application) -> str:
    return app.number or str(app.pk)


def flow(app: Application) -> list[dict[str, str]]:
    """The pages of the apply journey in order, for the step indicator and next/back links."""
    pk = app.pk
    pages = []
    if situations_of(app):
        pages.append(
            {"key": "situations", "title": "选择情形", "url": reverse("citizen-apply-situations", args=[pk])}
        )
    for step in jf.steps_of(schema_of(app)):
        pages.append(
            {
                "key": f"form-{step.number}",
                "title": step.legend or f"填写{step.title}（{step.number}）",
                "url": reverse("citizen-apply-form", args=[pk, step.number]),
            }
        )
    pages.append(
        {"key": "materials", "title": "提交材料", "url": reverse("citizen-apply-materials", args=[pk])}
    )
    pages.append({"key": "check", "title": "核对并提交", "url": reverse("citizen-apply-check", args=[pk])})
    return pages


def position(app: Application, key: str) -> dict[str, Any]:
    """Where ``key`` sits in the flow: its number, the total, and the previous and next pages."""
    pages = flow(app)
    index = next(i for i, p in enumerate(pages) if p["key"] == key)
    return {
        "pages": pages,
        "current": index + 1,
        "total": len(pages),
        "title": pages[index]["title"],
        "previous": pages[index - 1] if index else None,
        "next": pages[index + 1] if index + 1 < len(pages) else None,
    }


def checklist(app: Application) -> list[dict[str, Any]]:
    """The material checklist with the labels an applicant reads (来源, 必要性)."""
    necessity = dict(MaterialNecessity.choices)
    provenance = dict(MaterialProvenance.choices)
    rows = []
    for row in materials_checklist(app):
        from_source = row["provenance"] not in (
            None,
            MaterialProvenance.UPLOAD,
            MaterialProvenance.WINDOW_SCAN,
        )
        rows.append(
            {
                **row,
                "necessity_label": necessity.get(row["necessity"], row["necessity"]),
                "provenance_label": provenance.get(row["provenance"], ""),
                "from_source": from_source,
                "file_url": reverse("citizen-material-file", args=[ref_of(app), row["file"]["id"]])
                if row["file"]
                else "",
            }
        )
    return rows


def error_links(app: Application, errors: list[dict[str, str]]) -> list[dict[str, str]]:
    """Service errors as summary links to the page and field that fixes each one."""
    schema = schema_of(app)
    out = []
    for error in errors:
        name = error.get("field", "")
        if name.startswith("situation_answers."):
            href = reverse("citizen-apply-situations", args=[app.pk]) + "#s-" + name.split(".", 1)[1] + "-0"
        elif name.startswith("materials."):
            href = reverse("citizen-apply-materials", args=[app.pk]) + "#m-" + name.split(".", 1)[1] + "-file"
        else:
            step = jf.step_of_field(schema, name)
            href = (
                reverse("citizen-apply-form", args=[app.pk, step]) + "#f-" + name.replace(".", "-")
                if step
                else "#main"
            )
        link = {"href": href, "message": error.get("message", "")}
        if link not in out:  # the same problem may be reported more than once
            out.append(link)
    return out
