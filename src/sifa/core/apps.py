from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sifa.core"
    verbose_name = "共享内核"
    label = "core"
