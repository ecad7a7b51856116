"""`GET /healthz`: the process answers and the database answers; plus the calendar's outlook.

``calendar`` is a warning, not a failure: from 1 October until next year's official 放假安排 is
entered, ``calendar.status`` is ``warning`` (deadlines reaching that year are provisional) and the
load balancer still sees 200.
"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from sifa.deadlines.selectors import calendar_outlook


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
    return JsonResponse({"status": "ok", "database": "ok", "calendar": calendar})
