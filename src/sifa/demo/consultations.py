"""Demo 12348 consultations, made through the real consultation services.

* a hotline call recorded by ``demo-hotline`` about a neighbour's leaking floor, routed to the
  demo 司法所 (西湖区's first) and still open — it waits in ``demo-township``'s queue;
* a question the demo citizen 陈明 asked on the website, answered by ``demo-township`` citing
  人民调解法第十七条 (when the law library's sample is loaded; without it, the answer cites nothing);
* a hotline call about unpaid wages nobody answered in time: escalated to 西湖区司法局, where
  ``demo-county`` (a consultant too) finds it under 逾期升级.

The unanswered call is recorded as the operator would record a call taken ten days ago (the time
limit counts from the day of the call), so it is really overdue, and the scheduler's escalation
runs on it as it would today: it shows under 已逾期 and 逾期升级.

Idempotent: each ticket has a fixed idempotency key and is recorded only when absent, so a second
run changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import User
from sifa.consultation import services
from sifa.consultation.models import Ticket, TicketStatus
from sifa.core.errors import ServiceError

KEY_PREFIX = "demo-consultation-"
ANSWER = (
    "人民调解不收费。您可以向所在街道的人民调解委员会口头或者书面申请调解，"
    "带上身份证明和漏水部位的照片等证据；调解达成协议的，可以申请法院司法确认。"
)


def _existing(user: User, key: str) -> Ticket | None:
    return Ticket.objects.filter(
        idempotency_owner=f"user:{user.pk}", idempotency_key=KEY_PREFIX + key
    ).first()


def _call_times(days_ago: int = 0) -> dict[str, dt.datetime]:
    now = timezone.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    return {"call_started_at": now - dt.timedelta(minutes=9), "call_ended_at": now - dt.timedelta(minutes=2)}


def _web_answered(citizen: User, township_staff: User, region: str) -> Ticket:
    ticket = _existing(citizen, "web")
    if ticket is None:
        ticket = services.create_ticket(
            citizen,
            channel="web",
            category="mediation",
            region=region,
            title="楼上漏水协商不成可以申请调解吗",
            question="楼上住户家的水管漏水，把我家天花板泡坏了，找他协商赔偿一直不同意。请问可以申请人民调解吗？收费吗？",
            wants_sms=True,
            idempotency_key=KEY_PREFIX + "web",
        ).ticket
    if ticket.status == TicketStatus.OPEN:
        try:
            services.answer(township_staff, ticket, text=ANSWER, citations=["人民调解法第十七条"])
        except ServiceError as refused:
            if not any(e.get("code") == "consultation.unresolved_citation" for e in refused.errors):
                raise
            services.answer(township_staff, ticket, text=ANSWER)  # the law library is not loaded
        ticket.refresh_from_db()
    return ticket


def _escalated(hotline: User, region: str) -> Ticket:
    ticket = _existing(hotline, "overdue")
    if ticket is not None:
        return ticket
    ticket = services.create_ticket(
        hotline,
        channel="hotline",
        category="labour",
        region=region,
        title="单位拖欠工资三个月怎么办",
        question="我在一家装修公司上班，公司已经三个月没有发工资，老板一直拖延。请问应该怎么维权？可以申请法律援助吗？",
        name="王女士",
        phone="13800000012",
        wants_sms=True,
        recording_ref="12348-DEMO-0002",
        idempotency_key=KEY_PREFIX + "overdue",
        **_call_times(days_ago=10),
    ).ticket
    services.escalate_overdue()
    ticket.refresh_from_db()
    return ticket


def _open_call(hotline: User, region: str) -> Ticket:
    ticket = _existing(hotline, "hotline")
    if ticket is not None:
        return ticket
    return services.create_ticket(
        hotline,
        channel="hotline",
        category="mediation",
        region=region,
        title="邻居装修漏水纠纷如何调解",
        question="楼上邻居装修导致我家天花板漏水，协商不成，想请社区调解，需要什么手续？是否收费？",
        name="陈先生",
        phone="13800000011",
        wants_sms=True,
        recording_ref="12348-DEMO-0001",
        idempotency_key=KEY_PREFIX + "hotline",
        **_call_times(),
    ).ticket


def ensure_consultations() -> list[Ticket]:
    """The three demo tickets (recorded once): answered, escalated, open."""
    _demo.ensure_allowed()
    tree = _demo.find_tree()
    region = tree.township.region_id
    hotline = User.objects.get(username="demo-hotline")
    township_staff = User.objects.get(username="demo-township")
    citizen = _demo._person(_demo.CITIZEN)
    return [
        _web_answered(citizen, township_staff, region),
        _escalated(hotline, region),
        _open_call(hotline, region),
    ]
