from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "sifa.applications"
    label = "applications"
    verbose_name = "办件"

    def ready(self) -> None:
        from sifa.accounts.services import use_item_lookup
        from sifa.applications import models, selectors
        from sifa.audit.labels import register_labels
        from sifa.organisations.scope import register

        # Mandates (accounts) name catalogue items, which the accounts app cannot see itself.
        use_item_lookup(selectors.item_names)

        # A case is visible to the applicant, their agent, and staff over the accepting
        # organisation (its subtree and everyone above it, via the path prefix). The submitter is
        # an owner too: a township clerk who took a walk-in application for a city item (一窗受理)
        # must be able to finish it, although the case lies outside the township's subtree.
        register(models.Application, path="scope_path", owners=("applicant", "agent", "submitted_by"))
        for child in (
            models.ApplicationMaterial,
            models.CorrectionNotice,
            models.PreReviewFinding,
            models.TimelineEntry,
        ):
            register(
                child,
                path="application__scope_path",
                owners=("application__applicant", "application__agent", "application__submitted_by"),
            )
        register_labels(
            {
                "application.partner_consent": "同意向公安机关核验",
                "application.partner_consent_withdrawn": "撤回向公安机关核验的同意",
            }
        )
