"""Due dates stored outside the clocks, counted again after a change of the working calendar.

A complaint's 答复期限, a 12348 ticket's answer limit and a rectification's 整改/回访期限 are counted in
working days when they are opened and stored with their 暂定 mark. When the calendar changes
(``signals.calendar_changed``), their apps count the open ones again in the change's transaction
with :func:`recount` (pure: no writes here), with the limit stored on the item when it opened.
They tell the people concerned of a moved date (:func:`moved_text`, the reason :data:`REASON`),
one message per person per recount listing every item of theirs that moved (:class:`Letters`), and
withdraw an escalation whose new date has not passed (:func:`withdraws_escalation`, :data:`WITHDRAWN`).
docs/deadlines.md, "When the arrangement changes".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from sifa.deadlines.calendar import (
    CalendarDataMissing,
    WorkingCalendar,
    add_working_days,
    depends_on_provisional,
)

CAUSE = "工作日历调整"
"""The cause the moves are audited with; the calendar command's own event in the same transaction
names who changed what (as for ``indicators.calendar_recount``)."""

REASON = "法定节假日调整"
"""The reason the people concerned are told when a stored due date moves."""

WITHDRAWN = "期限因工作日历调整而顺延"
"""Why an escalation made under the old calendar is withdrawn when the new due date has not passed."""


@dataclass(frozen=True)
class Recount:
    due: dt.date
    provisional: bool


def touches(days: frozenset[dt.date], start: dt.date, due: dt.date) -> bool:
    """Whether a changed day lies in the period: after the start day (民法典 §201) up to and
    including the due date. A day after the due date cannot move it (the count ended before)."""
    return any(start < day <= due for day in days)


def recount(
    calendar: WorkingCalendar,
    start: dt.date,
    working_days: int,
    *,
    due: dt.date,
    provisional: bool,
    days: frozenset[dt.date],
) -> Recount | None:
    """The period of ``working_days`` from ``start`` counted on ``calendar`` as it is now, if the
    change of ``days`` can concern it (it spans one of them, or it is 暂定) and the result differs
    from the stored ``due``/``provisional``; None otherwise (also where the calendar has no data for
    a year it reaches: the stored date is kept)."""
    if not provisional and not touches(days, start, due):
        return None
    try:
        new_due = add_working_days(calendar, start, working_days)
        new_provisional = depends_on_provisional(calendar, start, new_due)
    except CalendarDataMissing:
        return None
    if (new_due, new_provisional) == (due, provisional):
        return None
    return Recount(new_due, new_provisional)


def withdraws_escalation(escalated: bool, new_due: dt.date, today: dt.date | None = None) -> bool:
    """Whether an escalation (overdue → the level above) is withdrawn after a recount: it was made,
    and the item is no longer overdue on the new calendar (its due date is today or later)."""
    return escalated and new_due >= (today or timezone.localdate())


def moved_text(before: dt.date, after: dt.date, *, what: str = "答复期限", provisional: bool = False) -> str:
    """The line the people concerned read when a date moved (a date that only loses 暂定 is not a
    move): ``因法定节假日调整，答复期限由2027年1月15日调整为2027年1月18日。``"""
    mark = "（暂定）" if provisional else ""
    return f"因{REASON}，{what}由{date_text(before)}调整为{date_text(after)}{mark}。"


def date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def bounds(days: Iterable[dt.date]) -> tuple[dt.date, dt.date]:
    ordered = sorted(days)
    return ordered[0], ordered[-1]


def starts_before(day: dt.date) -> dt.datetime:
    """The first moment of ``day`` in the local time zone: an item opened before it (its start day
    earlier than ``day``) may span ``day``; one opened later cannot (民法典 §201)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_detail(
    before: dt.date, before_provisional: bool, after: Recount, days: frozenset[dt.date]
) -> dict[str, object]:
    """The ``detail`` of a ``…due_date_moved`` event (the shape of ``deadlines.clock.due_date_moved``
    plus the mark before and the changed days' range)."""
    first, last = bounds(days)
    return {
        "before": before.isoformat(),
        "after": after.due.isoformat(),
        "provisional_before": before_provisional,
        "provisional": after.provisional,
        "cause": CAUSE,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
    }


