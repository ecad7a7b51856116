"""W3 (docs/performance.md): the three requests of an online submission — a draft, a 2 MB PDF
upload, the submission with an ``Idempotency-Key`` — each cost a fixed, small number of queries.

The requests are the bench's (``bench/app_workloads.py``, W3): a citizen's bearer token, the
upload as a multipart body. A view that gains a query fails here first (an N+1 guard, issue 16).
The limits are today's counts; lower them when a change saves a query, never raise them without
saying why in docs/performance.md.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import uuid

import pytest
from django.utils import timezone

from sifa.applications.tests.conftest import LAWYER_FULL_TIME, VALID_ID, lawyer_form
from sifa.applications.tests.upload_corpus import make_pdf
from sifa.catalogue.models import ImplementationEntry
from sifa.deadlines import db_calendar
from sifa.deadlines.models import CalendarYear
from sifa.deadlines.services import define_year, seed_calendar
from sifa.testing import PersonFactory, bearer_client, catalogue_tree, rolled_back

API = "/api/v1/applications"
BOUNDARY = "----sifa-perf-w3"


def scan_like_pdf() -> bytes:
    """2 MB like the bench's: one page and an image of incompressible pixels (a phone scan)."""
    pixels = random.Random(20261127).randbytes(2 * 1024 * 1024 - 900)
    image = b"<< /Type /XObject /Subtype /Image /Width 1024 /Height %d /ColorSpace /DeviceGray " % (
        len(pixels) // 1024
    )
    image += b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (len(pixels), pixels)
    return make_pdf([image])


PDF = scan_like_pdf()
SMALL_PDF = make_pdf()

DRAFT = 14
"""Token, the entry with its version, form, process, item and accepting organisation (one fixed
statement), person (with its region and the two above it, one join), consent; the one-licence
rule (律师法 §10: the valid 律师执业证 the applicant may already hold, one statement — only for an
item issuing a 律师执业证 or 律师事务所执业许可证, as this one does; 13 before); the application;
the version's materials once; the once-only sources (the licence wallet: the type and the licence
in one statement; the applicant's earlier uploads, one query for all the materials); one INSERT
for all that they found; the audit event. A draft just created holds no material, notice,
timeline entry or clock, so neither the checks nor the answer read them."""
UPLOAD = 11
"""Token, scope, the application once (the scoped read, with its version), the material asked
for; the row lock, superseding, the INSERT, the audit event."""
SUBMIT = 21
"""The scope and the application's id; the idempotency record (inserted first, no read before
it, no savepoint: given the answer after); the row lock (with the entry as it is now, the
version's form and process, the accepting organisation and its region); the checks (the
version's materials and 情形 questions, the application's materials once, the one-licence rule's
statement as at the draft: a licence issued or imported since; 20 before), the number (one
``UPDATE … RETURNING``), the timeline, the indicators' contribution (no ledger read and no
correction notices read for a draft just submitted), the applicant's notification and its
deliveries (one INSERT; no savepoint of its own), the audit event."""


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        orgs = catalogue_tree("ministry", "zj", "hz", "xh")
        calendar_ahead()
        citizen = PersonFactory(
            name="张三", id_number=VALID_ID, phone="13800000001", region_code="330106"
        ).user
        entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
        yield {"citizen": citizen, "entry": entry}
    db_calendar.forget()


def calendar_ahead() -> None:
    """This year and the next in the working-day calendar (a deadline started in December ends
    next year; an administrator enters a year chinese-calendar does not ship yet, as here)."""
    today = timezone.localdate()
    seed_calendar(today.year - 1, today.year)
    if not CalendarYear.objects.filter(year=today.year + 1, complete=True).exists():
        define_year(today.year + 1, holidays={dt.date(today.year + 1, 1, 1): "元旦"}, makeup_workdays={})
    db_calendar.forget()


def multipart(material: int, data: bytes) -> bytes:
    return b"".join(
        [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="material"\r\n\r\n{material}\r\n'.encode(),
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="扫描件.pdf"\r\n'.encode(),
            b"Content-Type: application/pdf\r\n\r\n",
            data,
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        ]
    )


def three_requests(world, limits: tuple[int, int, int] | None, django_assert_max_num_queries) -> dict:
    counted = limits is not None

    def at_most(n: int):
        return django_assert_max_num_queries(n) if counted else contextlib.nullcontext()

    # The same on PostgreSQL: the audit chain's advisory lock is taken with its head, one statement
    # (``sifa_audit_chain_head()``; one more per audited request before, docs/performance.md,
    # "2026-12-07 (session 10): W4 on PostgreSQL").
    limits = limits or (0, 0, 0)
    client = bearer_client(world["citizen"])
    body = {"entry": world["entry"].implementation_code, "form_data": lawyer_form()}
    client.post(f"{API}/drafts/", body, format="json")  # warm: the token's first use, caches
    with at_most(limits[0]):
        draft = client.post(f"{API}/drafts/", body, format="json")
    assert draft.status_code == 201, draft.json()
    ref = draft.json()["id"]
    requested = [m["material"] for m in draft.json()["materials"] if m["requested"]]
    # as in the bench: later drafts reuse earlier uploads once-only, the 2 MB PDF replaces one
    material = world.setdefault("material", requested[0] if requested else None)
    others = [m for m in requested if m != material]
    kind = f"multipart/form-data; boundary={BOUNDARY}"
    for other in others:  # the rest of the requested materials, small (the first application only)
        client.generic("POST", f"{API}/{ref}/materials/", multipart(other, SMALL_PDF), kind)
    with at_most(limits[1]):
        upload = client.generic("POST", f"{API}/{ref}/materials/", multipart(material, PDF), kind)
    assert upload.status_code == 201, upload.json()
    key = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    with at_most(limits[2]):
        submitted = client.post(f"{API}/{ref}/submit/", {}, format="json", **key)
    assert submitted.status_code == 201, submitted.json()
    return submitted.json()


@pytest.mark.django_db
def test_draft_upload_and_submit_each_cost_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    # The first application uploads every requested material; later ones reuse them once-only
    # and upload the 2 MB scan to one material, as each iteration of the bench does.
    first = three_requests(world, None, django_assert_max_num_queries)
    second = three_requests(world, (DRAFT, UPLOAD, SUBMIT), django_assert_max_num_queries)
    # The applicant's third application costs no more: nothing grows with their history.
    third = three_requests(world, (DRAFT, UPLOAD, SUBMIT), django_assert_max_num_queries)
    assert len({first["number"], second["number"], third["number"]}) == 3
