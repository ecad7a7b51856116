"""`GET /healthz`: the process answers and the database answers; plus two outlooks.

``calendar`` and ``sms_gateway`` are warnings, not failures, and the load balancer still sees
200 (every instance shares the configuration, so taking one out of rotation would not help):

* ``calendar.status`` is ``warning`` from 1 October until next year's official 放假安排 is entered
  (deadlines reaching that year are provisional);
* ``sms_gateway.status`` is ``warning`` when ``SIFA_SMS_BACKEND`` names no registered gateway
  (``sifa.accounts.sms.gateways``): login codes and SMS notifications cannot be sent. Only the
  configured name is shown, never the list of adapters.

Two more reports, cheap enough for every probe (a small file and three indexed aggregates; the
chain is never walked on a request):

* ``audit_anchor`` — the outcome of the scheduler's last verify-and-anchor of the audit chain
  (``sifa audit anchor --verify``, every ``SIFA_ANCHOR_INTERVAL_MINUTES``):
  ``verified_at``, ``anchored_at``, ``seq``, ``ok``, ``code``, ``message``. ``status`` is
  ``error`` when that run found the chain broken, ``warning`` when there is none yet or it is
  older than two intervals (the scheduler is not running), else ``ok``;
* ``backlog`` — ``notifications`` (the delivery outbox) and ``exchange_outbox``: how many wait,
  how many are dead letters (failed for good) and the oldest waiting one's age in seconds;
  ``tasks`` (the background worker's queue): how many are ready to run and the oldest one's age.

Neither turns the answer into a 503: the process still serves; they are for monitoring.
"""

import datetime as dt

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from sifa.accounts.sms import gateways
from sifa.audit.chain import read_status
from sifa.deadlines.selectors import calendar_outlook
from sifa.exchange.selectors import outbox_backlog as exchange_backlog
from sifa.notifications.selectors import outbox_backlog as notification_backlog


def _audit_anchor() -> dict[str, object]:
    last = read_status()
    if last is None:
        return {
            "status": "warning",
            "ok": None,
            "verified_at": None,
            "anchored_at": None,
            "seq": None,
            "code": "",
            "message": "尚未核验和锚定审计链（sifa scheduler 未运行？）",
        }
    report = {key: last.get(key) for key in ("ok", "verified_at", "anchored_at", "seq", "code", "message")}
    status = "ok" if last.get("ok") else "error"
    try:
        verified = dt.datetime.fromisoformat(str(last.get("verified_at")))
        stale = timezone.now() - verified > dt.timedelta(minutes=2 * settings.ANCHOR_INTERVAL_MINUTES)
    except ValueError:
        stale = True
    if status == "ok" and stale:
        status = "warning"
        report["message"] = "审计链的最近一次核验和锚定已超过两个周期（sifa scheduler 未运行？）"
    return {"status": status, **report}


def _task_backlog() -> dict[str, object]:
    """The worker's queue: READY tasks only (django_tasks_db's partial index covers exactly those;
    finished and failed results pile up unindexed, so they are not counted here)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    figures = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
        pending=Count("pk"), oldest=Min("enqueued_at")
    )
    oldest = figures["oldest"]
    age = int((timezone.now() - oldest).total_seconds()) if oldest else 0
    return {"pending": figures["pending"], "oldest_pending_age_seconds": max(0, age)}


def _sms_gateway() -> dict[str, str]:
    name = settings.SMS_BACKEND
    if name in gateways:
        return {"status": "ok", "name": name, "message": ""}
    return {
        "status": "warning",
        "name": name,
        "message": f"SIFA_SMS_BACKEND 指定的短信网关“{name}”未登记，短信验证码和短信通知无法发送",
    }


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        outlook = calendar_outlook(timezone.localdate())
        backlog = {
            "notifications": notification_backlog(),
            "exchange_outbox": exchange_backlog(),
            "tasks": _task_backlog(),
        }
    except Exception:  # any database failure means "not healthy", never a 500 page
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    calendar = {
        "status": "warning" if outlook.alert else "ok",
        "next_year": outlook.year,
        "next_year_status": outlook.status or "missing",
        "message": outlook.message,
    }
    return JsonResponse(
        {
            "status": "ok",
            "database": "ok",
            "calendar": calendar,
            "sms_gateway": _sms_gateway(),
            "audit_anchor": _audit_anchor(),
            "backlog": backlog,
        }
    )
