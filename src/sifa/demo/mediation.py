"""The demo 司法所's 人民调解员名册, kept through the real roster services by ``demo-township``.

Idempotent: a committee or mediator already on the roster (by name) is left alone, so a second
run changes nothing and an administrator's changes in between are kept.
"""

from __future__ import annotations

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import User
from sifa.mediation import services
from sifa.mediation.models import MediationCommittee, Mediator
from sifa.mediation.selectors import roster

ROSTER = [
    (
        "{office}人民调解委员会",
        "township",
        [
            ("王秀英", "director", "婚姻家庭纠纷、邻里纠纷"),
            ("张建国", "member", "相邻关系、物业纠纷"),
            ("刘敏", "appointed", "劳动争议、消费纠纷"),
        ],
    ),
    ("曙光社区人民调解委员会", "residents", [("陈立", "director", "邻里纠纷、赡养纠纷")]),
]
"""(committee name, kind, [(mediator, position, specialties)]); ``{office}`` is the 司法所's name
without “司法所” (e.g. 北山街道人民调解委员会)."""


def ensure_roster() -> list[Mediator]:
    """The demo township's roster (created once); returns its active mediators."""
    _demo.ensure_allowed()
    office = _demo.find_tree().township
    keeper = User.objects.get(username="demo-township")
    for name_pattern, kind, mediators in ROSTER:
        name = name_pattern.format(office=office.name.removesuffix("司法所"))
        committee = MediationCommittee.objects.filter(organisation=office, name=name).first()
        if committee is None:
            committee = services.create_committee(keeper, office, name=name, kind=kind)
        for mediator, position, specialties in mediators:
            if not Mediator.objects.filter(committee=committee, name=mediator).exists():
                services.add_mediator(
                    keeper, committee, name=mediator, position=position, specialties=specialties
                )
    return list(roster(office))
