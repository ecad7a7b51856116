from django.apps import AppConfig


class DisclosureConfig(AppConfig):
    name = "sifa.disclosure"
    label = "disclosure"
    verbose_name = "政务公开"

    def ready(self) -> None:
        from sifa.disclosure.models import Notice, NoticeReview
        from sifa.organisations.scope import register

        # Staff see the notices (drafts included) of their jurisdiction; the public sees only what
        # is published, through ``selectors.public_notices`` (never through ``scoped``).
        register(Notice, path="scope_path")
        register(NoticeReview, path="notice__scope_path")
