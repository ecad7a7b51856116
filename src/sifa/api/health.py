"""`GET /healthz`: the process answers and the database answers; plus two outlooks.

``calendar`` and ``sms_gateway`` are warnings, not failures, and the load balancer still sees
200 (every instance shares the configuration, so taking one out of rotation would not help):

* ``calendar.status`` is ``warning`` from 1 October until next year's official 放假安排 is entered
  (deadlines reaching that year are provisional);
* ``sms_gateway.status`` is ``warning`` when ``SIFA_SMS_BACKEND`` names no registered gateway
  (``sifa.accounts.sms.gateways``): login codes and SMS notifications cannot be sent. Only the
  configured name is shown, never the list of adapters.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from sifa.accounts.sms import gateways
from sifa.deadlines.selectors import calendar_outlook


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
    except Exception:  # any database failure means "not healthy", never a 500 page
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    calendar = {
        "status": "warning" if outlook.alert else "ok",
        "next_year": outlook.year,
        "next_year_status": outlook.status or "missing",
        "message": outlook.message,
    }
    return JsonResponse(
        {"status": "ok", "database": "ok", "calendar": calendar, "sms_gateway": _sms_gateway()}
    )
