"""The registry reads of the gateway's hot path, cached per process for a short time
(docs/exchange.md, "Registry cache").

Opening a message reads the registry: the sender (:class:`~sifa.exchange.models.Partner` by USCC),
its key (:class:`~sifa.exchange.models.PartnerKey` by key id), the service
(:class:`~sifa.exchange.models.PartnerService`), the receiving
:class:`~sifa.organisations.models.Organisation` by USCC, and the service's compiled JSON Schema
validator. These rows change a few times a year; a round trip read them four times. So each hit
is kept in this process for ``SIFA_EXCHANGE_REGISTRY_TTL_SECONDS`` (0 turns the cache off):

* **Only hits are kept.** A sender, key, service or organisation that is not found (or not
  active) is asked again on every message: deny by default costs a query, and a newly registered
  partner or key works at once.
* **A change made in this process is seen at once**: the registry's writers
  (``services.partners``) call :func:`forget`, and so do ``post_save`` / ``post_delete`` of the four
  models (the admin, the loaders).
* **A change made by another process is seen within the TTL.** That is the bound the cache
  costs: a key retired (``valid_until`` set) or a partner deactivated elsewhere still verifies in
  this process for at most ``SIFA_EXCHANGE_REGISTRY_TTL_SECONDS`` (5 s by default). The checks
  themselves are unchanged: every signature is verified, the key's validity at the message's time
  is compared with the cached ``valid_from``/``valid_until``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from django.db.models import Q
from jsonschema import Draft202012Validator

from sifa.exchange.envelope import settings_object
from sifa.exchange.models import Partner, PartnerKey, PartnerService
from sifa.organisations.models import Organisation

T = TypeVar("T")

_lock = threading.Lock()
_entries: dict[tuple[Any, ...], tuple[float, Any]] = {}
_MAX_ENTRIES = 4096


def forget(*_args: Any, **_kwargs: Any) -> None:
    """Drop everything cached (a registry row changed in this process). Usable as a receiver."""
    with _lock:
        _entries.clear()


def _cached(key: tuple[Any, ...], load: Callable[[], T | None]) -> T | None:
    ttl = settings_object().EXCHANGE_REGISTRY_TTL_SECONDS  # not through LazySettings (envelope.py)
    if ttl <= 0:
        return load()
    now = time.monotonic()
    entry = _entries.get(key)  # one dict read, atomic: the lock guards the writes
    if entry is not None and entry[0] > now:
        return entry[1]
    value = load()
    if value is not None:  # misses are never kept: deny by default, new rows seen at once
        with _lock:
            if len(_entries) >= _MAX_ENTRIES:
                _entries.clear()
            _entries[key] = (now + ttl, value)
    return value


def partner(uscc: str) -> Partner | None:
    """The active partner with this USCC."""
    return _cached(("partner", uscc), lambda: Partner.objects.filter(uscc=uscc, is_active=True).first())


def partner_key(partner: Partner, key_id: str) -> PartnerKey | None:
    """The partner's registered key with this id (valid or not: the caller checks the time)."""
    return _cached(
        ("key", partner.pk, key_id),
        lambda: PartnerKey.objects.filter(key_id=key_id, partner=partner).first(),
    )


def organisation(uscc: str) -> Organisation | None:
    """The active Sifa organisation with this USCC."""
    return _cached(
        ("organisation", uscc), lambda: Organisation.objects.filter(uscc=uscc, is_active=True).first()
    )


def own_service(code: str, version: str) -> PartnerService | None:
    """A service Sifa provides (``provider`` empty)."""
    return _cached(
        ("own service", code, version),
        lambda: PartnerService.objects.filter(provider__isnull=True, code=code, version=version).first(),
    )


def answered_service(partner: Partner, code: str, version: str) -> PartnerService | None:
    """The service an answer from ``partner`` belongs to: the partner's, or one of Sifa's."""
    return _cached(
        ("answered service", partner.pk, code, version),
        lambda: PartnerService.objects.filter(
            Q(provider=partner) | Q(provider__isnull=True), code=code, version=version
        ).first(),
    )


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A compiled validator for a service's schema (raises ``SchemaError`` when it is invalid).
    Keyed by the schema's text, so a changed schema gets a new validator. Not bound by the TTL: a
    validator is a function of that text alone, so it is compiled (and the schema checked) once
    per process, not again each time the registry's rows are read afresh (≈ 12 ms of CPU every
    ``SIFA_EXCHANGE_REGISTRY_TTL_SECONDS``, docs/performance.md, "2026-12-06 (session 5)")."""
    return _compiled(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=256)
def _compiled(text: str) -> Draft202012Validator:
    schema = json.loads(text)
    Draft202012Validator.check_schema(schema)  # an invalid schema raises: nothing is kept
    return Draft202012Validator(schema)