MAX_LINES = 50
"""A message lists at most this many items; the list it links to has them all."""


@dataclass(frozen=True)
class Item:
    """One moved item as a person is told of it: its number, the line that names it, where it is."""

    number: str
    line: str
    link: str
    related: Any = None
    values: dict[str, str] = field(default_factory=dict)
    """What a message about this item alone says (``before``, ``after``, ``due`` …)."""


@dataclass
class Letter:
    """The message one person gets for one recount: every item of theirs, in the order met."""

    recipient: Any
    items: list[Item] = field(default_factory=list)
    sms: bool = False
    """Whether the person asked to be told by SMS of at least one of the items (named persons
    only: an anonymous person's SMS is sent per tracking code, never gathered)."""

    def context(self, **common: str) -> dict[str, Any]:
        """The template context: ``count``, ``items`` (the lines, at most :data:`MAX_LINES`) and,
        for the text of a single item, its ``number`` and values."""
        lines = [item.line for item in self.items]
        if len(lines) > MAX_LINES:
            lines = [*lines[:MAX_LINES], f"……另有 {len(lines) - MAX_LINES} 件"]
        first = self.items[0]
        return {**first.values, **common, "count": len(self.items), "items": lines, "number": first.number}

    def link(self, many: str) -> str:
        """The item's own page for one item, ``many`` (the person's list) for several."""
        return self.items[0].link if len(self.items) == 1 else many

    def related(self) -> Any:
        return self.items[0].related if len(self.items) == 1 else None


class Letters:
    """The messages of one recount, one per person.

    ``add(user, item)`` for every item a person must be told of; iterating gives each person's
    :class:`Letter` once, in the order the people were first met; :meth:`send` hands each to the
    sender the app passes in (``notifications.notify``: deadlines does not import notifications)."""

    def __init__(self) -> None:
        self._letters: dict[int, Letter] = {}

    def add(self, recipient: Any, item: Item, *, sms: bool = False) -> None:
        letter = self._letters.setdefault(recipient.pk, Letter(recipient))
        letter.items.append(item)
        letter.sms = letter.sms or sms

    def __iter__(self) -> Iterator[Letter]:
        return iter(list(self._letters.values()))

    def __len__(self) -> int:
        return len(self._letters)

    def send(
        self,
        sender: Callable[..., Any],
        event: str,
        *,
        many: str,
        channels: Sequence[str],
        sms: str | None = None,
        **common: str,
    ) -> None:
        """Each person's letter through ``sender(recipient, event, context, channels=, related=,
        link=)``: the context with ``common`` (:meth:`Letter.context`), ``channels`` and ``sms``
        too for a person who asked to be told by SMS, the item's own link or ``many``."""
        for letter in self:
            wanted = [*channels, *([sms] if sms is not None and letter.sms else [])]
            sender(
                letter.recipient,
                event,
                letter.context(**common),
                channels=wanted,
                related=letter.related(),
                link=letter.link(many),
            )


def moved_line(number: str, before: dt.date, after: str) -> str:
    """``TS…：2026年11月23日 → 2026年11月24日（法定节假日调整）`` — one line of a grouped message."""
    return f"{number}：{date_text(before)} → {after}（{REASON}）"


__all__ = [
    "CAUSE",
    "MAX_LINES",
    "REASON",
    "WITHDRAWN",
    "Item",
    "Letter",
    "Letters",
    "Recount",
    "audit_detail",
    "bounds",
    "date_text",
    "moved_line",
    "moved_text",
    "recount",
    "starts_before",
    "touches",
    "withdraws_escalation",
]
