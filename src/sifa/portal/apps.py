from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "sifa.portal"
    label = "portal"
    verbose_name = "门户"
