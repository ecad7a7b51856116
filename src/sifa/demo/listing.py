"""``sifa demo-accounts``' listing with the results the demo cases produced: each holder's licences."""

from __future__ import annotations

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import User
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
    """Every demo account (login facts) with the licences it holds."""
    return _demo.listing(extra=licences_of)
