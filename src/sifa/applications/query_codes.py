"""Query codes: 8 characters that let anyone holding them track a case without logging in.

The alphabet has no look-alikes (no 0/O, 1/I/L); only the code's keyed HMAC-SM3 digest is stored
(``Application.query_code_digest``), so a database dump does not let anyone track a case. Pure:
the command that submits a case (``services.drafts.submit``) stores the digest, the tracking
lookup (``selectors``) compares with it.
"""

from __future__ import annotations

import secrets

from sifa.core.crypto import constant_time_equal, field_cipher

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
QUERY_CODE_LENGTH = 8
_QUERY_CODE_PURPOSE = "applications.query_code"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def query_code_digest(code: str) -> str:
    return field_cipher().blind_index(code.strip().upper(), _QUERY_CODE_PURPOSE)


def query_code_matches(code: str, digest: str) -> bool:
    """Constant-time comparison; an empty stored digest never matches."""
    candidate = query_code_digest(code or "")
    return constant_time_equal(candidate, digest or "0" * len(candidate)) and bool(digest)
