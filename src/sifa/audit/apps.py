from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "sifa.audit"
    label = "audit"
    verbose_name = "安全审计"

    def ready(self) -> None:
        from sifa.audit import triggers
        from sifa.audit.models import AuditEvent, PersonalDataAccess
        from sifa.organisations.scope import register

        # The subject reads their own access log; staff read it within their jurisdiction.
        register(PersonalDataAccess, path="scope_path", owners=("subject",))
        # The trail has no owner: only audit administrators read it, each in their subtree
        # (selectors pass roles=[Role.AUDIT_ADMIN]).
        register(AuditEvent, path="scope_path")
        connection_created.connect(triggers.register_sqlite_function, dispatch_uid="sifa.audit.sqlite_purge")
