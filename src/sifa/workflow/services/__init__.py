"""Workflow commands — the only write path of a case after pre-review. Each is atomic and audited.

Split by what it writes: ``start`` (a case's process and acceptance task), ``dispatch`` (``run_command``,
the one entry of every command; which command may run when is ``sifa.workflow.transitions``),
``commands`` and ``service_commands`` (one handler per command; ``context`` is what they share),
``projection`` (work items from the engine's ready tasks), ``clocks`` (the case's clocks),
``casedocs`` (notices, decision letters and e-licences owed and issued), ``deemed`` (行政许可法 §32
deemed acceptance), ``alerts`` (cases that could not start) and ``calendar_moves`` (due dates moved
by a holiday notice). Pure code — the engine, its conditions and the process registry — and the
reads (``selectors``, ``caseclocks``) stay outside this package.
"""

from sifa.workflow.services.alerts import record_start_failure, resolve_start_failure
from sifa.workflow.services.calendar_moves import on_due_dates_moved
from sifa.workflow.services.casedocs import correction_items, due_for_retry, issue_owed, owe
from sifa.workflow.services.commands import DECISIONS, DELIVERY_METHODS, EXTENSION_DAYS, REVIEW_OUTCOMES
from sifa.workflow.services.context import CommandContext, notify_applicant
from sifa.workflow.services.deemed import DEEMED_ACCEPTANCE_TITLE, apply_deemed_acceptance, deem_accepted
from sifa.workflow.services.dispatch import COMMANDS, run_command
from sifa.workflow.services.projection import lane_organisation, refresh_all, refresh_case
from sifa.workflow.services.service_commands import MEDIATION_RESULTS, ORIGINAL_DECISIONS, RULINGS
from sifa.workflow.services.start import process_file_of, start_case

__all__ = [
    "COMMANDS",
    "DECISIONS",
    "DEEMED_ACCEPTANCE_TITLE",
    "DELIVERY_METHODS",
    "EXTENSION_DAYS",
    "MEDIATION_RESULTS",
    "ORIGINAL_DECISIONS",
    "REVIEW_OUTCOMES",
    "RULINGS",
    "CommandContext",
    "apply_deemed_acceptance",
    "correction_items",
    "deem_accepted",
    "due_for_retry",
    "issue_owed",
    "lane_organisation",
    "notify_applicant",
    "on_due_dates_moved",
    "owe",
    "process_file_of",
    "record_start_failure",
    "refresh_all",
    "refresh_case",
    "resolve_start_failure",
    "run_command",
    "start_case",
]
