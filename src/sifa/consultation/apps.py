from django.apps import AppConfig


class ConsultationConfig(AppConfig):
    name = "sifa.consultation"
    label = "consultation"
    verbose_name = "法律咨询"

    def ready(self) -> None:
        from sifa.consultation import events  # noqa: F401  (registers the notification texts)
        from sifa.consultation.models import Citation, Ticket, TicketEvent
        from sifa.organisations.scope import register

        # Staff see the tickets of the organisations in their jurisdiction (the answering one, and
        # the one escalated to, which lies above it); a signed-in asker sees their own.
        register(Ticket, path="scope_path", owners=("asker",))
        register(Citation, path="ticket__scope_path", owners=("ticket__asker",))
        register(TicketEvent, path="ticket__scope_path", owners=("ticket__asker",))
        # A change of the working calendar counts the open items' due dates again, in its transaction.
        from sifa.consultation.services.calendar import on_calendar_changed
        from sifa.deadlines.signals import calendar_changed

        calendar_changed.connect(on_calendar_changed, dispatch_uid="consultation.calendar")
