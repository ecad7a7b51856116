from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sifa.accounts"
    label = "accounts"
