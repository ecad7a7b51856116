from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "sifa.deadlines"
    label = "deadlines"
    verbose_name = "法定时限"

    def ready(self) -> None:
        from sifa.deadlines.models import ClockState
        from sifa.organisations import scope

        # Clocks are case data: staff see those in their organisation's subtree only.
        scope.register(ClockState, path="scope_path")
