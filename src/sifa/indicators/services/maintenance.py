"""Maintenance of the roll-ups: record a fact's change, fold the deltas, rebuild from facts.

* :func:`record` runs inside the command's transaction (through the receivers in
  ``sifa.indicators.receivers``): it compares the fact's contribution with what it last added
  (``Contribution``) and appends the difference as ``PendingDelta`` rows of the leaf organisation.
  It never touches a ``MonthlyFigures`` row, so two commands never wait on each other here.
* :func:`fold` (``sifa roll-up-indicators``, every minute) takes the oldest deltas — ``FOR UPDATE
  SKIP LOCKED`` on PostgreSQL, so two schedulers take disjoint sets — adds them to the rows of
  every ancestor (and of the organisation itself unless it is a leaf: see :func:`rolled_up`; a
  leaf's own row only for a hot leaf-month, one that has a row) with one ``INSERT … ON CONFLICT DO
  UPDATE`` and deletes them, in one transaction; then :func:`promote` gives the cold leaf-months it
  touched that now hold more than ``SIFA_INDICATORS_HOT_LEAF_FACTS`` facts their row (ADR 0010).
* :func:`recount_working_days` runs inside a calendar command's transaction (the deadlines app's
  ``calendar_changed``): the cases whose working days from acceptance to decision count a day
  whose working status changed are recorded again, as a command would, and every kept dashboard
  answer is dropped.
* :func:`rebuild` (``sifa rebuild-indicators``) recomputes every contribution from the facts and
  the rows from the contributions (a leaf's row for each of its hot months); it is idempotent and
  gives what the incremental path gives.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Sum
from django.utils import timezone

from sifa.audit.services import record as audit
from sifa.core.db import FixedInsert, fixed_cursor
from sifa.indicators import metrics
from sifa.indicators.metrics import METRIC_NAMES
from sifa.indicators.metrics import Contribution as Figures
from sifa.indicators.models import Contribution, FactKind, MonthlyFigures, PendingDelta
from sifa.organisations.models import Organisation

_PATHS: dict[int, str] = {}


def path_of(organisation_id: int) -> str:
    """The organisation's materialized path (cached: paths do not change once built)."""
    path = _PATHS.get(organisation_id)
    if path is None:
        path = Organisation.objects.filter(pk=organisation_id).values_list("path", flat=True).first() or ""
        _PATHS[organisation_id] = path
    return path


def forget_paths() -> None:
    _PATHS.clear()


def ancestors(path: str) -> list[int]:
    """``/1/12/345/`` → [1, 12, 345]: the organisation and every level above it."""
    return [int(part) for part in path.strip("/").split("/") if part]


def parents_among(organisation_ids: Iterable[int]) -> set[int]:
    """Those of ``organisation_ids`` that have child organisations (one query)."""
    ids = set(organisation_ids)
    if not ids:
        return set()
    return set(
        Organisation.objects.filter(parent_id__in=ids)
        .order_by()
        .values_list("parent_id", flat=True)
        .distinct()
    )


def rolled_up(path: str, parents: set[int]) -> list[int]:
    """The organisations whose ``MonthlyFigures`` rows a fact of the organisation at ``path`` adds
    to: every ancestor, and the organisation itself unless it is a leaf (``parents``: the ids with
    children). A leaf — a 司法所, a 法律援助中心 — has no roll-up rows: its figures are its own facts,
    read through the facts' indexes (``sifa.indicators.leaves``), which keeps the roll-up
    rows per level far below the fact rows (R8c, ADR 0005)."""
    ids = ancestors(path)
    if ids and ids[-1] not in parents:
        ids.pop()
    return ids


HOT_FACTS = ("received", "ratings", "rectifications_opened", "complaints_received", "checks_done")
"""The figures that count a leaf-month's facts, each fact once, in the month it was born: the
applications received (mock ones are not), the ratings, the rectifications opened, the complaints
received and the random-check findings. Their sum over all leaf-months is at most the number of
facts, so hot leaf-months (each more than K) number fewer than facts ÷ K (R8c, ADR 0010)."""


def hot_threshold() -> int:
    """K: a leaf-month with more than K facts is hot (``SIFA_INDICATORS_HOT_LEAF_FACTS``)."""
    return int(settings.INDICATORS_HOT_LEAF_FACTS)


