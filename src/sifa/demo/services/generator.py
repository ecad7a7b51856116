"""Bench cases: a deterministic generator of 办件 over the real organisation tree and catalogue.

``sifa generate-cases --cases N [--seed S] [--months M] [--end YYYY-MM] [--batch B]`` calls
:func:`generate`; ``sifa generate-cases --purge`` calls :func:`purge` (docs/demo.md, "Bench cases").

What it writes, for every case, from one ``random.Random(seed)`` read in a fixed order (so the
same seed, case count, period and reference data give the same rows, identifiers included):

* an ``Application`` for one active implementation entry (实施清单事项) of the catalogue,
  accepted by that entry's 受理机构 — 司法所, county, city, provincial bureaux and the ministry,
  weighted towards the county and township levels — with ``scope_path`` = that organisation's
  path, a channel (网上/移动端/窗口/代办), and its timestamps (draft, submitted = received,
  accepted, decided, closed) on working days of the real working-day calendar
  (``sifa.deadlines``; plain Monday–Friday for a year the calendar does not hold);
* its public timeline (the events and titles the real services write: submitted,
  pre_review_passed, correction_requested / corrected, accepted / refused / withdrawn, reviewed,
  decided, delivered);
* its materials with a provenance mix (uploads and window scans, or once-only sources: 电子证照库,
  historical cases, 部门共享数据, 告知承诺); an uploaded material has a digest and a size but no
  stored file (bench data);
* for some, a 一次性告知书 (``CorrectionNotice``), answered or not;
* the legal and the promised clock (``deadlines.ClockState``) the workflow starts for an accepted
  case (``sifa.workflow.services.clocks.start_case_clocks``): the limits of the pinned catalogue
  version, counted from acceptance — or from receipt where the version says so (法律援助法 §43),
  also for a case refused after receipt — stopped on the day of the decision (or of the refusal),
  with the due date, working days left and warning level computed by ``sifa.deadlines.clocks`` on
  the working-day calendar as of the last day of the period (no due date in a year the calendar
  does not hold, as ``sifa refresh-deadlines`` would leave it). No stage sub-clock and no §32
  notice-window clock is written (the 绩效考核 figures read the legal and promised clocks only);
* for some delivered or refused cases, a ``Rating`` (mostly satisfied, a few 差评), and for every
  差评 its ``Rectification`` (closed on time, closed late or still open) at the case's organisation.

The lifecycle of each case is planned in full and then cut at the end of the period (midnight,
Asia/Shanghai, after the last month): what had not happened by then has not happened, so the
cases submitted late in the period are still open — some of them overdue — exactly as a real
database looked at that moment. Decision delays are drawn against the entry's promised and legal
time limits: most within the promised limit, some between the promised and the legal limit, a few
beyond the legal limit, and a few cases stuck in review.

Generated cases are **bench data**, not mock applications (``is_mock`` stays false: they count
in every statistic) and not demo data (``make run`` never loads them). They are recognised by
their 办件编号: ``SF`` + region (6) + date (8) + ``G`` + a 9-digit run sequence (26 characters;
a real number has only digits after ``SF``); their 一次性告知书 numbers carry the same ``G``.

Writes: one transaction for the whole run and **one** audit event (``demo.cases.generate``, with
the seed, the period and the counts) — not one per row; the rows are bulk-inserted (PostgreSQL
``COPY``, SQLite ``executemany``), not saved one by one, and no notification, work item or
process instance is made (staff cannot act on a generated open case in the workbench).

This module loads the entries and writes the rows; the shares, the period and its working days and
the :class:`~sifa.demo.services.generator_plan.Planner` that draws each case are in ``generator_plan``.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from queue import Empty
from typing import Any

from django.db import IntegrityError, connection, models, transaction

from sifa.applications.models import (
    Application,
    ApplicationMaterial,
    CorrectionNotice,
    TimelineEntry,
)
from sifa.applications.services.numbers import MINISTRY_REGION
from sifa.audit.services import record as audit_record
from sifa.catalogue.models import CatalogueItem, ImplementationEntry, ItemVersion, Material
from sifa.catalogue.models.codes import EntryStatus, ItemType, LimitStart
from sifa.deadlines.models import ClockPurpose, ClockState
from sifa.demo.services.generator_plan import (
    MATERIALS_PER_CASE,
    Entry,
    GeneratorError,
    Planner,
    _in_working_days,
    period,
)
from sifa.evaluation.models import Rating, Rectification, SubjectKind
from sifa.organisations.models import Organisation
from sifa.workflow.caseclocks import time_limit

GENERATED_NUMBER = re.compile(r"^SF\d{14}G\d{9}$")
"""A generated 办件编号: ``SF`` + region (6) + date (8) + ``G`` + the run's sequence (9)."""
NUMBER_LIKE = "SF" + "_" * 14 + "G%"
"""SQL LIKE pattern of a generated 办件编号 (and of its rating's number)."""
NOTICE_LIKE = "BZGZ" + "_" * 10 + "G%"
MAX_CASES = 50_000_000
MAX_MONTHS = 60


