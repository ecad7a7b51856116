from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sifa.web"
    label = "web"
    verbose_name = "页面共用部件"
