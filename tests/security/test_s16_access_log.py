"""S16 (security.md §6, the data-use tracker): every staff read of a person's data — every staff
detail address of every personal family, API and workbench, and the printouts (document and
licence PDFs) — writes **exactly one** row to the subject's access log, naming the subject, the
reader, the reader's organisation and role, the case or object read, the kind (``read``) and the
visibility; the citizen's API lists only their own visible rows, newest first, paged; restricted
and delayed rows stay hidden until released.

The world is the scope matrix's (S1, ``tests/security/test_s1_scope_matrix.py``: the probes'
demo world plus citizen B's canary case, documents, licence, consultation, person and company). Each address is
read by the first staff identity that may (a 2xx), logged in for real.

Mutation check: with ``record_access`` a no-op everywhere, the sweep finds reads with no row.
"""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sifa.audit import services as audit_services
from sifa.audit.models import AccessKind, PersonalDataAccess, Visibility
from sifa.audit.services import record_disclosure
from sifa.core import limits
from tests.security import test_s1_scope_matrix as scope_matrix

_clients = scope_matrix._clients
_patch_everywhere = scope_matrix._patch_everywhere
matrix_world = scope_matrix.matrix_world  # the scope matrix's world, built once for this module

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=90)]

STAFF = ("staff-city", "staff-county2", "staff-province", "staff-county", "staff-supervisor-xh")
"""Who may read B's rows, in the order tried: 杭州市 (B's case), 上城区 (B's person and company)."""
STAFF_FAMILIES = (
    "persons",
    "companies",
    "applications",
    "materials",
    "documents",
    "licences",
    "consultations",
)


def staff_addresses(m) -> list[tuple[str, str, str]]:
    """(family, address, owner) of every staff detail address of B's and B's company's rows."""
    out = []
    for owner in ("b", "b-company"):
        for family in STAFF_FAMILIES:
            for url in m.owners[owner].details[family]:
                if url.startswith(("/me/", "/consultations/", "/api/v1/me/")):
                    continue  # the citizen's own space
                out.append((family, url, owner))
    return sorted(set(out))


def read(client, url: str):
    response = client.get(url)
    if response.streaming:  # read, not closed: closing fires request_finished, which would
        b"".join(response.streaming_content)  # close the connection holding the module's world
    limits.clear()
    return response


def sweep(m) -> tuple[list[dict], list[tuple]]:
    """Read each address as the first staff identity allowed; the new access-log rows per read."""
    reads, problems = [], []
    for family, url, owner in staff_addresses(m):
        for name in STAFF:
            pages, api = _clients(m, name)
            client = api if url.startswith("/api/") else pages
            before = set(PersonalDataAccess.objects.values_list("pk", flat=True))
            response = read(client, url)
            rows = list(
                PersonalDataAccess.objects.exclude(pk__in=before).select_related("reader_organisation")
            )
            if 200 <= response.status_code < 300:
                reads.append({"family": family, "url": url, "reader": name, "rows": rows, "owner": owner})
                break
            if rows:
                problems.append((url, name, response.status_code, "a refused read left a row"))
        else:
            problems.append((url, "nobody", "no staff identity may read it"))
    return reads, problems


def check(m, read_: dict) -> str:
    """What is wrong with the rows one read wrote ('' when exactly one row says it all)."""
    rows = read_["rows"]
    if len(rows) != 1:
        return f"{len(rows)} rows"
    row = rows[0]
    reader = m.world.users[read_["reader"]]
    owner = m.owners[read_["owner"]].user
    wrong = []
    if row.subject_id != owner.pk:
        wrong.append("subject")
    if row.reader_id != reader.pk:
        wrong.append("reader")
    if row.kind == AccessKind.DISCLOSURE:  # a use under the holder's authorisation (用证授权)
        if row.reader_organisation_id is None or not row.receiver or not row.legal_basis:
            wrong.append("organisation/receiver/legal basis")
    elif row.kind != AccessKind.READ or row.reader_organisation_id is None or not row.reader_role:
        wrong.append("kind/organisation/role")
    if row.visibility != Visibility.PUBLIC:
        wrong.append("visibility")
    if not row.purpose or not row.subject_ref:
        wrong.append("purpose/subject_ref")
    case_numbers = {mk for mk in m.owners["b"].markers["applications"] if mk.startswith("SF")}
    if read_["family"] in ("applications", "materials") and row.subject_ref not in case_numbers:
        wrong.append(f"case number ({row.subject_ref})")
    return ", ".join(wrong)


