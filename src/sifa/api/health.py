"""Two probes: ``GET /healthz`` (liveness) and ``GET /readyz`` (readiness, with the full report).

* ``/healthz`` — the process answers and the database answers one ``SELECT 1``:
  ``{"status": "ok", "database": "ok"}``, or 503 ``{"status": "error", "database":
  "unavailable"}``. Nothing else, so the load balancer's and the orchestrator's liveness probes,
  every few seconds on every instance, cost about what Django's hello view costs (bench W0).
* ``/readyz`` — the same answer and the same 503, plus the outlooks and reports below, for
  readiness probes and monitoring (a few indexed aggregates and a small file per call).

In ``/readyz``, ``calendar`` and ``sms_gateway`` are warnings, not failures, and the probe still
sees 200 (every instance shares the configuration, so taking one out of rotation would not help):

* ``calendar.status`` is ``warning`` from 1 October until next year's official 放假安排 is entered
  (deadlines reaching that year are provisional);
* ``sms_gateway.status`` is ``warning`` when ``SIFA_SMS_BACKEND`` names no registered gateway
  (``sifa.accounts.sms.gateways``): login codes and SMS notifications cannot be sent. Only the
  configured name is shown, never the list of adapters.

Reports cheap enough for a readiness probe (a small file and a few indexed aggregates; the
chain is never walked on a request):

* ``audit_anchor`` — the outcome of the scheduler's last verify-and-anchor of the audit chain
  (``sifa audit anchor --verify``, every ``SIFA_ANCHOR_INTERVAL_MINUTES``):
  ``verified_at``, ``anchored_at``, ``seq``, ``ok``, ``code``, ``message``. ``status`` is
  ``error`` when that run found the chain broken, ``warning`` when there is none yet or it is
  older than two intervals (the scheduler is not running), else ``ok``;
* ``backlog`` — ``notifications`` (the delivery outbox) and ``exchange_outbox``: how many wait,
  how many are dead letters (failed for good) and the oldest waiting one's age in seconds;
  ``tasks`` (the background worker's queue): how many are ready to run and the oldest one's age.

* ``security_detector`` — the security detector's last run (``sifa security detect``, every
  minute under the scheduler): ``last_run_at``, ``lag_seconds``, ``runs``, and how far it has read
  the audit trail (``audit_seq``) and verified the audit chain (``chain_verified_seq``) against the
  chain's head (``audit_head_seq``). ``status`` is ``degraded`` when it has not run for
  ``SIFA_SECURITY_DETECTOR_STALE_MINUTES`` (no run at all counts as stale), else ``ok``.

None of them turns the answer into a 503: the process still serves; they are for monitoring.
"""

import datetime as dt

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from sifa.accounts.sms import gateways
from sifa.audit.chain import read_status
from sifa.core.db import first_read
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


def _security_detector() -> dict[str, object]:
    from django.db.models import Max

    from sifa.audit.models import AuditEvent
    from sifa.security.selectors import detector_cursors

    cursors = detector_cursors()
    run = cursors.get("run")
    head = AuditEvent.objects.aggregate(head=Max("seq"))["head"] or 0
    report: dict[str, object] = {
        "last_run_at": run.updated_at.isoformat() if run else None,
        "lag_seconds": None,
        "runs": run.position if run else 0,
        "audit_seq": cursors["audit"].position if "audit" in cursors else 0,
        "chain_verified_seq": cursors["chain"].position if "chain" in cursors else 0,
        "audit_head_seq": head,
        "message": "",
    }
    stale_after = dt.timedelta(minutes=settings.SECURITY_DETECTOR_STALE_MINUTES)
    if run is None:
        return {"status": "degraded", **report, "message": "安全监测尚未运行（sifa scheduler 未运行？）"}
    lag = timezone.now() - run.updated_at
    report["lag_seconds"] = max(0, int(lag.total_seconds()))
    if lag > stale_after:
        report["message"] = (
            f"安全监测已超过 {settings.SECURITY_DETECTOR_STALE_MINUTES} 分钟未运行（sifa scheduler 未运行？）"
        )
        return {"status": "degraded", **report}
    return {"status": "ok", **report}


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


def _database_answers() -> None:
    # The request's first statement: the connection's health check too (``first_read``).
    first_read(connections[DEFAULT_DB_ALIAS], "SELECT 1", [])


_UNAVAILABLE = {"status": "error", "database": "unavailable"}


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process and one ``SELECT 1``."""
    try:
        _database_answers()
    except Exception:  # any database failure means "not healthy", never a 500 page
        return JsonResponse(_UNAVAILABLE, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness and monitoring: the database, then every outlook and report (module docstring)."""
    try:
        _database_answers()
        outlook = calendar_outlook(timezone.localdate())
        backlog = {
            "notifications": notification_backlog(),
            "exchange_outbox": exchange_backlog(),
            "tasks": _task_backlog(),
        }
        detector = _security_detector()
    except Exception:  # any database failure means "not healthy", never a 500 page
        return JsonResponse(_UNAVAILABLE, status=503)
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
            "security_detector": detector,
            "backlog": backlog,
        }
    )
