"""Licence commands — the only write path for 电子证照. Each is atomic and writes its audit event.

Split by resource: ``issue`` (a new licence, also for an approved application), ``imports``
(paper-era licences), ``versions`` (换发, 补办, 变更), ``status`` (停止执业, 恢复执业, 吊销, 注销),
``results`` (what an approval does to licences), ``wallet`` (用证授权 and the use log) and
``types`` (loading the licence types); ``common`` holds who may act and the action table.
Reads are in :mod:`sifa.licences.selectors` (the wallet) and :mod:`sifa.licences.staff_api` (the
register).
"""

from sifa.licences.services.common import (
    ACTION_LABELS,
    ACTIONS_FROM,
    CHANGEABLE,
    MAX_REASON,
    STAFF_ACTIONS,
    USCC_INDEX,
    actions_for,
    may_change,
    require_decider,
)
from sifa.licences.services.imports import import_licence
from sifa.licences.services.issue import PARTICULAR_FIELDS, issue_for_application, issue_licence
from sifa.licences.services.results import apply_decision, changed_particulars, check_subject, subject_licence
from sifa.licences.services.status import (
    STATUS_ACTIONS,
    STATUS_CHANGED_EVENT,
    cancel,
    change_status,
    notify_status_changed,
    reinstate,
    revoke,
    suspend,
)
from sifa.licences.services.types import load_licence_types
from sifa.licences.services.versions import VERSION_ACTIONS, change, new_version, reissue, replace
from sifa.licences.services.wallet import MAX_AUTHORISATION_DAYS, MAX_PURPOSE, grant, record_use, revoke_grant

__all__ = [
    "ACTIONS_FROM",
    "ACTION_LABELS",
    "CHANGEABLE",
    "MAX_AUTHORISATION_DAYS",
    "MAX_PURPOSE",
    "MAX_REASON",
    "PARTICULAR_FIELDS",
    "STAFF_ACTIONS",
    "STATUS_ACTIONS",
    "STATUS_CHANGED_EVENT",
    "USCC_INDEX",
    "VERSION_ACTIONS",
    "actions_for",
    "apply_decision",
    "cancel",
    "change",
    "change_status",
    "changed_particulars",
    "check_subject",
    "grant",
    "import_licence",
    "issue_for_application",
    "issue_licence",
    "load_licence_types",
    "may_change",
    "new_version",
    "notify_status_changed",
    "record_use",
    "reinstate",
    "reissue",
    "replace",
    "require_decider",
    "revoke",
    "revoke_grant",
    "subject_licence",
    "suspend",
]
