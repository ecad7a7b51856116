"""Django's ``flush``, allowed to empty the append-only audit table.

The audit triggers refuse DELETE/TRUNCATE of events (see ``sifa.audit.triggers``); emptying the
whole database — test teardown, resetting a development database — is the one deliberate
exception, so this override opens the purge switch for the session while Django's flush runs.
The exchange message log's triggers (``sifa.exchange.triggers``) honour the same switch.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from sifa.audit.triggers import purge_allowed


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with purge_allowed(options["database"]):
            super().handle(**options)
