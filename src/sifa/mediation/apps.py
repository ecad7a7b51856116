from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "sifa.mediation"
    label = "mediation"
    verbose_name = "人民调解"

    def ready(self) -> None:
        from sifa.mediation import events  # noqa: F401  (registers the §33 notification texts)
        from sifa.mediation.models import MediationCase, MediationSession
        from sifa.organisations.scope import register

        register(MediationCase, path="scope_path", owners=("application__applicant",))
        register(MediationSession, path="case__scope_path", owners=("case__application__applicant",))
