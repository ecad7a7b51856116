from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "sifa.audit"
    label = "audit"
