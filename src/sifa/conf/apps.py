from django.apps import AppConfig


class ConfConfig(AppConfig):
    """The top of the house: settings, the root URLconf, WSGI and the process runner.

    It is an app only so that Django finds its management commands (``sifa run``, ``serve``,
    ``scheduler``, ``config-docs``); it has no models. Nothing in ``sifa`` imports it: Django
    loads it through ``DJANGO_SETTINGS_MODULE``, and apps read deployment values from
    ``django.conf.settings``, never from ``sifa.conf.env``.
    """

    name = "sifa.conf"
    label = "conf"
    verbose_name = "配置与运行"

    def ready(self) -> None:
        from sifa.audit.labels import register_labels

        register_labels({"backup.create": "数据库备份"})
