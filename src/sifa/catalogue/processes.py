"""Whether a version's process exists: an item whose pinned version names no shipped process file
can not be applied for (no 在线申请 button, 409 at draft time), never an accepted dead end. Nor can an
item whose cases a partner's notice starts through the exchange (通知辩护, ``catalogue.notice_only``).

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

NOTICE_ONLY_CODE = "catalogue.notice_only"
NOTICE_ONLY_MESSAGE = (
    "该事项由人民法院、人民检察院、公安机关通知法律援助机构启动（法律援助法第二十五条、第三十六条），"
    "不接受申请。需要法律援助的，可以申请“法律援助申请”事项。"
)

_shipped: Callable[[str], bool] | None = None
_notice_only: Callable[[str], bool] = lambda _name: False  # noqa: E731


def register_process_files(
    is_shipped: Callable[[str], bool], *, notice_only: Callable[[str], bool] | None = None
) -> None:
    """Called by the workflow app: ``is_shipped(bpmn_file)`` says whether that process file exists;
    ``notice_only(bpmn_file)`` whether its cases are started by a partner's notice through the
    exchange (通知辩护), never by an application."""
    global _shipped, _notice_only
    _shipped = is_shipped
    if notice_only is not None:
        _notice_only = notice_only


def bpmn_file_of(version: ItemVersion) -> str:
    try:
        return version.process.bpmn_file or ""
    except ObjectDoesNotExist:
        return ""


def is_notice_only(version: ItemVersion) -> bool:
    """True when the version's cases start from a partner's notice, not from an application."""
    return _notice_only(bpmn_file_of(version))


def process_available(version: ItemVersion) -> bool:
    """True when the version names a process file the platform ships and a person can apply."""
    return file_available(bpmn_file_of(version))


def file_available(name: str) -> bool:
    """True when ``name`` (a version's process file, "" for none) is shipped and a person can apply."""
    return bool(name) and _shipped is not None and _shipped(name) and not _notice_only(name)


def file_unavailable_note(name: str) -> str:
    """Why a version with the process file ``name`` cannot be applied for ("" when it can)."""
    if file_available(name):
        return ""
    return NOTICE_ONLY_MESSAGE if _notice_only(name) else NO_PROCESS_MESSAGE


def unavailable_note(version: ItemVersion) -> str:
    """Why the version cannot be applied for ("" when it can)."""
    if process_available(version):
        return ""
    return NOTICE_ONLY_MESSAGE if is_notice_only(version) else NO_PROCESS_MESSAGE


def require_process(version: ItemVersion) -> None:
    """409 ``catalogue.no_process`` (with a Chinese message) when the version cannot be handled;
    409 ``catalogue.notice_only`` when its cases start only from a partner's notice."""
    if is_notice_only(version):
        raise Conflict(NOTICE_ONLY_CODE, NOTICE_ONLY_MESSAGE)
    if not process_available(version):
        raise Conflict(NO_PROCESS_CODE, NO_PROCESS_MESSAGE)
