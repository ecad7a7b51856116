"""Whether a version's process exists: an item whose pinned version names no shipped process file
can not be applied for (no 在线申请 button, 409 at draft time), never an accepted dead end.

The process files belong to ``sifa.workflow``, which sits above the catalogue (docs/architecture.md):
the catalogue must not import it. So the workflow app registers, when Django starts, a function
that answers "is this file shipped?" (:func:`register_process_files`), and the catalogue, the
applications app and the portal ask :func:`process_available`. Without a registered function
nothing is applicable — closed by default, as a deployment without the workflow app could not
handle a case.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ObjectDoesNotExist

from sifa.catalogue.models import ItemVersion
from sifa.core.errors import Conflict

NO_PROCESS_CODE = "catalogue.no_process"
NO_PROCESS_MESSAGE = (
    "该事项暂未开通网上办理流程，不能在线申请。请通过办事指南中的咨询电话或到实施机构窗口咨询办理方式。"
)

_shipped: Callable[[str], bool] | None = None


def register_process_files(is_shipped: Callable[[str], bool]) -> None:
    """Called by the workflow app: ``is_shipped(bpmn_file)`` says whether that process file exists."""
    global _shipped
    _shipped = is_shipped


def bpmn_file_of(version: ItemVersion) -> str:
    try:
        return version.process.bpmn_file or ""
    except ObjectDoesNotExist:
        return ""


def process_available(version: ItemVersion) -> bool:
    """True when the version names a process file the platform ships."""
    name = bpmn_file_of(version)
    return bool(name) and _shipped is not None and _shipped(name)


def require_process(version: ItemVersion) -> None:
    """409 ``catalogue.no_process`` (with a Chinese message) when the version cannot be handled."""
    if not process_available(version):
        raise Conflict(NO_PROCESS_CODE, NO_PROCESS_MESSAGE)
