"""Staff reads of an application through the applications API: the applicant sees them in
我的数据使用记录 (个人信息保护法 §6; the audit app's access log), like the workflow's case reads.

The applicant's own reads (and their agent's) are not logged: it is their data. A staff member
reaches an application here only within their subtree scope (``selectors.applications``), so the
read is credited to the membership nearest above the case."""

from __future__ import annotations

from typing import Any

from sifa.applications.models import Application, ApplicationMaterial
from sifa.audit.services import record_access
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor


def record_staff_read(reader: Any, actor: Actor, app: Application, *, what: str = "") -> None:
    """Log a staff member's read of ``app`` (its details or pre-review findings): one row."""
    if not actor.is_staff_actor:
        return
    record_access(
        reader=reader,
        actor=actor,
        subject=app.applicant,
        subject_ref=app.number or str(app.pk),
        object_type="applications.Application",
        purpose=f"办理“{app.version.item.name}”申请" + (f"：{what}" if what else ""),
        scope_path=app.scope_path,
        from_below=(Role.WINDOW_CLERK,),
    )


def record_staff_material_read(reader: Any, actor: Actor, row: ApplicationMaterial) -> None:
    """Log a staff member's download of one of the applicant's materials: one row."""
    app = row.application
    record_staff_read(reader, actor, app, what=f"查看申请材料“{row.material.name}”")
