"""Maintenance of the roll-ups: record a fact's change, fold the deltas, rebuild from facts.

* :func:`record` runs inside the command's transaction (through the receivers in
  ``sifa.indicators.receivers``): it compares the fact's contribution with what it last added
  (``Contribution``) and appends the difference as ``PendingDelta`` rows of the leaf organisation.
  It never touches a ``MonthlyFigures`` row, so two commands never wait on each other here.
* :func:`fold` (``sifa roll-up-indicators``, every minute) takes the oldest deltas — ``FOR UPDATE
  SKIP LOCKED`` on PostgreSQL, so two schedulers take disjoint sets — adds them to the rows of
  every ancestor (and of the organisation itself unless it is a leaf: see :func:`rolled_up`) with one ``INSERT … ON CONFLICT DO UPDATE`` and deletes them, in one
  transaction.
* :func:`rebuild` (``sifa rebuild-indicators``) recomputes every contribution from the facts and
  the rows from the contributions; it is idempotent and gives what the incremental path gives.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from sifa.audit.services import record as audit
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
        if row is None:
            Contribution.objects.create(kind=kind, fact_id=fact_id, figures=encoded)
        else:
            row.figures = encoded
            row.save(update_fields=["figures"])
        rows = _delta_rows(delta)
        PendingDelta.objects.bulk_create(rows)
        return len(rows)


def _upsert(totals: dict[tuple[int, dt.date], Counter]) -> None:
    """Add ``totals`` to the rows (created when missing), in key order (no deadlock between folds)."""
    if not totals:
        return
    table = MonthlyFigures._meta.db_table
    columns = ["organisation_id", "month", "updated_at", *METRIC_NAMES]
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
                params += [organisation_id, month, now, *(int(counts.get(n, 0)) for n in METRIC_NAMES)]
            # Table and column names come from the model, never from input; the values are parameters.
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {placeholders} "  # noqa: S608
                f"ON CONFLICT (organisation_id, month) DO UPDATE SET updated_at = excluded.updated_at, {sets}"
            )
            cursor.execute(sql, params)


def _expand(rows: list[dict]) -> dict[tuple[int, dt.date], Counter]:
    totals: dict[tuple[int, dt.date], Counter] = {}
    parents = parents_among(ancestors(row["path"])[-1] for row in rows if row["path"].strip("/"))
    for row in rows:
        counts = Counter({n: row[n] for n in METRIC_NAMES if row[n]})
        if not counts:
            continue
        for organisation_id in rolled_up(row["path"], parents):
            totals.setdefault((organisation_id, row["month"]), Counter()).update(counts)
    return totals


def fold(limit: int = 20000) -> int:
    """Fold up to ``limit`` of the oldest deltas into the roll-ups; returns how many were folded."""
    with transaction.atomic():
        qs = PendingDelta.objects.order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs.values("id", "path", "month", *METRIC_NAMES)[:limit])
        if not rows:
            return 0
        _upsert(_expand(rows))
        ids = [r["id"] for r in rows]
        for start in range(0, len(ids), 5000):
            PendingDelta.objects.filter(id__in=ids[start : start + 5000]).delete()
        audit("indicators.fold", subject=MonthlyFigures, detail={"deltas": len(rows)})
        return len(rows)


def fold_all(limit: int = 20000) -> int:
    total = 0
    while folded := fold(limit):
        total += folded
    return total


def rebuild(month: dt.date | None = None, *, actor: object = None) -> dict[str, int]:
    """Recompute every contribution from the facts, then the roll-ups from the contributions.

    With ``month``, only that month's rows are rewritten (every fact is still read: its
    contribution may fall in several months). Idempotent; one transaction.
    """
    from sifa.indicators.services.contributions import all_contributions

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Hold off commands and folds on these tables while the rebuild runs.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {PendingDelta._meta.db_table}, {Contribution._meta.db_table}, "
                    f"{MonthlyFigures._meta.db_table} IN SHARE ROW EXCLUSIVE MODE"
                )
        totals: dict[tuple[int, dt.date], Counter] = {}
        facts = 0
        ledger: list[Contribution] = []
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
        for kind, fact_id, contribution in all_contributions():
            facts += 1
            encoded = metrics.encode(contribution)
            if month is not None:
                part = {k: v for k, v in encoded.items() if k.endswith(suffix)}
                if part:
                    month_parts[(kind, str(fact_id))] = part
            else:
                if encoded:
                    ledger.append(Contribution(kind=kind, fact_id=str(fact_id), figures=encoded))
                if len(ledger) >= 5000:
                    Contribution.objects.bulk_create(ledger)
                    ledger = []
            for (organisation_id, at), counts in contribution.items():
                if month is not None and at != month:
                    continue
                for ancestor in rolled_up(path_of(organisation_id), parents):
                    totals.setdefault((ancestor, at), Counter()).update(counts)
        if ledger:
            Contribution.objects.bulk_create(ledger)
        rows = MonthlyFigures.objects.all()
        deltas = PendingDelta.objects.all()
        if month is not None:
            rows, deltas = rows.filter(month=month), deltas.filter(month=month)
            _rewrite_ledger_month(suffix, month_parts)
        rows.delete()
        deltas.delete()
        _upsert(totals)
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
    "parents_among",
    "path_of",
    "rebuild",
    "record",
    "rolled_up",
]
