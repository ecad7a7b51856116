"""The licence verification by identifier ``GET /api/v1/licences/verify/{identifier}/`` (W6a; issue
16; docs/performance.md, "2026-12-06 (session 4): W6a"): its query-count guard on both databases,
its count of every request (docs/security.md, "Shared limits"), and the plain view's bytes and
headers against DRF's for every kind of answer.

The budgets are what the view makes today, counted inside the test's transaction. Raise one only
with the profile that says why.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from sifa.core import limits
from sifa.core.identifiers import iso7064_mod37_36
from tests import probe_world

VERIFY_QUERIES = {"postgresql": 1, "sqlite": 1}
"""The look at the throttle's count and the licence with its type and its newest successor, one
read-only statement on both databases (``limits.tally_then_read``; the request is counted in the
process and sent to the store with a batch, ADR 0015: one more statement for the request that sends
one, ``test_a_batch_is_one_statement_for_many_requests``). Before 2026-12-06: 4, then 3 (the successor
apart), then 2 on both (the throttle's count, then the read), then on PostgreSQL 1 (the capped
upsert in a data-modifying ``WITH``, the read joined to the row it returns)."""

URL = "/api/v1/licences/verify/{}/"
THROUGH_DRF = {"HTTP_ACCEPT": "application/json, */*;q=0.8"}
"""An ``Accept`` the plain view leaves to DRF's negotiation: the request goes through DRF's dispatch."""
PLAIN = ({}, {"HTTP_ACCEPT": "*/*"}, {"HTTP_ACCEPT": "application/json"})


@pytest.fixture(scope="module")
def world(probe_world_module) -> probe_world.World:
    return probe_world_module


def _key_and_rate() -> tuple[str, limits.Rate]:
    from sifa.licences.api import VerifyThrottle

    throttle = VerifyThrottle()
    return throttle.get_cache_key(RequestFactory().get("/"), None), limits.Rate(
        throttle.num_requests, throttle.duration
    )


def _unknown(identifier: str) -> str:
    """A well-formed identifier (its check character right) that is not in the register."""
    root, type_code, issuer, serial, version, _check = identifier.rsplit(".", 5)
    serial = ("9" * len(serial)) if serial != "9" * len(serial) else ("8" * len(serial))
    return f"{root}.{type_code}.{issuer}.{serial}.{version}.{iso7064_mod37_36(type_code + issuer + serial + version)}"


def _same_as_drf(identifier: str, status: int) -> None:
    limits.clear()
    url = URL.format(identifier)
    answers = [APIClient().get(url, **extra) for extra in PLAIN]
    through_drf = APIClient().get(url, **THROUGH_DRF)
    for answer in answers:
        assert answer.status_code == through_drf.status_code == status, (identifier, answer.content[:200])
        assert answer.content == through_drf.content, identifier
        assert sorted(answer.items()) == sorted(through_drf.items()), identifier


@pytest.mark.django_db
def test_licence_verification_counts_and_reads_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    from django.urls import resolve

    from sifa.licences.api import verify

    limits.clear()
    identifier = world.values["licence"]
    assert resolve(URL.format(identifier)).func is verify  # routed at the top level, the plain view
    with django_assert_num_queries(VERIFY_QUERIES[connection.vendor]):
        response = APIClient().get(URL.format(identifier))
    assert response.status_code == 200
    assert response.json()["identifier"] == identifier
    with django_assert_num_queries(VERIFY_QUERIES[connection.vendor]):  # an unknown one: the same
        assert APIClient().get(URL.format(_unknown(identifier))).status_code == 404


@pytest.mark.django_db
def test_every_verification_is_counted_and_refused_past_the_rate(world, monkeypatch):
    """Every request counts, found, unknown or malformed, through the plain view and through DRF
    (a browser's ``Accept``, a query string, HEAD) alike; past the rate every one is refused with
    DRF's 429, which is not counted and reads nothing."""
    from sifa.licences.api import VerifyThrottle

    monkeypatch.setattr(VerifyThrottle, "rate", "8/min")
    limits.clear()
    key, rate = _key_and_rate()
    identifier = world.values["licence"]
    client = APIClient()
    statuses = [
        client.get(URL.format(identifier)).status_code,
        client.get(URL.format(identifier), HTTP_ACCEPT="text/html").status_code,
        client.get(URL.format(identifier), {"format": "json"}).status_code,
        client.head(URL.format(identifier)).status_code,
        client.get(URL.format(_unknown(identifier))).status_code,
        client.get(URL.format(identifier[:-1] + ("0" if identifier[-1] != "0" else "1"))).status_code,
        client.get(URL.format("no-such-licence")).status_code,
        client.get(URL.format(identifier.lower())).status_code,
    ]
    assert statuses == [200, 200, 200, 200, 404, 400, 400, 200]
    assert limits.peek(key, rate).count == 8
    statements: list[str] = []

    def seen(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(seen):
        refused = client.get(URL.format(identifier))
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert int(refused["Retry-After"]) >= 1
    assert limits.peek(key, rate).count == 8  # a refusal is not counted
    # Nor read: one read-only statement, the look, whose read is joined to the counts only while
    # they leave room (on PostgreSQL a one-time filter: never executed), and no write.
    assert len(statements) == 1 and statements[0].lstrip().startswith("SELECT k.sifa_current")
    limits.send_tallies()
    assert limits.peek(key, rate).count == 8
    through_drf = client.get(URL.format(identifier), **THROUGH_DRF)
    assert through_drf.status_code == 429
    assert refused.content == through_drf.content
    assert sorted((k, v) for k, v in refused.items() if k != "Retry-After") == sorted(
        (k, v) for k, v in through_drf.items() if k != "Retry-After"
    )
    limits.clear()


@pytest.mark.parametrize(
    "now",
    [dt.datetime(2026, 12, 6, 10, 4, 20, 486196, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC)],
    ids=["microseconds", "whole-second"],
)
@pytest.mark.django_db
def test_verification_bytes_and_headers_are_drfs_for_every_kind_of_answer(world, monkeypatch, now):
    """The plain GET answered by ``verify`` gives the bytes and headers DRF gives for every licence
    of the test world and for a revoked, suspended, expired, superseded, forged (changed bytes),
    mismatched (another licence's signed bytes), unknown-key and U+2028-named one; for unknown,
    malformed and lower-case identifiers."""
    from sifa.licences.models import Licence, LicenceStatus

    monkeypatch.setattr(timezone, "now", lambda: now)
    licences = list(Licence.objects.order_by("pk"))
    assert len(licences) >= 2
    for licence in licences:
        _same_as_drf(licence.identifier, 200)
    first, second = licences[0], licences[1]
    rows = Licence.objects.filter(pk=first.pk)
    changes = [
        {"status": LicenceStatus.REVOKED, "status_reason": "吊销", "status_date": dt.date(2026, 3, 1)},
        {
            "status": LicenceStatus.SUSPENDED,
            "status_reason": '停止执业 "六个月"\u2028',
            "status_date": dt.date(2026, 3, 1),
            "suspended_until": dt.date(2026, 9, 1),
        },
        {"status": LicenceStatus.VALID, "valid_until": dt.date(2020, 12, 31)},
        {"name": "律师\u2028执业\u2029证 \\ </script>"},
        {"payload": first.payload.replace(first.number, first.number[:-1] + "9")},
        {"payload": second.payload, "signature": second.signature},
        {"key_id": "sm2-no-such-key"},
    ]
    for change in changes:
        rows.update(**change)
        _same_as_drf(first.identifier, 200)
        rows.update(**{name: getattr(first, name) for name in change})
    Licence.objects.filter(pk=second.pk).update(previous=first)  # a newer version names it
    _same_as_drf(first.identifier, 200)
    wrong_check = first.identifier[:-1] + ("0" if first.identifier[-1] != "0" else "1")
    for identifier, status in (
        (_unknown(first.identifier), 404),
        (first.identifier.lower(), 200),
        ("%20" + first.identifier, 200),
        (wrong_check, 400),
        ("no-such-licence", 400),
        ("1.2.156.3005.2.x", 400),
    ):
        _same_as_drf(identifier, status)
    limits.clear()


@pytest.mark.django_db
def test_a_remembered_answer_follows_the_row_the_key_and_the_date(world, monkeypatch):
    """The plain view remembers an answer's JSON per row, signature check and day: a change of the
    row (a revocation), a deleted key and the next day (expiry) show at once."""
    from sifa.licences import payload
    from sifa.licences.models import Licence, LicenceStatus
    from sifa.licences.verification import verify_identifier

    limits.clear()
    licence = Licence.objects.get(identifier=world.values["licence"])
    today = timezone.localdate()
    Licence.objects.filter(pk=licence.pk).update(valid_until=today, status=LicenceStatus.VALID)
    url = URL.format(licence.identifier)
    for _ in range(2):
        body = APIClient().get(url).json()
        assert (body["status"], body["authentic"]) == ("valid", True)
    monkeypatch.setattr(timezone, "localdate", lambda *args: today + dt.timedelta(days=1))
    assert APIClient().get(url).json()["status"] == "expired"
    assert verify_identifier(licence.identifier)["status"] == "expired"
    monkeypatch.undo()
    Licence.objects.filter(pk=licence.pk).update(status=LicenceStatus.REVOKED, status_reason="吊销")
    assert APIClient().get(url).json()["status"] == "revoked"

    class NoKeys:
        def verifier(self, key_id):
            return payload.default_keyring().verifier("sm2-no-such-key")

    monkeypatch.setattr(payload, "keyring", lambda: NoKeys())
    body = APIClient().get(url).json()
    assert (body["authentic"], body["reason_code"]) == (False, "signing.unknown_key")
    limits.clear()
