"""A change of the working-day calendar (a day corrected, a year entered from the State Council's
notice) recounts, in its own transaction, the working days from acceptance to decision that the
indicators stored: after any sequence of changes the dashboard at every level — through the answer
cache — equals a fresh computation, and the roll-up rows equal a rebuild from the facts."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from sifa.audit.models import AuditEvent
from sifa.core import pagecache
from sifa.deadlines import db_calendar
from sifa.deadlines.models import CalendarDay
from sifa.deadlines.services import define_year, set_day
from sifa.deadlines.signals import calendar_changed
from sifa.indicators import selectors
from sifa.indicators.models import PendingDelta
from sifa.indicators.services import fold, fold_all, rebuild
from sifa.indicators.tests.rebuilds import assert_the_rebuilds_agree
from sifa.indicators.tests.test_answer_cache import HIT, shown, statements
from sifa.indicators.tests.test_rollup import AID, snapshot
from sifa.organisations.scope import Actor
from sifa.organisations.signals import TREE_CACHE_NAMESPACE
from sifa.workflow.tests.conftest import command, entry_for, make_case, travel

SEPT, OCT = dt.date(2025, 9, 1), dt.date(2025, 10, 1)
LEVELS = ("ministry", "zj", "hz", "xh", "xh_aid", "xh_town")
SUPERUSER = Actor(user_id=0, is_superuser=True)


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.INDICATORS_CACHE_SECONDS = 3600
    settings.CACHE_URL = ""  # the database store: shared, and rolled back with the test


def decided_case(w, people, received: dt.date, accepted: dt.date, decided: dt.date):
    case = make_case(entry_for(AID, w["xh_aid"]), people["citizen"], received=received)
    clerk = people["aid_clerk"]
    with travel(accepted):
        assert command(clerk, case.number, "accept").status_code == 200
    with travel(decided):
        assert command(clerk, case.number, "decide", decision="approve").status_code == 200
    return case


def kept(w, months=(SEPT, OCT)):
    """Keep every level's answer (a miss), then check it is kept (a hit)."""
    for key in LEVELS:
        for month in months:
            selectors.drill_down(SUPERUSER, w[key], month)
            assert (
                statements(lambda key=key, month=month: selectors.drill_down(SUPERUSER, w[key], month))[1]
                == HIT
            )


def check(w, months=(SEPT, OCT)):
    """Through the cache, every level equals a fresh computation; the rows equal a rebuild."""
    for key in LEVELS:
        for month in months:
            fresh = shown(selectors._drill_down(w[key], month))
            assert shown(selectors.drill_down(SUPERUSER, w[key], month)) == fresh, (key, month)
    fold_all()
    incremental = snapshot()
    rebuild()
    assert snapshot() == incremental
    assert_the_rebuilds_agree()


def last_event() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def recounts(start: int) -> AuditEvent:
    return AuditEvent.objects.filter(action="indicators.calendar_recount", seq__gt=start).get()


def average(w, key, month):
    figures = selectors._drill_down(w[key], month)[0]
    return figures.decision_days, figures.decision_days_counted


@pytest.mark.django_db
def test_after_random_calendar_changes_the_dashboard_equals_a_fresh_computation(w, people, settings):
    settings.INDICATORS_HOT_LEAF_FACTS = 3  # 法律援助中心's September turns hot (ADR 10) on the way
    rng = random.Random(12)
    days = [SEPT + dt.timedelta(days=n) for n in range(61)]
    for _ in range(5):
        accepted = rng.choice(days[:40])
        decided = accepted + dt.timedelta(days=rng.randint(1, 20))
        decided_case(w, people, accepted, accepted, decided)
    fold(limit=rng.choice([1, 3]))  # some deltas folded, some pending
    kept(w)
    before = average(w, "xh", SEPT), average(w, "xh", OCT)
    start = last_event()
    for _step in range(6):
        day = rng.choice(days)
        workday = CalendarDay.objects.get(date=day).is_workday
        set_day(day, is_workday=not workday)
        check(w)
        kept(w)
        if rng.random() < 0.5:
            fold_all()
    # The changes moved the average somewhere (else this test tests nothing).
    assert (average(w, "xh", SEPT), average(w, "xh", OCT)) != before
    events = AuditEvent.objects.filter(action="indicators.calendar_recount", seq__gt=start)
    assert events.count() == 6
    assert any(e.detail["cases_recounted"] for e in events)