def is_hot(counts: dict[str, int]) -> bool:
    """Whether a leaf-month with these figures is over the threshold (gets a roll-up row)."""
    return sum(int(counts.get(name, 0)) for name in HOT_FACTS) > hot_threshold()


def _leaf_of(path: str, parents: set[int]) -> int | None:
    """The organisation at ``path`` when it is a leaf (not among ``parents``), else None."""
    ids = ancestors(path)
    return ids[-1] if ids and ids[-1] not in parents else None


def hot_rows(keys: Iterable[tuple[int, dt.date]]) -> set[tuple[int, dt.date]]:
    """Those (leaf, month) of ``keys`` that have a ``MonthlyFigures`` row: the hot leaf-months."""
    keys = set(keys)
    found: set[tuple[int, dt.date]] = set()
    ids = sorted({k[0] for k in keys})
    months = sorted({k[1] for k in keys})
    for start in range(0, len(ids), 500):
        rows = MonthlyFigures.objects.filter(organisation_id__in=ids[start : start + 500], month__in=months)
        found.update(k for k in rows.values_list("organisation_id", "month") if k in keys)
    return found


def _delta_rows(delta: Figures) -> list[PendingDelta]:
    rows = []
    for (organisation_id, month), counts in sorted(delta.items()):
        rows.append(
            PendingDelta(
                organisation_id=organisation_id,
                path=path_of(organisation_id),
                month=month,
                **{name: int(value) for name, value in counts.items()},
            )
        )
    return rows


def record(kind: str, fact_id: object, contribution: Figures, *, new: bool = False) -> int:
    """Record that the fact ``(kind, fact_id)`` now contributes ``contribution``; returns the
    number of delta rows written. Call inside the command's transaction. ``new``: the fact was
    created in this transaction, so it has no ledger row yet (no other transaction can see the
    fact, hence none can have written one) and the lookup is skipped."""
    fact_id = str(fact_id)
    # No savepoint: a failure fails the command, which rolls back as a whole.
    with transaction.atomic(savepoint=False):
        row = (
            None
            if new
            else Contribution.objects.select_for_update().filter(kind=kind, fact_id=fact_id).first()
        )
        old = metrics.decode(row.figures if row else None)
        delta = metrics.difference(contribution, old)
        if not delta:
            return 0
        encoded = metrics.encode(contribution)
        rows = _delta_rows(delta)
        if row is None:
            _insert_new(Contribution(kind=kind, fact_id=fact_id, figures=encoded), rows)
            return len(rows)
        row.figures = encoded
        row.save(update_fields=["figures"])
        PendingDelta.objects.bulk_create(rows)
        return len(rows)


_CONTRIBUTION = FixedInsert(Contribution)
_DELTA = FixedInsert(PendingDelta)


def _insert_new(row: Contribution, deltas: list[PendingDelta]) -> None:
    """A new fact's ledger row and its deltas: ``row.save(force_insert=True)`` and
    ``PendingDelta.objects.bulk_create(deltas)`` (neither model has a save override or save
    signals) as statements built once per database (``FixedInsert``), each value prepared as
    those saves prepare it (``auto_now_add`` stamps each delta), the deltas in one
    ``executemany`` (their keys are not used)."""
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: each field's preparation reads it
    with fixed_cursor(db) as cursor:
        cursor.execute(_CONTRIBUTION.sql(db), _CONTRIBUTION.params(row, db))
        _CONTRIBUTION.saved(row, cursor, db)
        if deltas:
            # Without the key's RETURNING: an executemany returns no rows.
            sql = _DELTA.sql(db).partition(" RETURNING ")[0]
            cursor.executemany(sql, [_DELTA.params(delta, db) for delta in deltas])


