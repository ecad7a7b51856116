"""The workflow's audit events about one case: one place names the object (the application, by its
办件编号 — its id before one is assigned) and the case's scope, so every event of a case is found
with the same query."""

from __future__ import annotations

from typing import Any

from sifa.applications.models import Application
from sifa.audit.models import AuditEvent, AuditResult
from sifa.audit.services import record, record_access
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor
from sifa.workflow.selectors import case_windows


def record_case(
    action: str,
    application: Application,
    *,
    actor: Any = None,
    organisation: Any = None,
    role: str = "",
    result: str = AuditResult.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append ``action`` about ``application`` to the audit trail, in the caller's transaction."""
    return record(
        **case_event(
            action,
            application,
            actor=actor,
            organisation=organisation,
            role=role,
            result=result,
            detail=detail,
        )
    )


def case_event(
    action: str,
    application: Application,
    *,
    actor: Any = None,
    organisation: Any = None,
    role: str = "",
    result: str = AuditResult.SUCCESS,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``audit.services.record`` (or one item of ``record_many``) for
    :func:`record_case`'s event."""
    return dict(
        action=action,
        actor=actor,
        organisation=organisation,
        role=role,
        subject=application,
        scope_path=application.scope_path,
        result=result,
        detail=detail or {},
    )


def record_case_read(reader: Any, actor: Actor, case: Application) -> None:
    """Opening a case (the workbench page or ``GET /api/v1/cases/{number}/``) reads the applicant's
    personal data: the applicant sees who did in 我的数据使用记录 (个人信息保护法 §6, the audit app's
    access log), credited to the membership that gave the reader access — one holding the case's
    organisation, or the reader's window through which the case is visible at its current step
    (``selectors.case_windows``: the window that received it or was chosen for its pickup)."""
    record_access(
        reader=reader,
        actor=actor,
        subject=case.applicant,
        subject_ref=case.number or str(case.pk),
        object_type="applications.Application",
        purpose=f"办理“{case.version.item.name}”申请",
        scope_path=case.scope_path,
        from_below=(Role.WINDOW_CLERK,),
        windows=case_windows(actor, case),
    )


def record_case_document_read(reader: Any, actor: Actor, case: Application, document: Any) -> None:
    """Opening or printing a case's document (its PDF or particulars) reads the applicant's
    personal data: logged in the applicant's 我的数据使用记录 like :func:`record_case_read`,
    credited to the window through which the case is visible at its step, if it is one."""
    record_access(
        reader=reader,
        actor=actor,
        subject=case.applicant,
        subject_ref=document.number or str(document.public_id),
        object_type="documents.Document",
        purpose=f"办理“{case.version.item.name}”申请：查看、打印{document.title}",
        scope_path=case.scope_path,
        from_below=(Role.WINDOW_CLERK,),
        windows=case_windows(actor, case),
    )


def record_case_material_read(reader: Any, actor: Actor, case: Application, material: Any) -> None:
    """Opening one of the applicant's materials (the workbench's file link) reads their personal
    data: logged in the applicant's 我的数据使用记录 like :func:`record_case_read`."""
    record_access(
        reader=reader,
        actor=actor,
        subject=case.applicant,
        subject_ref=case.number or str(case.pk),
        object_type="applications.Application",
        purpose=f"办理“{case.version.item.name}”申请：查看申请材料“{material.material.name}”",
        scope_path=case.scope_path,
        from_below=(Role.WINDOW_CLERK,),
        windows=case_windows(actor, case),
    )


def record_case_licence_read(reader: Any, actor: Actor, case: Application, licence: Any) -> None:
    """Downloading or printing the e-licence a case issued, to hand it over (颁发、送达), reads the
    holder's personal data: logged in the holder's 我的数据使用记录 like :func:`record_case_read`,
    credited to the window through which the case is visible at its delivery step, if it is one
    (the pickup window, or the window that received it)."""
    record_access(
        reader=reader,
        actor=actor,
        subject=licence.holder,
        subject_ref=licence.identifier,
        object_type="licences.Licence",
        purpose=f"送达“{case.version.item.name}”办理结果：打印、下载电子证照{licence.number}",
        scope_path=case.scope_path,
        from_below=(Role.WINDOW_CLERK,),
        windows=case_windows(actor, case),
    )
