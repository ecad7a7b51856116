"""Who may open the workbench, and the menu each staff member sees.

Every page needs a logged-in **staff** account whose session was verified with TOTP
(django-otp's ``request.user.is_verified()``; 等保 2.0 level 3 asks for two factors for staff).
Anonymous visitors and staff without a verified session go to the login page; citizens and
companies get 404, as if the workbench did not exist (it is no business of theirs).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from sifa.accounts.models import AccountKind
from sifa.complaints.selectors import can_work_queue as can_handle_complaints
from sifa.consultation.selectors import can_work_queue
from sifa.consultation.services import CURATOR_ROLES
from sifa.deadlines.notices import can_manage_calendar
from sifa.disclosure import rules as disclosure_rules
from sifa.evaluation.services import HANDLE_ROLES as RECTIFY_ROLES
from sifa.indicators.viewers import can_view_indicators
from sifa.mediation.services import ROSTER_ROLES
from sifa.notifications.selectors import MONITOR_ROLES
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor, actor_for
from sifa.security.services import is_security_admin

CATALOGUE_ROLES = (Role.CATALOGUE_ADMIN,)
FAQ_ROLES = CURATOR_ROLES
"""Who keeps the knowledge base (常见问题): consultants and supervisors."""


def is_staff_account(user) -> bool:
    return bool(user.is_superuser or getattr(user, "kind", "") == AccountKind.STAFF)


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login + TOTP for staff; 404 for everyone else who is logged in. Sets ``request.actor``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not is_staff_account(user):
            raise Http404("未找到该页面")
        if not user.is_verified():
            # A password-only session (e.g. an old one from before 2FA) must log in again with TOTP.
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        request.actor = actor_for(user)
        return view(request, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class MenuItem:
    key: str
    label: str
    url_name: str


def can_monitor_deliveries(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*MONITOR_ROLES)


def can_handle_exchange(actor: Actor) -> bool:
    """数据交换管理员: the dead letters of their jurisdiction and 重新发送."""
    return actor.is_superuser or actor.has_role(Role.EXCHANGE_OPERATOR)


def can_author_catalogue(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*CATALOGUE_ROLES)


def menu_for(actor: Actor) -> list[MenuItem]:
    """Menu items by role: nobody is shown a page that would answer them 404."""
    items = [
        MenuItem("worklist", "待办工作", "workbench-worklist"),
        MenuItem("overdue", "超期预警", "workbench-overdue"),
    ]
    if actor.has_role(Role.WINDOW_CLERK):
        items.append(MenuItem("window", "窗口受理", "workbench-window"))
    elif actor.has_role(Role.SUPERVISOR):  # clerks find it on the 窗口受理 page
        items.append(MenuItem("data-use", "数据使用记录查阅", "workbench-window-data-use"))
    if can_work_queue(actor):
        items.append(MenuItem("consultations", "法律咨询", "workbench-consultations"))
    if actor.is_superuser or actor.has_role(*RECTIFY_ROLES):
        items.append(MenuItem("rectifications", "差评整改", "workbench-rectifications"))
    if can_handle_complaints(actor):
        items.append(MenuItem("complaints", "投诉举报", "workbench-complaints"))
    if can_view_indicators(actor):
        items.append(MenuItem("indicators", "绩效考核", "workbench-indicators"))
    if actor.is_superuser or actor.has_role(Role.CONSULTANT, Role.WINDOW_CLERK):
        items.append(MenuItem("consultation-new", "登记来电/来访", "workbench-consultation-new"))
    if can_monitor_deliveries(actor):
        items.append(MenuItem("deliveries", "发送失败的消息", "workbench-failed-deliveries"))
    if can_handle_exchange(actor):
        items.append(MenuItem("exchange", "交换失败消息", "workbench-exchange-dead-letters"))
    if can_author_catalogue(actor):
        items.append(MenuItem("catalogue", "事项管理", "workbench-catalogue"))
    if actor.is_superuser or actor.has_role(Role.DECISION_MAKER):
        items.append(MenuItem("licences", "电子证照", "workbench-licences"))
    if actor.is_superuser or actor.has_role(*ROSTER_ROLES):
        items.append(MenuItem("mediation", "人民调解员名册", "workbench-roster-index"))
    if can_use_disclosure(actor):
        items.append(MenuItem("disclosure", "政务公开", "workbench-disclosure"))
    if actor.has_role(Role.INSPECTOR):
        items.append(MenuItem("inspections", "模拟办件和随机抽查", "workbench-inspections"))
    if actor.has_role(Role.SUPERVISOR, Role.DECISION_MAKER):
        items.append(MenuItem("inspection-results", "督查结果", "workbench-inspection-results"))
    if actor.is_superuser or actor.has_role(*FAQ_ROLES):
        items.append(MenuItem("faq", "常见问题", "workbench-faq-list"))
    if manages_calendar(actor):
        items.append(MenuItem("calendar", "工作日历", "workbench-calendar"))
    if can_handle_incidents(actor):
        items.append(MenuItem("security", "安全事件", "workbench-security"))
    return items


def can_handle_incidents(actor: Actor) -> bool:
    """安全管理员 only (三员分立): not the system or audit administrator, not a superuser."""
    return is_security_admin(actor)


def can_use_disclosure(actor: Actor) -> bool:
    """Who drafts (a staff member of an organisation) or reviews notices (政务公开)."""
    return (
        actor.is_superuser
        or disclosure_rules.may_draft(actor)
        or actor.has_role(*disclosure_rules.REVIEW_ROLES)
    )


def manages_calendar(actor: Actor) -> bool:
    """工作日历管理员 at the ministry (one query, only for holders of the role)."""
    return actor.is_superuser or (actor.has_role(Role.CALENDAR_ADMIN) and can_manage_calendar(actor))