def test_every_staff_read_of_personal_data_writes_exactly_one_row(matrix_world):
    m = matrix_world
    reads, problems = sweep(m)
    wrong = {r["url"]: why for r in reads if (why := check(m, r))}
    rows = sum(len(r["rows"]) for r in reads)
    print(
        f"S16 data-use tracker: {len(reads)} staff reads of personal data over "
        f"{len({r['family'] for r in reads})} families, {rows} access-log rows, {len(wrong)} wrong",
        file=sys.__stdout__,
    )
    assert problems == []
    assert len(reads) >= 15
    assert wrong == {}, "\n".join(f"{url}: {why}" for url, why in wrong.items())


def test_mutant_without_record_access_is_caught(matrix_world, monkeypatch):
    _patch_everywhere(monkeypatch, audit_services.record_access, lambda **kwargs: None)
    reads, _ = sweep(matrix_world)
    silent = [r["url"] for r in reads if not r["rows"]]
    print(
        f"S16 mutant (record_access a no-op): {len(silent)} of {len(reads)} reads leave no row",
        file=sys.__stdout__,
    )
    assert len(silent) >= len(reads) - 1 and silent


def test_the_citizen_lists_only_their_own_visible_rows_newest_first_paged(matrix_world):
    m = matrix_world
    b = m.owners["b"].user
    others = PersonalDataAccess.objects.exclude(subject=b).count()
    assert others > 0  # other people's rows exist and must not show
    common = {
        "subject": b,
        "subject_ref": "P-S16",
        "object_type": "accounts.NaturalPerson",
        "receiver": "杭州市公安局",
        "purpose": "核验申请人身份（S16）",
        "legal_basis": "《个人信息保护法》第十三条",
        "organisation": m.world.orgs["hz"],
        "scope_path": m.world.orgs["hz"].path,
    }
    later = timezone.now() + dt.timedelta(days=30)
    for i in range(25):
        record_disclosure(**common, case_number=f"S16-{i:02d}")
    record_disclosure(**{**common, "purpose": "保密核查（S16）"}, visibility=Visibility.RESTRICTED)
    record_disclosure(
        **{**common, "purpose": "延迟告知（S16）"}, visibility=Visibility.DELAYED, visible_from=later
    )
    api = APIClient()
    api.force_authenticate(b)
    seen, url, pages = [], "/api/v1/me/access-log/", 0
    while url:
        body = api.get(url).json()
        seen += body["results"]
        url, pages = body.get("next"), pages + 1
    own = PersonalDataAccess.objects.filter(subject=b)
    visible = own.exclude(visibility=Visibility.RESTRICTED).exclude(visibility=Visibility.DELAYED)
    assert pages >= 2
    assert len(seen) == visible.count()
    purposes = [row["purpose"] for row in seen]
    assert "保密核查（S16）" not in purposes and "延迟告知（S16）" not in purposes
    times = [row["time"] for row in seen]
    assert times == sorted(times, reverse=True)
    assert all(row["visibility"] == "public" for row in seen)
    # The delayed row appears on its date; the restricted one never.
    import time_machine

    with time_machine.travel(later + dt.timedelta(minutes=1)):
        after = []
        url = "/api/v1/me/access-log/"
        while url:
            body = api.get(url).json()
            after += body["results"]
            url = body.get("next")
    purposes = [row["purpose"] for row in after]
    assert "延迟告知（S16）" in purposes and "保密核查（S16）" not in purposes
    print(
        f"S16 citizen access log: {len(seen)} own rows over {pages} pages, newest first, "
        f"rows of others hidden ({others}), 1 restricted hidden, 1 delayed shown from its date",
        file=sys.__stdout__,
    )
