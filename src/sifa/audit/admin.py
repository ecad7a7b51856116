"""Read-only admin for the audit trail: visible to audit administrators only (三员分立)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from sifa.audit.models import AuditEvent
from sifa.audit.selectors import audit_events, is_audit_admin
from sifa.organisations.scope import actor_for


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["seq", "occurred_at", "actor_username", "action", "object_type", "object_id", "result"]
    list_filter = ["result"]
    search_fields = ["action", "object_id", "actor_username"]
    ordering = ["-seq"]
    show_full_result_count = False  # COUNT(*) over millions of rows on every page is not worth it

    def get_queryset(self, request: HttpRequest):
        return audit_events(actor_for(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_audit_admin(actor_for(request.user))

    def has_view_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return is_audit_admin(actor_for(request.user))

    # Events are appended by services only and never changed (the database refuses it too).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
