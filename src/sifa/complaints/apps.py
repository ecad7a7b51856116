from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "sifa.complaints"
    label = "complaints"
    verbose_name = "投诉举报"

    def ready(self) -> None:
        from sifa.complaints import events  # noqa: F401  (registers the notification texts)
        from sifa.complaints.models import Complaint, ComplaintEvent, Supervision
        from sifa.organisations.scope import register

        # Supervisors see the complaints handled in their jurisdiction (the handling organisation's
        # subtree, so the levels above see them too); a signed-in complainant sees their own.
        register(Complaint, path="scope_path", owners=("complainant",))
        register(Supervision, path="complaint__scope_path", owners=())
        register(ComplaintEvent, path="complaint__scope_path", owners=("complaint__complainant",))
        # A change of the working calendar counts the open items' due dates again, in its transaction.
        from sifa.complaints.services.calendar import on_calendar_changed
        from sifa.deadlines.signals import calendar_changed

        calendar_changed.connect(on_calendar_changed, dispatch_uid="complaints.calendar")