@dataclass
class Summary:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    timeline: int = 0
    materials: int = 0
    notices: int = 0
    clocks: int = 0
    ratings: int = 0
    rectifications: int = 0
    seconds: float = 0.0
    start: dt.date | None = None
    end: dt.date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "statuses": dict(sorted(self.statuses.items())),
            "timeline": self.timeline,
            "materials": self.materials,
            "notices": self.notices,
            "clocks": self.clocks,
            "ratings": self.ratings,
            "rectifications": self.rectifications,
            "period": [self.start.isoformat(), (self.end - dt.timedelta(days=1)).isoformat()]
            if self.start and self.end
            else None,
        }


def load_entries() -> list[Entry]:
    """Every active implementation entry with its limits (in working days) and materials, in
    implementation-code order (stable across databases loaded from the same catalogue)."""
    rows = list(
        ImplementationEntry.objects.filter(status=EntryStatus.ACTIVE)
        .order_by("implementation_code")
        .values_list(
            "pk",
            "version_id",
            "item_id",
            "accepting_organisation_id",
            "deciding_organisation_id",
            "legal_limit_value",
            "legal_limit_unit",
            "promised_limit_value",
            "promised_limit_unit",
        )
    )
    versions = {
        pk: rest
        for pk, *rest in ItemVersion.objects.filter(pk__in={row[1] for row in rows}).values_list(
            "pk",
            "legal_limit_value",
            "legal_limit_unit",
            "promised_limit_value",
            "promised_limit_unit",
            "limit_start",
        )
    }
    items = {
        pk: (code, kind)
        for pk, code, kind in CatalogueItem.objects.filter(pk__in={row[2] for row in rows}).values_list(
            "pk", "basic_code", "item_type"
        )
    }
    organisations = {
        pk: (name, path, level, (code[:6] if code else MINISTRY_REGION).ljust(6, "0"))
        for pk, name, path, level, code in Organisation.objects.filter(
            pk__in={row[3] for row in rows}
        ).values_list("pk", "name", "path", "level", "region__code")
    }
    materials: dict[int, list[int]] = {}
    for version_id, material_id in (
        Material.objects.filter(version_id__in=versions)
        .order_by("version_id", "order", "id")
        .values_list("version_id", "id")
    ):
        materials.setdefault(version_id, []).append(material_id)
    entries = []
    for pk, version_id, item_id, accepting, deciding, legal_v, legal_u, promised_v, promised_u in rows:
        v_legal, v_legal_u, v_promised, v_promised_u, limit_start = versions[version_id]
        clock_limits = tuple(
            (purpose, limit)
            for purpose, limit in (
                (ClockPurpose.LEGAL, time_limit(v_legal, v_legal_u)),
                (ClockPurpose.PROMISED, time_limit(v_promised, v_promised_u)),
            )
            if limit is not None
        )
        legal = _in_working_days(legal_v if legal_v is not None else v_legal, legal_u or v_legal_u)
        promised = _in_working_days(
            promised_v if promised_v is not None else v_promised, promised_u or v_promised_u
        )
        if legal is None:
            legal = promised if promised is not None else 20
        if promised is None or promised > legal:
            promised = legal
        name, path, level, region = organisations[accepting]
        code, kind = items[item_id]
        entries.append(
            Entry(
                id=pk,
                version_id=version_id,
                item_code=code,
                licensing=kind == ItemType.LICENSING,
                organisation_id=accepting,
                organisation_name=name,
                path=path,
                level=level,
                region=region,
                deciding_id=deciding,
                legal=legal,
                promised=promised,
                materials=tuple(materials.get(version_id, ())[:MATERIALS_PER_CASE]),
                clock_limits=clock_limits,
                from_receipt=limit_start == LimitStart.RECEIPT,
            )
        )
    return entries


# --- writing ------------------------------------------------------------------------------------


