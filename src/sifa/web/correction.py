"""补正 on one page (一次性告知书, 行政许可法 §32), shared by the applicant's page in 我的空间 and the
window's page for a walk-in applicant (一窗受理: one recorded without an account has no other way
to answer the notice).

One multipart form holds the whole application: each material can be replaced in place and each
form field corrected, with the notice's items shown next to what they are about. The flagged
materials and fields come first; everything else is behind 修改其他内容 (a ``<details>``). Submitting it
stores the new files first (a rejected file stores nothing and is reported on its input), then
resubmits the corrected form through ``services.submit_correction``, which re-runs pre-review.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from sifa.applications import services
from sifa.applications.models import Application
from sifa.core.errors import ServiceError
from sifa.web import jsonschema_forms as jf
from sifa.web.journey import Routes, bound_fields, checklist, schema_of, valid_until_of


def flagged_items(items: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """The notice's items split into form fields, materials (by id) and general remarks."""
    fields: dict[str, str] = {}
    materials: dict[str, str] = {}
    general: list[str] = []
    for item in items:
        name, message = str(item.get("field") or ""), str(item.get("message") or "")
        if name.startswith("materials."):
            materials[name.split(".", 1)[1]] = message
        elif name and not name.startswith("situation_answers"):
            fields[name] = message
        else:
            general.append(message)
    return fields, materials, general


def store_uploads(request: HttpRequest, app: Application, rows: list[dict]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for row in rows:
        upload = request.FILES.get(f"file-{row['material']}")
        valid_until, date_error = valid_until_of(request.POST.get(f"valid-{row['material']}", "").strip())
        if date_error:
            errors[f"m-{row['material']}-valid-until"] = date_error
            continue
        if upload is None:
            continue
        try:
            services.upload_material(
                app,
                actor=request.user,
                material_id=row["material"],
                fileobj=upload,
                filename=upload.name or "",
                valid_until=valid_until,
                declared_content_type=upload.content_type,
            )
        except ServiceError as exc:
            if exc.status in (403, 404, 409):
                raise
            on_date = [e.get("message", "") for e in exc.errors if e.get("field") == "valid_until"]
            if on_date:
                errors[f"m-{row['material']}-valid-until"] = "；".join(on_date)
                continue
            detail = "；".join(e.get("message", "") for e in exc.errors if e.get("message"))
            errors[f"m-{row['material']}-file"] = f"{row['name']}：{detail or exc.message}"
    return errors


def correction_page(request: HttpRequest, app: Application, routes: Routes) -> tuple[bool, dict[str, Any]]:
    """Handle the correction page of ``app`` (in 需补正材料): ``(True, {})`` once the correction is
    submitted, else ``(False, context)`` for the page (with ``errors`` when a POST had problems)."""
    notice = app.correction_notices.filter(answered_at__isnull=True).order_by("-issued_at").first()
    items = list(notice.items) if notice else []
    flagged_fields, flagged_materials, general = flagged_items(items)
    schema = schema_of(app)
    fields = jf.all_fields(schema)
    errors: dict[str, str] = {}
    posted = None
    if request.method == "POST":
        errors = store_uploads(request, app, checklist(app, routes))
        data, field_errors = jf.read_fields(fields, request.POST, app.form_data or {}, schema)
        errors.update({"f-" + k.replace(".", "-"): v for k, v in field_errors.items()})
        if not errors:
            try:
                services.submit_correction(app, actor=request.user, form_data=data)
            except ServiceError as exc:
                if not exc.errors:
                    raise
                for error in exc.errors:
                    name = error.get("field", "")
                    key = f"m-{name.split('.', 1)[1]}-file" if name.startswith("materials.") else "f-" + name
                    errors[key.replace(".", "-")] = error.get("message", "")
            else:
                return True, {}
        posted = request.POST
    field_errors = {f.name: errors.get(f.html_id, "") for f in fields}
    bound = bound_fields(fields, app.form_data or {}, field_errors, posted, flagged_fields)
    material_rows = [
        {
            **row,
            "issue": flagged_materials.get(str(row["material"]), ""),
            "error": errors.get(f"m-{row['material']}-file", ""),
            "date_error": errors.get(f"m-{row['material']}-valid-until", ""),
        }
        for row in checklist(app, routes)
    ]
    # The flagged items first; the rest behind 修改其他内容, opened when one of them has an error
    # (or when the notice flags nothing on the page, so nothing is hidden for no reason).
    flagged = {
        "materials": [r for r in material_rows if r["issue"]],
        "fields": [b for b in bound if b["issue"]],
    }
    others = {
        "materials": [r for r in material_rows if not r["issue"]],
        "fields": [b for b in bound if not b["issue"]],
    }
    others_open = (
        not (flagged["materials"] or flagged["fields"])
        or any(r["error"] or r["date_error"] for r in others["materials"])
        or any(b["error"] for b in others["fields"])
    )
    return False, {
        "title": "补正材料",
        "app": app,
        "notice": notice,
        "items": items,
        "general": general,
        "flagged": flagged,
        "others": others,
        "others_open": others_open,
        "errors": [{"href": "#" + key, "message": message} for key, message in errors.items()],
    }
