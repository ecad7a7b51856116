from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "sifa.catalogue"
    label = "catalogue"
    verbose_name = "政务服务事项目录"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from sifa.catalogue.services import listing
        from sifa.organisations.models import Organisation
        from sifa.organisations.signals import organisations_renamed

        # The public list's entries show the owner's name (docs/catalogue.md, "The list's read model").
        organisations_renamed.connect(listing.organisations_renamed, dispatch_uid="catalogue.listing.renamed")
        post_save.connect(
            listing.organisation_saved, sender=Organisation, dispatch_uid="catalogue.listing.org"
        )
