from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sifa.api"
    label = "api"