class Table:
    """Bulk insert of plain rows (dicts by attribute name) into one model's table, bypassing
    ``save()``: COPY on PostgreSQL, ``executemany`` elsewhere. Missing fields take the model
    default; an auto-increment primary key is left to the database."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (
                f.primary_key
                and isinstance(f, models.AutoField | models.BigAutoField | models.SmallAutoField)
            )
        ]
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        postgres = connection.vendor == "postgresql"
        self.postgres = postgres

        def converter(f: models.Field) -> Callable[[Any], Any]:
            if isinstance(f, models.JSONField):
                if postgres:
                    return lambda v: "\\N" if v is None else _copy_text(json.dumps(v, ensure_ascii=False))
                return lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
            if postgres:
                return _copy_text
            if isinstance(
                f, models.CharField | models.IntegerField | models.BooleanField | models.ForeignKey
            ):
                return lambda v: v
            return lambda v, f=f: f.get_db_prep_save(v, connection)

        self.converters = [converter(f) for f in fields]
        self.plan = list(
            zip(self.attnames, [self.defaults[a] for a in self.attnames], self.converters, strict=True)
        )

    def values(self, row: dict[str, Any]) -> list:
        get = row.get
        return [convert(get(name, default)) for name, default, convert in self.plan]

    def prepare(self, rows: list[dict[str, Any]]) -> tuple[Any, int]:
        """The rows ready to load (no database needed): COPY text on PostgreSQL — built here,
        psycopg's per-value dumpers cost more than everything else — or parameter lists."""
        if self.postgres:
            return "".join("\t".join(self.values(row)) + "\n" for row in rows), len(rows)
        return [self.values(row) for row in rows], len(rows)

    def load(self, prepared: tuple[Any, int]) -> int:
        payload, count = prepared
        if not count:
            return 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    copy.write(payload)
            else:
                marks = ", ".join(["%s"] * len(self.attnames))
                sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608 (model metadata)
                cursor.executemany(sql, payload)
        return count


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    kind = type(value)
    if kind is str:
        return value.translate(_COPY_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()
    return str(value)


def generated_cases() -> models.QuerySet:
    """The generated applications (by their number's ``G`` segment)."""
    return Application.objects.extra(where=["number LIKE %s"], params=[NUMBER_LIKE])


def check_arguments(cases: int, months: int, batch: int, seed: int) -> None:
    if not 1 <= cases <= MAX_CASES:
        raise GeneratorError("demo.generate.bad_cases", f"办件数量应为 1 到 {MAX_CASES:,} 之间的整数")
    if not 1 <= months <= MAX_MONTHS:
        raise GeneratorError("demo.generate.bad_months", f"月份数应为 1 到 {MAX_MONTHS} 之间的整数")
    if not 1 <= batch <= 100_000:
        raise GeneratorError("demo.generate.bad_batch", "每批数量应为 1 到 100000 之间的整数")
    if not 0 <= seed < 2**63:
        raise GeneratorError("demo.generate.bad_seed", "随机种子应为非负整数")


def generate(
    *,
    cases: int,
    seed: int = 1,
    months: int = 12,
    end: str | None = None,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Generate ``cases`` bench cases (see the module doc), in one transaction with one audit
    event. Refused when generated cases exist already (purge them first) or when there is no
    catalogue to generate from."""
    check_arguments(cases, months, batch, seed)
    start, stop = period(months, end)
    started = time.perf_counter()
    summary = Summary(start=start, end=stop)
    with transaction.atomic():
        if generated_cases().exists():
            raise GeneratorError(
                "demo.generate.exists", "数据库中已有生成的办件，请先运行 sifa generate-cases --purge 清除"
            )
        entries = load_entries()
        if not entries:
            raise GeneratorError(
                "demo.generate.no_catalogue",
                "没有可用的实施清单事项：请先运行 sifa build-organisations 和 sifa load-catalogue",
            )
        planner = Planner(seed, start, stop, entries)
        tables = {model: Table(model) for model in TABLES}
        indexes = _bulk_load_settings(entries, cases)
        if connection.vendor == "postgresql" and cases > batch:
            chunks = _pipelined(planner, tables, cases, batch)
        else:
            chunks = _chunks(planner, tables, cases, batch)
        for chunk in chunks:
            _store(chunk, tables, summary)
            if progress is not None:
                progress(summary.cases, cases)
        _restore(indexes)
        summary.seconds = time.perf_counter() - started
        root = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
        audit_record(
            "demo.cases.generate",
            organisation=root,
            subject=Application,
            scope_path=root.path if root else "",
            detail={"seed": seed, "months": months, "end": end or "", **summary.as_dict()},
        )
    analyze()
    return summary


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics of the tables just filled: after a bulk load the
    autovacuum daemon analyses them only later, and until then the planner takes 1 M-row tables for
    small ones (W8: a leaf's ratings read by a sequential scan, 93 ms instead of 5 ms)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (*TABLES, Rating, Rectification):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


TABLES = (Application, TimelineEntry, ApplicationMaterial, CorrectionNotice, ClockState)

INDEX_REBUILD_MIN = 50_000
"""From this many cases — and at least as many as the applications already stored — PostgreSQL's
secondary indexes of the filled tables are dropped for the load and built again after it (one
sort per index instead of one index insertion per row: issue 12, docs/performance.md)."""


def _bulk_load_settings(entries: list[Entry], cases: int) -> list[str]:
    """PostgreSQL, for this transaction: the row-by-row foreign-key checks off and, for a large
    load, the secondary indexes dropped; returns the statements that build them again.

    Foreign keys. Every reference a generated row makes is to a row of this transaction (its case,
    its rating) or to an entry, its version, its materials or an organisation read from the database
    above; those are locked here ``FOR KEY SHARE`` — the lock each row's deferred check would take
    at commit (hundreds of millions of queued trigger events at 10 M cases) — and the checks are
    off (``session_replication_role = replica``, superuser only; without it they stay on).
    Indexes: those that back no constraint (primary keys, ``UNIQUE`` constraints and the foreign
    keys' targets stay and are checked row by row), dropped inside this transaction (so the tables
    are locked until it ends), built again by :func:`_restore` with their own definitions."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser')")
        superuser = cursor.fetchone()[0] == "on"
        if superuser:
            references = (
                (Organisation, {e.organisation_id for e in entries} | {e.deciding_id for e in entries}),
                (ImplementationEntry, {e.id for e in entries}),
                (ItemVersion, {e.version_id for e in entries}),
                (Material, {m for e in entries for m in e.materials}),
            )
            for model, ids in references:
                table = connection.ops.quote_name(model._meta.db_table)
                locked = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE id = ANY(%s) FOR KEY SHARE) s"  # noqa: S608
                cursor.execute(locked, [sorted(ids)])
                if cursor.fetchone()[0] != len(ids):
                    raise GeneratorError("demo.generate.failed", "生成办件失败：实施清单引用的数据已变化")
            cursor.execute("SET LOCAL session_replication_role = replica")
        if cases < INDEX_REBUILD_MIN or cases < Application.objects.count():
            return []
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x"
            " JOIN pg_class c ON c.oid = x.indexrelid"
            " WHERE x.indrelid = ANY(%s::regclass[])"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)"
            " ORDER BY c.relname",
            [[model._meta.db_table for model in (*TABLES, Rating, Rectification)]],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _name, definition in found]


