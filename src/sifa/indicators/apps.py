from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "sifa.indicators"
    label = "indicators"
    verbose_name = "绩效考核"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from sifa.applications.signals import application_changed
        from sifa.complaints.models import Complaint
        from sifa.deadlines.signals import calendar_changed
        from sifa.evaluation.models import Rating, Rectification
        from sifa.indicators import receivers
        from sifa.inspections.models import SampledCase

        application_changed.connect(receivers.on_application_changed, dispatch_uid="indicators.application")
        post_save.connect(receivers.on_rating_saved, sender=Rating, dispatch_uid="indicators.rating")
        post_save.connect(
            receivers.on_rectification_saved, sender=Rectification, dispatch_uid="indicators.rectification"
        )
        post_save.connect(receivers.on_complaint_saved, sender=Complaint, dispatch_uid="indicators.complaint")
        post_save.connect(
            receivers.on_sampled_case_saved, sender=SampledCase, dispatch_uid="indicators.check"
        )
        calendar_changed.connect(receivers.on_calendar_changed, dispatch_uid="indicators.calendar")