@pytest.mark.django_db
def test_a_corrected_holiday_recounts_the_cases_that_span_it_and_only_those(w, people):
    decided_case(w, people, dt.date(2025, 9, 8), dt.date(2025, 9, 8), dt.date(2025, 9, 12))
    decided_case(w, people, dt.date(2025, 9, 15), dt.date(2025, 9, 15), dt.date(2025, 9, 17))
    fold_all()
    kept(w, months=(SEPT,))
    assert average(w, "xh", SEPT) == (4 + 2, 2)  # 9/9–9/12, 9/16–9/17
    start = last_event()
    set_day(dt.date(2025, 9, 10), is_workday=False, holiday_name="更正")  # a rest day after all
    event = recounts(start)
    assert event.detail == {
        "days": 1,
        "first_day": "2025-09-10",
        "last_day": "2025-09-10",
        "cases_examined": 1,
        "cases_recounted": 1,
        "months": ["2025-09"],
    }
    assert PendingDelta.objects.filter(decision_days=-1).count() == 1  # the case's difference
    # Through the kept answers: no stale one is served at any level.
    for key in LEVELS:
        assert selectors.drill_down(SUPERUSER, w[key], SEPT)[0].decision_days == (
            3 + 2 if key != "xh_town" else 0
        )
    check(w, months=(SEPT,))


@pytest.mark.django_db
def test_next_years_notice_in_december_recounts_nothing_and_drops_the_kept_answers(w, people):
    decided_case(w, people, dt.date(2025, 9, 8), dt.date(2025, 9, 8), dt.date(2025, 9, 12))
    fold_all()
    kept(w, months=(SEPT,))
    start = last_event()
    generation = pagecache.store().lookup(TREE_CACHE_NAMESPACE, "x", 0)[0]
    define_year(2027, holidays={dt.date(2027, 1, 1): "元旦", dt.date(2027, 1, 4): "元旦"}, makeup_workdays={})
    event = recounts(start)
    assert event.detail["first_day"] == "2027-01-04" and event.detail["cases_recounted"] == 0
    assert not PendingDelta.objects.exists()
    assert pagecache.store().lookup(TREE_CACHE_NAMESPACE, "x", 0)[0] > generation
    check(w, months=(SEPT,))


@pytest.mark.django_db
def test_a_kept_answer_is_not_computed_on_a_stale_copy_of_the_calendar(w, people):
    """Another process's copy of a year is kept a minute; a miss after the change must not count a
    cold leaf's working days on it and keep that."""
    decided_case(w, people, dt.date(2025, 9, 8), dt.date(2025, 9, 8), dt.date(2025, 9, 12))
    fold_all()
    old = db_calendar.DatabaseCalendar()._year(2025)  # this process's copy before the change
    db_calendar.ensure_current()
    set_day(dt.date(2025, 9, 10), is_workday=False)
    db_calendar._cache[2025] = old  # as another process still holds it
    old.checked_at = db_calendar.time.monotonic()
    aid = w["xh_aid"]
    assert selectors.drill_down(SUPERUSER, aid, SEPT)[0].decision_days == 3
    db_calendar.forget()
    assert selectors._drill_down(aid, SEPT)[0].decision_days == 3


@pytest.mark.django_db
def test_the_calendar_commands_announce_exactly_the_days_whose_status_changed(w):
    seen = []

    def receiver(sender, days, **kwargs):
        seen.append(set(days))

    calendar_changed.connect(receiver, dispatch_uid="test.calendar")
    try:
        set_day(dt.date(2025, 9, 10), is_workday=False)
        set_day(dt.date(2025, 9, 10), is_workday=False, holiday_name="改名")  # same status: nothing
        set_day(dt.date(2027, 3, 3), is_workday=False)  # a provisional year stays on its rules
        define_year(2027, holidays={dt.date(2027, 1, 1): "元旦"}, makeup_workdays={})
    finally:
        calendar_changed.disconnect(dispatch_uid="test.calendar")
    assert seen[0] == {dt.date(2025, 9, 10)}
    assert len(seen) == 2
    # 2027 provisional → official: the days the rules gave as rest and the notice does not.
    assert dt.date(2027, 1, 1) not in seen[1] and dt.date(2027, 2, 9) in seen[1]