def _restore(indexes: list[str]) -> None:
    """Build the dropped indexes again (and the foreign-key checks back on for the rest of the
    transaction: the audit event)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        if indexes:
            # PostgreSQL builds no index on a table with deferred checks pending (those of work
            # earlier in the same transaction, e.g. a purge in a test): they run now, not at commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for definition in indexes:
            cursor.execute(definition)


def _prepare(planned: list[dict[str, Any]], tables: dict[type, Table]) -> dict[str, Any]:
    """One batch ready to store; needs no database (it runs in the planning process)."""
    return {
        "cases": len(planned),
        "statuses": Counter(p["application"]["status"] for p in planned),
        Application: tables[Application].prepare([p["application"] for p in planned]),
        TimelineEntry: tables[TimelineEntry].prepare([row for p in planned for row in p["timeline"]]),
        ApplicationMaterial: tables[ApplicationMaterial].prepare(
            [row for p in planned for row in p["materials"]]
        ),
        CorrectionNotice: tables[CorrectionNotice].prepare([p["notice"] for p in planned if p["notice"]]),
        ClockState: tables[ClockState].prepare([row for p in planned for row in p["clocks"]]),
        "rated": [(p["rating"], p["rectification"]) for p in planned if p["rating"]],
    }


def _chunks(planner: Planner, tables: dict[type, Table], cases: int, batch: int) -> Iterable[dict[str, Any]]:
    done = 0
    while done < cases:
        size = min(batch, cases - done)
        yield _prepare([planner.plan(done + i + 1) for i in range(size)], tables)
        done += size


def _produce(planner: Planner, tables: dict[type, Table], cases: int, batch: int, queue: Any) -> None:
    """The planning process: plans and formats batches in order (one random stream, so the
    result is the sequential one) while the parent loads the previous batch."""
    try:
        for chunk in _chunks(planner, tables, cases, batch):
            queue.put(chunk)
        queue.put(None)
    except BaseException as failure:  # reported to the parent, which raises it
        queue.put(("failed", repr(failure)[:300]))


def _pipelined(
    planner: Planner, tables: dict[type, Table], cases: int, batch: int
) -> Iterable[dict[str, Any]]:
    """Planning in a forked process, loading here: on two cores, Python's planning and the
    database's COPY overlap instead of taking turns. The child never touches the database
    connection it inherits (it plans from memory and exits without running finalizers)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    producer = context.Process(target=_produce, args=(planner, tables, cases, batch, queue), daemon=True)
    producer.start()
    try:
        while True:
            try:
                chunk = queue.get(timeout=5)
            except Empty:
                if not producer.is_alive():
                    raise GeneratorError("demo.generate.failed", "生成办件的进程意外退出") from None
                continue
            if chunk is None:
                return
            if isinstance(chunk, tuple):
                raise GeneratorError("demo.generate.failed", f"生成办件失败：{chunk[1]}")
            yield chunk
    finally:
        if producer.is_alive():
            producer.terminate()
        producer.join()


