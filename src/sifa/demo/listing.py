"""``sifa demo-accounts``' listing with what the demo data produced: each holder's licences and
each account's mandates (委托代办, given and received)."""

from __future__ import annotations

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import User
from sifa.demo.mandates import mandates_of
from sifa.licences.models import Licence


def licences_of(user: User) -> dict[str, object]:
    """The licences ``user`` holds (every version), for the demo listing."""
    rows = Licence.objects.filter(holder=user).order_by("issue_date", "identifier")
    return {
        "licences": [
            {
                "identifier": licence.identifier,
                "name": licence.name,
                "number": licence.number,
                "status": licence.status,
                "issuer": licence.issuer_name,
                "verify_path": f"/verify/{licence.identifier}",
            }
            for licence in rows
        ]
    }


def listing() -> list[dict[str, object]]:
    """Every demo account (login facts) with the licences it holds and its mandates."""
    return _demo.listing(extra=lambda user: {**licences_of(user), **mandates_of(user)})
