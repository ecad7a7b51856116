"""Signal receivers: the applications app says a case is ready for acceptance; we start its process."""

from __future__ import annotations

import logging
from typing import Any

from sifa.core.errors import ServiceError
from sifa.workflow.services import start_case

logger = logging.getLogger("sifa.workflow")


def start_on_ready_for_acceptance(sender: Any, application: Any, **kwargs: Any) -> None:
    """Sent after commit, so a failure here cannot undo the submission: it is logged, and the case
    still starts on the first staff command or by §32 deemed acceptance (both call ``start_case``)."""
    try:
        start_case(application)
    except ServiceError as refused:
        logger.error("办件 %s 未能启动办理流程：%s", application.number, refused.message)
