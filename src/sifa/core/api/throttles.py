"""Rate limits of the public endpoints that file something or look it up with a tracking code
(complaints, consultations). Over the limit the API answers 429 ``rate_limited``.

* :class:`PerClientThrottle` counts per account when signed in, else per client address.
* :class:`SubmitThrottle` counts only the POSTs, at ``anonymous_rate`` without an account and at
  ``account_rate`` with one: the rate is chosen per request.
* :class:`TrackingCodeThrottle` counts the requests without an account per client address, so
  that guessing tracking codes stays impractical; a signed-in account is not counted.

Each app's subclass names its own ``scope`` (the cache key) and rates.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class PerClientThrottle(SimpleRateThrottle):
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


class TrackingCodeThrottle(SimpleRateThrottle):
    """Requests without an account, per client address; signed-in accounts are not counted."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
