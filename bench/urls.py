"""Sifa's URLs plus the bench-only denominator views (never mounted by production URLconfs).

- ``/bench/hello``: the cheapest Django view (full middleware stack, no database, tiny JSON).
- ``/bench/db1``: one raw-SQL single-row read returned as JSON (the W5 denominator, "db1").
- ``/bench/write`` (POST): a raw UPDATE + INSERT in one transaction ("raw Django write", the W4
  denominator on SQLite).
- ``/bench/fsync-write`` (POST): writes the request body to a new file, fsyncs it and removes it
  (the "fsync'd 2 MB file write", one side of the W3 denominator).

The public endpoints' anti-abuse throttles (tracking 30/min, verification 120/min, the law library
60/min per address) would cap a closed-loop benchmark from one address at 0.5–2 rps, so their
limits are raised here (the bench settings load this URLconf; production never does);
the throttle code still runs (the shared limits store read on every request, and written
on every counted one — for the progress query only a failed lookup, ADR 0012), only the limit differs.
"""

from __future__ import annotations

import importlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from sifa.conf.urls import urlpatterns as sifa_urlpatterns
from sifa.organisations.models import Organisation

BENCH_THROTTLE_RATE = "100000000/min"
THROTTLES = (
    "sifa.applications.api:TrackingThrottle",
    "sifa.licences.api:VerifyThrottle",
    "sifa.laws.api:LawsThrottle",
)
WRITE_TABLE = "bench_write"
FSYNC_DIR = Path(settings.VAR_DIR) / "fsync"


def _raise_throttles() -> None:
    for spec in THROTTLES:
        module_name, name = spec.split(":")
        try:
            throttle = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError):
            continue  # the feature is not built yet; its workload is skipped anyway
        throttle.rate = BENCH_THROTTLE_RATE


_raise_throttles()


def hello(request: HttpRequest) -> JsonResponse:
    """The cheapest Django view: full middleware stack, no database, a tiny JSON body."""
    return JsonResponse({"hello": "world"})


def db1(request: HttpRequest) -> JsonResponse:
    """One raw-SQL primary-key read of a single row (the root organisation), as JSON."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name, path FROM {Organisation._meta.db_table} WHERE id = %s",  # noqa: S608
            [request.GET.get("id", "1")],
        )
        row = cursor.fetchone()
    return JsonResponse({"id": row[0], "name": row[1], "path": row[2]} if row else {})


@csrf_exempt
def write(request: HttpRequest) -> JsonResponse | HttpResponseNotAllowed:
    """A raw UPDATE of a hot counter row plus an INSERT of a log row, in one transaction."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    slot = int(request.GET.get("slot", "0")) % 100
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {WRITE_TABLE} SET n = n + 1 WHERE id = %s", [slot + 1])  # noqa: S608
        cursor.execute(f"INSERT INTO {WRITE_TABLE}_log (counter_id, note) VALUES (%s, %s)", [slot + 1, "w"])  # noqa: S608
    return JsonResponse({"ok": True})


@csrf_exempt
def fsync_write(request: HttpRequest) -> JsonResponse | HttpResponseNotAllowed:
    """Write the body to a new file, fsync it, remove it: the disk's durable-write floor."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    FSYNC_DIR.mkdir(parents=True, exist_ok=True)
    target = FSYNC_DIR / uuid.uuid4().hex
    size = 0
    with open(target, "wb") as out:
        while chunk := request.read(64 * 1024):
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    target.unlink()
    return JsonResponse({"bytes": size})


urlpatterns = [
    path("bench/hello", hello, name="bench-hello"),
    path("bench/db1", db1, name="bench-db1"),
    path("bench/write", write, name="bench-write"),
    path("bench/fsync-write", fsync_write, name="bench-fsync-write"),
    *sifa_urlpatterns,
]
