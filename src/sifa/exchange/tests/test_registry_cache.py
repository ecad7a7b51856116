"""The registry cache of the gateway (docs/exchange.md, "Registry cache"): hits are kept for
SIFA_EXCHANGE_REGISTRY_TTL_SECONDS, a change made in this process is seen at once, one made by
another process (here: a write that bypasses the services and signals) within the TTL, and a
miss is never kept (deny by default asks every time; a new key works at once)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sifa.core.signing.registry import generate_signer
from sifa.exchange import registry
from sifa.exchange.envelope import EnvelopeError
from sifa.exchange.models import Partner, PartnerKey
from sifa.exchange.services import envelopes, partners

from .conftest import notice

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self, monkeypatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(registry.time, "monotonic", lambda: self.now)


def refused_with(envelope, code: str) -> None:
    with pytest.raises(EnvelopeError) as error:
        envelopes.open(envelope)
    assert error.value.code == code, error.value.message


def registry_queries(envelope) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        envelopes.open(envelope)
    tables = (
        'exchange_partner"',
        "exchange_partnerkey",
        "exchange_partnerservice",
        "organisations_organisation",
    )
    return [q["sql"] for q in queries.captured_queries if any(t in q["sql"] for t in tables)]


def test_a_second_message_reads_no_registry_row(world):
    first = registry_queries(notice(world))
    assert len(first) == 4  # partner, key, organisation, service
    assert registry_queries(notice(world)) == []


def test_a_key_retired_elsewhere_still_verifies_until_the_ttl_is_up(world, settings, monkeypatch):
    settings.EXCHANGE_REGISTRY_TTL_SECONDS = 5
    clock = Clock(monkeypatch)
    court = world["partners"]["court"]
    assert envelopes.open(notice(world))  # reads (and keeps) the court's key
    # Another process retires it: no service call here, no signal, only the row changes.
    PartnerKey.objects.filter(partner=court).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    clock.now += 4.9
    assert envelopes.open(notice(world))  # within the TTL: the documented bound
    clock.now += 0.2
    refused_with(notice(world), "exchange.key_not_valid")  # the TTL is up: read again


def test_a_key_retired_in_this_process_stops_verifying_at_once(world, settings, monkeypatch):
    settings.EXCHANGE_REGISTRY_TTL_SECONDS = 3600
    Clock(monkeypatch)
    court = world["partners"]["court"]
    assert envelopes.open(notice(world))
    partners.retire_key(PartnerKey.objects.get(partner=court), at=timezone.now() - dt.timedelta(seconds=1))
    refused_with(notice(world), "exchange.key_not_valid")


def test_a_partner_deactivated_in_this_process_is_unknown_at_once(world, settings, monkeypatch):
    settings.EXCHANGE_REGISTRY_TTL_SECONDS = 3600
    Clock(monkeypatch)
    assert envelopes.open(notice(world))
    court = Partner.objects.get(pk=world["partners"]["court"].pk)
    court.is_active = False
    court.save()  # post_save: forgotten
    refused_with(notice(world), "exchange.unknown_sender")


def test_misses_are_not_kept_a_new_key_works_at_once(world, settings, monkeypatch):
    settings.EXCHANGE_REGISTRY_TTL_SECONDS = 3600
    Clock(monkeypatch)
    court = world["partners"]["court"]
    new = generate_signer("SM2-with-SM3", timezone.now())
    refused_with(notice(world, signer=new), "exchange.unknown_key")
    # Registered behind the cache's back (another process): the miss was not kept.
    PartnerKey.objects.create(
        partner=court,
        key_id=new.key_id,
        algorithm="SM2-with-SM3",
        public_key_pem=new.public_key_pem(),
        valid_from=timezone.now() - dt.timedelta(minutes=1),
    )
    assert envelopes.open(notice(world, signer=new))


def test_ttl_zero_reads_the_registry_every_time(world, settings):
    settings.EXCHANGE_REGISTRY_TTL_SECONDS = 0
    assert len(registry_queries(notice(world))) == 4
    assert len(registry_queries(notice(world))) == 4
