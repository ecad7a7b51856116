"""Admin pages for the working-day calendar. Every edit goes through ``services.set_day`` so it is
audited and the cached calendar is reloaded. Years and calendar alerts are shown, never edited or
deleted here: a year is entered by a command (``define_year``, a published notice), which also
resolves its alert. Clocks are case data and are not edited here."""

from __future__ import annotations

from django.contrib import admin, messages

from sifa.core.errors import ServiceError
from sifa.deadlines import services
from sifa.deadlines.models import CalendarAlert, CalendarDay, CalendarYear


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_workday", "kind", "holiday_name", "source", "updated_at")
    list_filter = ("kind", "is_workday", "source")
    search_fields = ("holiday_name",)
    date_hierarchy = "date"
    fields = ("date", "is_workday", "kind", "holiday_name", "source", "updated_by", "updated_at")
    readonly_fields = ("source", "updated_by", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        # The date is the key: a different day is a different row.
        return (*self.readonly_fields, "date") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        try:
            services.set_day(
                obj.date,
                is_workday=obj.is_workday,
                kind=obj.kind,
                holiday_name=obj.holiday_name,
                actor=request.user,
            )
        except ServiceError as refused:
            self.message_user(request, refused.message, level=messages.ERROR)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A missing day would silently read as "no data"; days are corrected, never deleted.
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "complete", "source", "revision", "updated_at")
    readonly_fields = ("year", "complete", "source", "revision", "updated_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CalendarAlert)
class CalendarAlertAdmin(admin.ModelAdmin):
    list_display = ("year", "message", "occurrences", "first_raised_at", "last_raised_at", "resolved_at")
    list_filter = ("resolved_at",)
    readonly_fields = list_display

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # A deleted alert would hide a year that deadlines cannot be counted in, without a trace.
        return False
