"""Inspection commands — the only write path of 督查. Each is one transaction with its audit event.

``mocks``: file a 模拟办件 as a test applicant, score its handling; ``checks``: draw a random check
(随机抽查), record a finding per sampled case. Reads are in :mod:`sifa.inspections.selectors`.
"""

from sifa.inspections.services.checks import Drawn, candidates, draw, month_bounds, record_finding, sample
from sifa.inspections.services.common import INSPECTOR_ROLES
from sifa.inspections.services.mocks import Filed, Material, file_mock, score_mock

__all__ = [
    "INSPECTOR_ROLES",
    "Drawn",
    "Filed",
    "Material",
    "candidates",
    "draw",
    "file_mock",
    "month_bounds",
    "record_finding",
    "sample",
    "score_mock",
]
