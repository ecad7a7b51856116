"""Rate limits of the public endpoints that file something or look it up with a tracking code
(complaints, consultations). Over the limit the API answers 429 ``rate_limited``.

* :class:`PerClientThrottle` counts per account when signed in, else per client address.
* :class:`SubmitThrottle` counts only the POSTs, at ``anonymous_rate`` without an account and at
  ``account_rate`` with one: the rate is chosen per request.
* :class:`TrackingCodeThrottle` counts every request without an account per client address (a
  write with a tracking code: rating a consultation); a signed-in account is not counted. The
  lookups by tracking code count only their failures (:class:`FailureThrottle` below).
* :class:`RefusalThrottle` counts only the requests the view *refused*, per client address: its
  ``allow_request`` only looks, and the view calls :meth:`RefusalThrottle.count_refusal` when it
  refuses one. A client that keeps sending what is refused is stopped before the expensive check
  (the exchange inbox: a signature check and a rejection row each).
* :class:`FailureThrottle` counts only the *failed* lookups per client address, as a login
  throttle counts wrong passwords: ``allow_request`` only looks (every request, right or wrong,
  is refused once ``rate`` failures are in the window), and the view calls
  :meth:`FailureThrottle.count_failure` for a lookup that found nothing. Unlike a refusal's
  count, a failure's is capped: a failure that finds the rate reached meanwhile (another request
  of the client counted in between) is refused too, so no more than ``rate`` failures are ever
  answered in the window (docs/adr/0012-count-only-failed-progress-queries.md: the public progress
  query and the 办件查询 page, the tracking-code lookups of complaints and consultations).
  :class:`TrackingCodeFailureThrottle` is one that neither checks nor counts a signed-in account.

Each app's subclass names its own ``scope`` (part of the counter's key) and rates. Every throttle
here is a :class:`SharedRateThrottle`: DRF's throttle interface, counted by ``sifa.core.limits`` in
the store every web process shares (the database or Redis), never in one process's memory. Use
:class:`AnonymousThrottle` where DRF has ``AnonRateThrottle``; a test fails on a throttle that
counts anywhere else (``tests/test_shared_limits.py``).
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from sifa.core import limits


class SharedRateThrottle(SimpleRateThrottle):
    """DRF's rate throttle over :mod:`sifa.core.limits`: the same count in every process.

    A refused request is not counted (as in DRF), so a client that waits gets in again."""

    decision: limits.Decision | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        return self._decide(request, view, limits.hit)

    def _decide(self, request: Request, view: Any, step: Any) -> bool:
        """``step`` (:func:`sifa.core.limits.peek` or ``hit``) on the request's key; True without one."""
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.decision = step(self.key, limits.Rate(self.num_requests, self.duration))
        return self.decision.allowed

    def wait(self) -> float | None:
        return self.decision.retry_after if self.decision is not None and not self.decision.allowed else None

    def get_ident(self, request: Any) -> str | None:
        """DRF's client address (``X-Forwarded-For`` trusted from ``NUM_PROXIES`` proxies, else the
        peer's), the header read from ``META`` where DRF builds ``request.headers`` (every header
        of the request) to read this one: the same value, on every throttled request."""
        xff = request.META.get("HTTP_X_FORWARDED_FOR")
        remote_addr = request.META.get("REMOTE_ADDR")
        num_proxies = api_settings.NUM_PROXIES
        if num_proxies is not None:
            if num_proxies == 0 or xff is None:
                return remote_addr
            addrs = xff.split(",")
            return addrs[-min(num_proxies, len(addrs))].strip()
        return "".join(xff.split()) if xff else remote_addr


class AnonymousThrottle(SharedRateThrottle):
    """Requests without an account, per client address (DRF's ``AnonRateThrottle``, shared)."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PerClientThrottle(SharedRateThrottle):
    """Keyed by the account when signed in, else by the client address."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = getattr(request, "user", None)
        ident = f"user-{user.pk}" if user is not None and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SubmitThrottle(PerClientThrottle):
    """POSTs only: ``anonymous_rate`` per address without an account, ``account_rate`` per account."""

    anonymous_rate: str
    account_rate: str

    def __init__(self) -> None:  # the rate is chosen per request
        self.rate = self.anonymous_rate
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method != "POST":
            return True
        signed_in = getattr(request.user, "is_authenticated", False)
        self.rate = self.account_rate if signed_in else self.anonymous_rate
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class PerAddressThrottle(SharedRateThrottle):
    """Every request per client address, signed in or not (pages call ``allow_request(request, None)``)."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TrackingCodeThrottle(SharedRateThrottle):
    """Requests without an account, per client address; signed-in accounts are not counted."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LookingThrottle(PerAddressThrottle):
    """Per client address; ``allow_request`` only looks: it answers False once ``rate`` counted
    requests are in the window, without counting the request itself (the subclasses say which
    requests count). A request without a key is let through uncounted."""

    def allow_request(self, request: Request, view: Any) -> bool:
        return self._decide(request, view, limits.peek)


class RefusalThrottle(LookingThrottle):
    """Refusals per client address: :meth:`count_refusal` counts one."""

    def count_refusal(self, request: Request, view: Any) -> None:
        if self.rate is None:
            return
        limits.add(self.get_cache_key(request, view), limits.Rate(self.num_requests, self.duration))


class FailureThrottle(LookingThrottle):
    """Failed lookups per client address, signed in or not: :meth:`count_failure` counts one and
    says whether it was still within the rate."""

    def count_failure(self, request: Request, view: Any) -> bool:
        """Count one failure (capped at the rate, as :func:`sifa.core.limits.hit`); False when the
        client's failures had reached the rate: the view answers 429 (:meth:`wait` says how long)."""
        return self._decide(request, view, limits.hit)


class TrackingCodeFailureThrottle(FailureThrottle):
    """Failed tracking-code lookups: a signed-in account's per account, everyone else's per client
    address. Only failures count, so a person reading their own complaints or consultations is
    never refused, and a signed-in account cannot guess codes without a bound either."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return self.cache_format % {"scope": self.scope, "ident": f"user-{user.pk}"}
        return super().get_cache_key(request, view)
