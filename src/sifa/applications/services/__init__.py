"""Application commands — the only write path for 办件 before acceptance. Each is atomic and audited.

Split by resource: ``drafts`` (apply, submit, withdraw), ``draft_materials`` (the materials a
draft asks for, once-only look-ups), ``draft_consent`` (consent to partner checks), ``materials``
(uploads), ``prereview`` (automatic and staff pre-review, the one-time correction notice,
corrections), ``idempotency`` (replaying the first answer to a retried request), ``timeline`` (the
one status change every command makes, before acceptance here and after it in ``sifa.workflow``)
and ``numbers`` (办件编号 and notice numbers). Reads are in :mod:`sifa.applications.selectors`.
"""

from sifa.applications.services.draft_consent import set_partner_consent
from sifa.applications.services.draft_materials import (
    applicable_materials,
    refuse_a_second_licence,
    resolve_once_only,
    second_licence_refusal,
)
from sifa.applications.services.drafts import (
    check_complete,
    entry_for_draft,
    read_ahead_for_submit,
    start_draft,
    submit,
    submit_in_transaction,
    update_draft,
    withdraw,
)
from sifa.applications.services.idempotency import idempotent
from sifa.applications.services.materials import upload_material
from sifa.applications.services.prereview import (
    add_finding,
    automatic_findings,
    check_correction_items,
    correction_notice_issued,
    issue_correction_notice,
    run_pre_review,
    submit_correction,
)
from sifa.applications.services.timeline import TERMINAL_STATUSES, transition

__all__ = [
    "TERMINAL_STATUSES",
    "add_finding",
    "applicable_materials",
    "automatic_findings",
    "check_complete",
    "check_correction_items",
    "correction_notice_issued",
    "entry_for_draft",
    "idempotent",
    "issue_correction_notice",
    "read_ahead_for_submit",
    "refuse_a_second_licence",
    "resolve_once_only",
    "run_pre_review",
    "second_licence_refusal",
    "set_partner_consent",
    "start_draft",
    "submit",
    "submit_correction",
    "submit_in_transaction",
    "transition",
    "update_draft",
    "upload_material",
    "withdraw",
]