def _upsert(totals: dict[tuple[int, dt.date], Counter]) -> None:
    """Add ``totals`` to the rows (created when missing), in key order (no deadlock between folds).

    The same statement adds one to a row's ``revision``: the dashboard's answer cache is valid
    while the revision of the row covering its subtree (and the subtree's pending deltas) is
    unchanged (``selectors``, ADR 0013). A new row starts at 0 under a new primary key, so a row
    deleted and made again (a rebuild) never repeats an earlier (row, revision)."""
    if not totals:
        return
    table = MonthlyFigures._meta.db_table
    columns = ["organisation_id", "month", "updated_at", "revision", *METRIC_NAMES]
    sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in METRIC_NAMES)
    now = timezone.now()
    keys = sorted(totals)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            placeholders = ", ".join("(" + ", ".join(["%s"] * len(columns)) + ")" for _ in chunk)
            params: list[object] = []
            for organisation_id, month in chunk:
                counts = totals[(organisation_id, month)]
                params += [organisation_id, month, now, 0, *(int(counts.get(n, 0)) for n in METRIC_NAMES)]
            # Table and column names come from the model, never from input; the values are parameters.
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608
                f"ON CONFLICT (organisation_id, month) DO UPDATE SET updated_at = excluded.updated_at, "
                f"revision = {table}.revision + 1, {sets}"
            )
            cursor.execute(sql, params)


def _expand(
    rows: list[dict],
) -> tuple[dict[tuple[int, dt.date], Counter], set[tuple[int, dt.date]]]:
    """The rows the deltas add to, and the cold leaf-months they touched (candidates to promote)."""
    totals: dict[tuple[int, dt.date], Counter] = {}
    parents = parents_among(ancestors(row["path"])[-1] for row in rows if row["path"].strip("/"))
    leaf_months = {
        (leaf, row["month"]) for row in rows if (leaf := _leaf_of(row["path"], parents)) is not None
    }
    hot = hot_rows(leaf_months)
    for row in rows:
        counts = Counter({n: row[n] for n in METRIC_NAMES if row[n]})
        if not counts:
            continue
        targets = rolled_up(row["path"], parents)
        leaf = _leaf_of(row["path"], parents)
        if leaf is not None and (leaf, row["month"]) in hot:
            targets.append(leaf)
        for organisation_id in targets:
            totals.setdefault((organisation_id, row["month"]), Counter()).update(counts)
    return totals, leaf_months - hot


def _lock_rows(mode: str, *, deltas: bool = False) -> None:
    """PostgreSQL: take the roll-up table's lock in ``mode``. Folds take ROW EXCLUSIVE (they do not
    wait on each other), a promotion SHARE ROW EXCLUSIVE, which waits for the folds in flight and
    holds new ones off while it reads, so no fold decides a leaf-month is cold (and drops its
    deltas) while the promotion computes the row from the facts minus the pending deltas. A fold
    (``deltas``) locks the deltas' table first, in the rebuild's order, so the two never deadlock."""
    if connection.vendor == "postgresql":
        tables = [PendingDelta._meta.db_table] if deltas else []
        tables.append(MonthlyFigures._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN {mode} MODE")


def fold(limit: int = 20000) -> int:
    """Fold up to ``limit`` of the oldest deltas into the roll-ups; returns how many were folded."""
    with transaction.atomic():
        _lock_rows("ROW EXCLUSIVE", deltas=True)
        qs = PendingDelta.objects.order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs.values("id", "path", "month", *METRIC_NAMES)[:limit])
        if not rows:
            return 0
        totals, cold = _expand(rows)
        _upsert(totals)
        ids = [r["id"] for r in rows]
        for start in range(0, len(ids), 5000):
            PendingDelta.objects.filter(id__in=ids[start : start + 5000]).delete()
        audit("indicators.fold", subject=MonthlyFigures, detail={"deltas": len(rows)})
    promote(cold)
    return len(rows)


def _figures_by_month(keys: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], Counter]:
    """The leaf-months ``keys`` computed from their facts (``leaves.leaf_figures``, per month)."""
    from sifa.indicators.leaves import leaf_figures

    by_month: dict[dt.date, set[int]] = {}
    for organisation_id, month in keys:
        by_month.setdefault(month, set()).add(organisation_id)
    found: dict[tuple[int, dt.date], Counter] = {}
    for month, ids in sorted(by_month.items()):
        ids_sorted = sorted(ids)
        for start in range(0, len(ids_sorted), 256):
            chunk = ids_sorted[start : start + 256]
            # Padded to a power of two with ids no organisation has, so the compiled statements
            # (one per number of organisations, ``leaves._statement``) are few and reused.
            size = 1 << (len(chunk) - 1).bit_length()
            got = leaf_figures(chunk + [-1 - i for i in range(size - len(chunk))], [month])
            found.update({k: v for k, v in got.items() if k in keys})
    return found


