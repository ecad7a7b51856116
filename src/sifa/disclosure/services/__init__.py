"""Disclosure commands — the only write path of 政务公开. Each is atomic and audited.

``notices``: a notice drafted, edited, submitted for 保密审查, reviewed (published or returned) and
withdrawn. Reads are in :mod:`sifa.disclosure.selectors`; who may do what in
:mod:`sifa.disclosure.rules`.
"""

from sifa.disclosure.services.notices import review, save_draft, submit, withdraw

__all__ = ["review", "save_draft", "submit", "withdraw"]
