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

        # The gateway's registry cache (sifa.exchange.registry): a change made in this process is
        # seen at once; one made elsewhere within SIFA_EXCHANGE_REGISTRY_TTL_SECONDS.
        from django.db.models.signals import post_delete, post_save

        from sifa.exchange import registry
        from sifa.exchange.models import Partner, PartnerKey, PartnerService
        from sifa.organisations.models import Organisation

        for model in (Partner, PartnerKey, PartnerService, Organisation):
            post_save.connect(
                registry.forget, sender=model, dispatch_uid=f"exchange.registry.{model.__name__}"
            )
            post_delete.connect(
                registry.forget, sender=model, dispatch_uid=f"exchange.registry.{model.__name__}.d"
            )