def promote(candidates: Iterable[tuple[int, dt.date]]) -> int:
    """Give each of the cold (leaf, month) ``candidates`` that now holds more than K facts
    (:func:`is_hot`) its ``MonthlyFigures`` row; returns how many rows were created.

    The row must say what the folds will not add: the leaf-month's figures from its facts **minus**
    its pending deltas (those will be folded into it, the leaf-month being hot from then on). Both
    are read in one snapshot (PostgreSQL: REPEATABLE READ, taken after the SHARE ROW EXCLUSIVE lock
    that waits out the folds in flight — :func:`_lock_rows`; SQLite: the IMMEDIATE transaction),
    so a command committing meanwhile is in neither or in both; its later deltas go to the row.
    A first look without the lock spares it when no candidate is hot (the usual case)."""
    candidates = set(candidates)
    if not candidates:
        return 0
    hot = {key for key, counts in _figures_by_month(candidates).items() if is_hot(counts)}
    if not hot:
        return 0
    own_transaction = not connection.in_atomic_block
    with transaction.atomic():
        if own_transaction and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        _lock_rows("SHARE ROW EXCLUSIVE")
        hot -= hot_rows(hot)  # promoted meanwhile
        figures = {key: counts for key, counts in _figures_by_month(hot).items() if is_hot(counts)}
        if not figures:
            return 0
        pending: dict[tuple[int, dt.date], dict] = {}
        ids = sorted({k[0] for k in figures})
        months = sorted({k[1] for k in figures})
        for start in range(0, len(ids), 500):
            grouped = (
                PendingDelta.objects.filter(organisation_id__in=ids[start : start + 500], month__in=months)
                .values("organisation_id", "month")
                .annotate(**{n: Sum(n) for n in METRIC_NAMES})
                .order_by()
            )
            for row in grouped:
                pending[(row["organisation_id"], row["month"])] = row
        rows: dict[tuple[int, dt.date], dict[str, int]] = {}
        for key, counts in figures.items():
            waiting = pending.get(key, {})
            rows[key] = {n: int(counts.get(n, 0)) - int(waiting.get(n) or 0) for n in METRIC_NAMES}
        _upsert(rows)
        audit("indicators.promote", subject=MonthlyFigures, detail={"rows": len(rows)})
        return len(rows)


RECOUNT_BATCH = 2000


def recount_working_days(days: Iterable[dt.date]) -> dict[str, object]:
    """Record again, in the calendar command's transaction, every case whose stored working days
    from acceptance to decision (``decision_days``, ``decision_days_counted``) count one of
    ``days`` — the days whose working status the command changed — so the ledger, the deltas and
    through them the roll-up rows and the cold leaves' figures read from facts (which count on the
    calendar as it is now) agree again; then drop every kept dashboard answer and audit what was
    recounted (``indicators.calendar_recount``).

    A case counts a day ``d`` when it was accepted before ``d`` and decided on or after it (the
    acceptance day does not count, 民法典 §201), so only cases decided on or after the first
    changed day and accepted before the last are read, in primary-key batches; those whose
    contribution differs from the ledger are recomputed with their process instance locked (as a
    command holds it, so no command on the case interleaves) and recorded with :func:`record`. A
    change that only touches days after today (next year's notice in December) reads one empty
    batch. The other figures do not depend on the calendar (on-time figures compare with the stored
    due date of the case's stopped clock: docs/indicators.md)."""
    from sifa.applications.models import Application
    from sifa.core import pagecache
    from sifa.indicators.services import facts as fact_rows
    from sifa.organisations.signals import TREE_CACHE_NAMESPACE
    from sifa.workflow.models import ProcessInstance

    days = sorted(set(days))
    if not days:
        return {}
    first = dt.datetime.combine(days[0], dt.time.min, tzinfo=metrics.SHANGHAI)
    last = dt.datetime.combine(days[-1], dt.time.min, tzinfo=metrics.SHANGHAI)
    cases = Application.objects.filter(
        submitted_at__isnull=False, is_mock=False, decided_at__gte=first, accepted_at__lt=last
    ).order_by("pk")
    examined = recounted = 0
    months: set[dt.date] = set()
    after = None
    while True:
        page = cases if after is None else cases.filter(pk__gt=after)
        rows = list(page.values(*fact_rows.APPLICATION_FIELDS)[:RECOUNT_BATCH])
        if not rows:
            break
        after = rows[-1]["pk"]
        examined += len(rows)
        stale = _changed(fact_rows.application_facts_many(rows))
        if not stale:
            continue
        list(ProcessInstance.objects.select_for_update().filter(application_id__in=stale).order_by("pk"))
        locked = Application.objects.filter(pk__in=stale).order_by("pk")
        changed = _changed(
            fact_rows.application_facts_many(list(locked.values(*fact_rows.APPLICATION_FIELDS)))
        )
        for pk, (contribution, delta) in changed.items():
            record(FactKind.APPLICATION, pk, contribution)
            recounted += 1
            months.update(month for _organisation, month in delta)
    pagecache.bump(TREE_CACHE_NAMESPACE)
    detail = {
        "days": len(days),
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "cases_examined": examined,
        "cases_recounted": recounted,
        "months": [metrics.month_label(month) for month in sorted(months)],
    }
    audit("indicators.calendar_recount", subject=MonthlyFigures, detail=detail)
    return detail


