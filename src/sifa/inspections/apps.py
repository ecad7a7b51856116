from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "sifa.inspections"
    label = "inspections"
    verbose_name = "督查（模拟办件、随机抽查）"

    def ready(self) -> None:
        from sifa.inspections.models import MockApplication, RandomCheck, SampledCase, TestApplicant
        from sifa.organisations.scope import register

        # Inspectors read what lies in their subtree; nobody else holds a rule here, and the reads
        # are narrowed to the inspector role in the selectors (scoped(..., roles=INSPECTOR_ROLES)).
        register(TestApplicant, path="scope_path", owners=())
        register(MockApplication, path="scope_path", owners=())
        register(RandomCheck, path="scope_path", owners=())
        register(SampledCase, path="random_check__scope_path", owners=())
