from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "sifa.organisations"
    label = "organisations"