def _store(chunk: dict[str, Any], tables: dict[type, Table], summary: Summary) -> None:
    tables[Application].load(chunk[Application])
    summary.cases += chunk["cases"]
    summary.statuses.update(chunk["statuses"])
    summary.timeline += tables[TimelineEntry].load(chunk[TimelineEntry])
    summary.materials += tables[ApplicationMaterial].load(chunk[ApplicationMaterial])
    summary.notices += tables[CorrectionNotice].load(chunk[CorrectionNotice])
    summary.clocks += tables[ClockState].load(chunk[ClockState])
    rated = chunk["rated"]
    if not rated:
        return
    ratings = Rating.objects.bulk_create([Rating(**rating) for rating, _ in rated])
    summary.ratings += len(ratings)
    rectifications = [
        Rectification(rating_id=rating.pk, **rectification)
        for (_, rectification), rating in zip(rated, ratings, strict=True)
        if rectification
    ]
    Rectification.objects.bulk_create(rectifications)
    summary.rectifications += len(rectifications)


def purge() -> int:
    """Delete every generated case with its clocks, timeline, materials, notices, ratings and
    rectifications, in one transaction with one audit event; returns the number of cases.
    A generated case something else refers to (a work item, a complaint …) stops the purge."""
    # Table names come from the models' metadata; the only value is the LIKE pattern, a parameter.
    ratings = f"SELECT id FROM {Rating._meta.db_table} WHERE subject_kind = %s AND number LIKE %s"  # noqa: S608
    cases = f"SELECT id FROM {Application._meta.db_table} WHERE number LIKE %s"  # noqa: S608
    rated = [SubjectKind.APPLICATION, NUMBER_LIKE]
    # A clock names its case by str(uuid) (with hyphens); SQLite stores a UUID as 32 hex digits.
    if connection.vendor == "postgresql":
        subject = "CAST(id AS text)"
    else:
        subject = "substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' || substr(id, 13, 4) || '-' || substr(id, 17, 4) || '-' || substr(id, 21)"
    subjects = f"SELECT {subject} FROM {Application._meta.db_table} WHERE number LIKE %s"  # noqa: S608
    statements = [
        (ClockState, f"subject_type = %s AND subject_id IN ({subjects})", ["application", NUMBER_LIKE]),
        (Rectification, f"rating_id IN ({ratings})", rated),
        (Rating, "subject_kind = %s AND number LIKE %s", rated),
        *[
            (model, f"application_id IN ({cases})", [NUMBER_LIKE])
            for model in (TimelineEntry, ApplicationMaterial, CorrectionNotice)
        ],
        (Application, "number LIKE %s", [NUMBER_LIKE]),
    ]
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                for model, where, params in statements:
                    cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {where}", params)  # noqa: S608
                    counts[model._meta.label] = cursor.rowcount
            root = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
            audit_record(
                "demo.cases.purge",
                organisation=root,
                subject=Application,
                scope_path=root.path if root else "",
                detail=counts,
            )
    except IntegrityError:
        raise GeneratorError(
            "demo.generate.referenced", "有生成的办件已被其他业务数据引用（如办理流程、投诉），无法清除"
        ) from None
    return counts.get(Application._meta.label, 0)
