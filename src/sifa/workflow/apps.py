from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "sifa.workflow"
    label = "workflow"
    verbose_name = "办理流程"

    def ready(self) -> None:
        from sifa.applications.signals import ready_for_acceptance
        from sifa.organisations.scope import register
        from sifa.workflow.models import ProcessInstance, WorkItem
        from sifa.workflow.receivers import start_on_ready_for_acceptance

        register(WorkItem, path="scope_path")
        register(ProcessInstance, path="application__scope_path")
        ready_for_acceptance.connect(start_on_ready_for_acceptance, dispatch_uid="sifa.workflow.start_case")
