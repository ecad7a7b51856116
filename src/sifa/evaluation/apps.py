from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "sifa.evaluation"
    label = "evaluation"
    verbose_name = "好差评"

    def ready(self) -> None:
        from sifa.consultation.signals import ticket_rated
        from sifa.evaluation import events  # noqa: F401  (registers the notification texts)
        from sifa.evaluation.models import Rating, RatingLink, Rectification
        from sifa.evaluation.services.ratings import record_ticket_rating
        from sifa.organisations.scope import register

        # Staff see the ratings and rectifications of their jurisdiction; a rater sees their own.
        register(Rating, path="scope_path", owners=("rater",))
        register(Rectification, path="scope_path", owners=("rating__rater",))
        register(RatingLink, path="scope_path")
        ticket_rated.connect(record_ticket_rating, dispatch_uid="evaluation.ticket_rated")
        # A change of the working calendar counts the open items' due dates again, in its transaction.
        from sifa.deadlines.signals import calendar_changed
        from sifa.evaluation.services.calendar import on_calendar_changed

        calendar_changed.connect(on_calendar_changed, dispatch_uid="evaluation.calendar")
