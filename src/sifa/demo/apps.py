from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Development demo data that runs the real services (top layer: nothing imports it)."""

    name = "sifa.demo"
    label = "demo"
    verbose_name = "演示数据"
