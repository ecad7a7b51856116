from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "sifa.organisations"
    label = "organisations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from sifa.organisations.models import Organisation
        from sifa.organisations.signals import tree_changed

        post_save.connect(tree_changed, sender=Organisation, dispatch_uid="organisations.tree_changed.save")
        post_delete.connect(
            tree_changed, sender=Organisation, dispatch_uid="organisations.tree_changed.delete"
        )
