from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "sifa.exchange"
    label = "exchange"
    verbose_name = "数据交换"

    def ready(self) -> None:
        from sifa.exchange import events  # noqa: F401  (registers the outbox alert texts)
        from sifa.exchange.models import ExchangeMessage, OutboxItem
        from sifa.organisations.scope import register

        # Staff see the messages of their jurisdiction: the organisation that sent or received
        # the message on Sifa's side (its subtree, so the levels above see them too).
        register(ExchangeMessage, path="scope_path", owners=())
        register(OutboxItem, path="scope_path", owners=())
