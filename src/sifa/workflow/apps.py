from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "sifa.workflow"
    label = "workflow"
    verbose_name = "办理流程"

    def ready(self) -> None:
        from sifa.applications.services import correction_notice_issued
        from sifa.applications.signals import application_changed, ready_for_acceptance
        from sifa.catalogue.processes import register_process_files
        from sifa.deadlines.signals import due_dates_moved
        from sifa.exchange.handlers import handlers
        from sifa.organisations.scope import register
        from sifa.workflow.engine.registry import is_notice_only, is_shipped
        from sifa.workflow.models import CaseDocument, ProcessInstance, StartAlert, WorkItem
        from sifa.workflow.receivers import (
            end_on_withdrawal,
            owe_correction_document,
            start_on_ready_for_acceptance,
        )
        from sifa.workflow.services import on_due_dates_moved
        from sifa.workflow.services.notices import receive_legal_aid_notice

        register(WorkItem, path="scope_path")
        register(ProcessInstance, path="application__scope_path")
        register(CaseDocument, path="application__scope_path")
        register(StartAlert, path="scope_path")
        ready_for_acceptance.connect(start_on_ready_for_acceptance, dispatch_uid="sifa.workflow.start_case")
        correction_notice_issued.connect(owe_correction_document, dispatch_uid="sifa.workflow.correction_doc")
        application_changed.connect(end_on_withdrawal, dispatch_uid="sifa.workflow.end_on_withdrawal")
        register_process_files(is_shipped, notice_only=is_notice_only)
        due_dates_moved.connect(on_due_dates_moved, dispatch_uid="sifa.workflow.due_dates_moved")
        handlers.register("legal-aid.notify", receive_legal_aid_notice)