def _changed(found: dict) -> dict:
    """The cases of ``found`` (facts by primary key) whose contribution is not what the ledger
    holds: {pk: (contribution, difference)}."""
    if not found:
        return {}
    keys = [str(pk) for pk in found]
    ledger = dict(
        Contribution.objects.filter(kind=FactKind.APPLICATION, fact_id__in=keys).values_list(
            "fact_id", "figures"
        )
    )
    out = {}
    for pk, facts_of in found.items():
        contribution = metrics.application_contribution(facts_of)
        delta = metrics.difference(contribution, metrics.decode(ledger.get(str(pk))))
        if delta:
            out[pk] = (contribution, delta)
    return out


def fold_all(limit: int = 20000) -> int:
    total = 0
    while folded := fold(limit):
        total += folded
    return total


def rebuild(
    month: dt.date | None = None, *, actor: object = None, set_based: bool | None = None
) -> dict[str, int]:
    """Recompute every contribution from the facts, then the roll-ups from the contributions.

    With ``month``, only that month's rows are rewritten (every fact is still read: its
    contribution may fall in several months). Idempotent; one transaction. A full rebuild on
    PostgreSQL is set-based SQL (``rebuild_sql``: the same tables); ``set_based=False`` takes the
    Python path there too (the tests compare the two).
    """
    from sifa.indicators.services.contributions import all_contributions

    if set_based is None:
        set_based = month is None and connection.vendor == "postgresql"
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Hold off commands and folds on these tables while the rebuild runs.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {PendingDelta._meta.db_table}, {Contribution._meta.db_table}, "
                    f"{MonthlyFigures._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"
                )
        if set_based and month is None:
            from sifa.indicators.services.rebuild_sql import rebuild_all

            Contribution.objects.all().delete()
            MonthlyFigures.objects.all().delete()
            PendingDelta.objects.all().delete()
            done = rebuild_all(hot_threshold())
            audit(
                "indicators.rebuild",
                actor=actor,
                subject=MonthlyFigures,
                detail={"month": "all", **done},
            )
            return done
        totals: dict[tuple[int, dt.date], Counter] = {}
        leaf_totals: dict[tuple[int, dt.date], Counter] = {}
        facts = 0
        ledger: list[tuple[str, str, dict]] = []
        month_parts: dict[tuple[str, str], dict] = {}
        suffix = f"|{month.isoformat()}" if month else ""
        if month is None:
            Contribution.objects.all().delete()
        parents = set(
            Organisation.objects.filter(parent__isnull=False)
            .order_by()
            .values_list("parent_id", flat=True)
            .distinct()
        )
        # Every organisation's path in one query (one query per organisation, before, was most of
        # the rebuild's time at 50 k cases: 18 k leaves).
        _PATHS.update(Organisation.objects.values_list("pk", "path"))
        # Summed per (organisation, month) first, then once per ancestor: the same sums.
        by_organisation: dict[tuple[int, dt.date], Counter] = {}
        for kind, fact_id, contribution in all_contributions():
            facts += 1
            encoded = metrics.encode(contribution)
            if month is not None:
                part = {k: v for k, v in encoded.items() if k.endswith(suffix)}
                if part:
                    month_parts[(kind, str(fact_id))] = part
            else:
                if encoded:
                    ledger.append((kind, str(fact_id), encoded))
                if len(ledger) >= 5000:
                    _write_ledger(ledger)
                    ledger = []
            for key, counts in contribution.items():
                if month is not None and key[1] != month:
                    continue
                found = by_organisation.get(key)
                if found is None:
                    by_organisation[key] = Counter(counts)
                else:
                    found.update(counts)
        if ledger:
            _write_ledger(ledger)
        for (organisation_id, at), counts in by_organisation.items():
            path = path_of(organisation_id)
            for ancestor in rolled_up(path, parents):
                totals.setdefault((ancestor, at), Counter()).update(counts)
            leaf = _leaf_of(path, parents)
            if leaf is not None:
                leaf_totals.setdefault((leaf, at), Counter()).update(counts)
        # A leaf's row only for its hot months (ADR 0010).
        totals.update({key: counts for key, counts in leaf_totals.items() if is_hot(counts)})
        rows = MonthlyFigures.objects.all()
        deltas = PendingDelta.objects.all()
        if month is not None:
            rows, deltas = rows.filter(month=month), deltas.filter(month=month)
            _rewrite_ledger_month(suffix, month_parts)
        rows.delete()
        deltas.delete()
        _insert_rows(totals)
        audit(
            "indicators.rebuild",
            actor=actor,
            subject=MonthlyFigures,
            detail={
                "month": metrics.month_label(month) if month else "all",
                "facts": facts,
                "rows": len(totals),
            },
        )
        return {"facts": facts, "rows": len(totals)}


