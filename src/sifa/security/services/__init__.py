"""The security app's commands (the only writes): the detector and the incident handling.

``detector.detect``: derive security events and apply the rules (``sifa security detect``, every
minute under ``sifa scheduler``); ``incidents``: what the security administrator does with an
incident (确认, 处置, 关闭), each one transaction with its audit event; ``reports``: the weekly
report (``sifa security weekly-report``).
"""

from sifa.security.services.detector import DetectionResult, detect
from sifa.security.services.incidents import (
    IncidentError,
    acknowledge,
    close,
    handle,
    is_security_admin,
    may_handle,
)
from sifa.security.services.reports import weekly_reports

__all__ = [
    "DetectionResult",
    "IncidentError",
    "acknowledge",
    "close",
    "detect",
    "handle",
    "is_security_admin",
    "may_handle",
    "weekly_reports",
]
