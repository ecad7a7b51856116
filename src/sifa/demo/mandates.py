"""The demo law firm's client mandate (委托代办): 王丽 (``_demo.CLIENT``) mandates 浙江明理律师事务所
（演示） to apply for her 律师执业许可 — the 主项, which covers 专职 and 兼职 — for a year.

It lives in the demo app rather than in ``sifa load-demo`` because a mandate names catalogue
items, which are checked against the catalogue (loaded after the accounts). Granted through
``accounts.services.create_mandate`` like any other; idempotent.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from sifa.accounts import selectors as account_selectors
from sifa.accounts import services as accounts
from sifa.accounts.management.commands import _demo
from sifa.accounts.models import LegalPerson, Mandate, MandateStatus, NaturalPerson, User
from sifa.accounts.services.registration import id_number_index

LAWYER_LICENSING = "000100001000"
"""律师执业许可 (主项): a mandate for it covers 专职律师执业 and 兼职律师执业."""
TERM_DAYS = 365


def _parties() -> tuple[User, User]:
    client = NaturalPerson.objects.filter(
        id_number_index=id_number_index(_demo._id_number(_demo.CLIENT))
    ).first()
    firm = LegalPerson.objects.filter(uscc=_demo._demo_uscc()).first()
    if client is None or firm is None or client.user is None or firm.user is None:
        raise CommandError("尚无演示账户，请先运行 `sifa load-demo`")
    return client.user, firm.user


def load_mandates() -> Mandate:
    """The client's active mandate to the law firm (granted now if there is none in force)."""
    _demo.ensure_allowed()
    client, firm = _parties()
    today = timezone.localdate()
    current = account_selectors.mandate_for(firm, client, [LAWYER_LICENSING], today)
    if current is not None:
        return current
    return accounts.create_mandate(
        principal=client,
        agent=firm,
        scope=[LAWYER_LICENSING],
        valid_from=today,
        valid_until=today + dt.timedelta(days=TERM_DAYS),
        document_reference="演示委托书 DEMO-0002",
    )


def mandates_of(user: User) -> dict[str, object]:
    """The mandates ``user`` gave and received, for the demo listing."""
    names = account_selectors.item_names
    rows = Mandate.objects.filter(status=MandateStatus.ACTIVE).select_related("principal", "agent")
    out = []
    for mandate in (rows.filter(principal=user) | rows.filter(agent=user)).order_by("created_at"):
        given = mandate.principal_id == user.pk
        items = names(mandate.scope)
        out.append(
            {
                "role": "principal" if given else "agent",
                "other": (mandate.agent if given else mandate.principal).display_name,
                "items": [items.get(code, code) for code in mandate.scope] or ["全部事项"],
                "valid_until": mandate.valid_until.isoformat(),
            }
        )
    return {"mandates": out}