def _write_ledger(rows: list[tuple[str, str, dict]]) -> None:
    """New ledger rows (kind, fact id, encoded figures): ``bulk_create``, or COPY on PostgreSQL
    (the same rows; ``bulk_create``'s one statement of 5,000 rows cost more than the rest)."""
    if connection.vendor != "postgresql":
        Contribution.objects.bulk_create(
            [Contribution(kind=kind, fact_id=fact_id, figures=figures) for kind, fact_id, figures in rows]
        )
        return
    table = Contribution._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} (kind, fact_id, figures) FROM STDIN") as copy:
            for kind, fact_id, figures in rows:
                copy.write_row((kind, fact_id, json.dumps(figures)))


def _insert_rows(totals: dict[tuple[int, dt.date], Counter]) -> None:
    """The rebuild's rows, where none of their keys has a row any more: what :func:`_upsert`
    inserts (revision 0, ``updated_at`` now), by COPY on PostgreSQL."""
    if connection.vendor != "postgresql" or not totals:
        _upsert(totals)
        return
    table = MonthlyFigures._meta.db_table
    columns = ["organisation_id", "month", "updated_at", "revision", *METRIC_NAMES]
    now = timezone.now()
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for organisation_id, month in sorted(totals):
                counts = totals[(organisation_id, month)]
                copy.write_row(
                    (organisation_id, month, now, 0, *(int(counts.get(n, 0)) for n in METRIC_NAMES))
                )


def _rewrite_ledger_month(suffix: str, parts: dict[tuple[str, str], dict]) -> None:
    """After a one-month rebuild the ledger must say what the rows now hold for that month."""
    for row in Contribution.objects.all().iterator():
        part = parts.pop((row.kind, row.fact_id), {})
        figures = {k: v for k, v in row.figures.items() if not k.endswith(suffix)}
        figures.update(part)
        if figures != row.figures:
            row.figures = figures
            row.save(update_fields=["figures"])
    Contribution.objects.bulk_create(
        [Contribution(kind=kind, fact_id=fact_id, figures=part) for (kind, fact_id), part in parts.items()]
    )


__all__ = [
    "FactKind",
    "ancestors",
    "fold",
    "fold_all",
    "forget_paths",
    "hot_rows",
    "hot_threshold",
    "is_hot",
    "parents_among",
    "path_of",
    "promote",
    "rebuild",
    "record",
    "recount_working_days",
    "rolled_up",
]
