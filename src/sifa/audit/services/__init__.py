"""Audit commands — the only write path for the audit trail and the personal-data access log.

``events`` appends one hash-chained event per command (:func:`record`, imported everywhere as
``sifa.audit.services.record``, inside the command's transaction; :func:`record_many` appends a
command's several events with one lock and one insert, :func:`append` the same without returning them); ``access`` logs a staff read
of personal data (:func:`record_access`) and a disclosure to, or a query by, a partner organ
(:func:`record_disclosure`, the data tracker's exchange rows). What an event is about is named by one rule,
:mod:`sifa.audit.subjects` (``AuditSubject``, ``subject_of``). The hashing itself is
:mod:`sifa.audit.hashing`, shared with the verifier :mod:`sifa.audit.chain`.
"""

from sifa.audit.hashing import GENESIS_HASH, canonical_event, chain_hash
from sifa.audit.services.access import record_access, record_disclosure
from sifa.audit.services.events import append, record, record_many
from sifa.audit.subjects import AuditSubject, subject_of

__all__ = [
    "GENESIS_HASH",
    "AuditSubject",
    "append",
    "canonical_event",
    "chain_hash",
    "record",
    "record_access",
    "record_disclosure",
    "record_many",
    "subject_of",
]
