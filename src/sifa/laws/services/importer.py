"""Importing statute files into the library (``sifa import-laws``; the built-in sample for ``sifa run``).

Re-runnable: a file is keyed by its path under the folder (``行政法/律师法(2017-09-01).md``) and
its SHA-256; an unchanged file is skipped, a changed one replaces the statute's headings and
articles in place (the statute keeps its id and address). Files that are not statutes (the
folder's ``README.md``, ``_index.md``) or cannot be read are reported with the reason. The whole
run is one transaction with its audit event, so a search never sees a half-built library.
Rows go in with ``bulk_create`` (a few hundred statutes at a time).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.db.models import Count, F

from sifa.audit.services import record
from sifa.core.segmentation import segment
from sifa.laws.models import Article, Effectiveness, Heading, LibraryVersion, Statute
from sifa.laws.parser import ParsedStatute, ParseError, parse
from sifa.laws.search import FTS_TABLE

NOT_STATUTES = {"README.md": "说明文件，不是法规正文", "_index.md": "目录索引文件，不是法规正文"}
BATCH = 200
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    articles: int = 0

    @property
    def statutes(self) -> int:
        return len(self.created) + len(self.updated)


def statute_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.is_file())


def _read(path: Path, root: Path) -> tuple[str, bytes]:
    return path.relative_to(root).as_posix(), path.read_bytes()


def import_directory(
    root: Path, *, progress: Callable[[int, int, str], None] | None = None, limit: int | None = None
) -> ImportResult:
    """Import every statute file under ``root`` (``limit``: only the first N files, for benchmarks)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"法律法规目录不存在：{root}")
    files = statute_files(root)[:limit] if limit else statute_files(root)
    result = ImportResult()
    known = dict(Statute.objects.values_list("source_path", "source_hash"))
    # slug → (file, digest): the same file name in two folders (职业病防治法 is in 经济法 and 社会法).
    slugs = {slug: (p, h) for slug, p, h in Statute.objects.values_list("slug", "source_path", "source_hash")}
    with transaction.atomic():
        batch: list[tuple[str, str, ParsedStatute]] = []
        for n, path in enumerate(files, 1):
            relative = path.relative_to(root).as_posix()
            if progress:
                progress(n, len(files), relative)
            if path.name in NOT_STATUTES:
                result.skipped.append((relative, NOT_STATUTES[path.name]))
                continue
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if known.get(relative) == digest:
                result.unchanged.append(relative)
                continue
            try:
                parsed = parse(data.decode("utf-8"), path.relative_to(root))
            except UnicodeDecodeError:
                result.skipped.append((relative, "不是 UTF-8 编码的文本"))
                continue
            except ParseError as exc:
                result.skipped.append((relative, str(exc)))
                continue
            holder = slugs.get(parsed.slug)
            if holder and holder[0] != relative:
                if holder[1] == digest:
                    result.skipped.append((relative, f"与 {holder[0]} 内容相同，不重复导入"))
                    continue
                parsed.slug = f"{parsed.category}-{parsed.slug}"
            slugs[parsed.slug] = (relative, digest)
            batch.append((relative, digest, parsed))
            if len(batch) >= BATCH:
                _store(batch, result)
                batch = []
        if batch:
            _store(batch, result)
        if result.statutes:
            _mark_amended()
            bump_library_version()
        record(
            "laws.import",
            subject=Statute,
            detail={
                "folder": root.name,
                "created": len(result.created),
                "updated": len(result.updated),
                "unchanged": len(result.unchanged),
                "skipped": len(result.skipped),
                "articles": result.articles,
            },
        )
    return result


def import_sample(progress: Callable[[int, int, str], None] | None = None) -> ImportResult:
    """The built-in sample (the statutes the catalogue cites), so /laws/ works on a fresh machine."""
    return import_directory(SAMPLE_DIR, progress=progress)


def _store(batch: list[tuple[str, str, ParsedStatute]], result: ImportResult) -> None:
    existing = {s.source_path: s for s in Statute.objects.filter(source_path__in=[b[0] for b in batch])}
    # A changed file: its old headings and articles go; the statute row is updated in place.
    stale = [s.pk for s in existing.values()]
    if stale:
        if connection.vendor == "sqlite":
            old = list(Article.objects.filter(statute_id__in=stale).values_list("pk", flat=True))
            _fts_delete(old)
        Article.objects.filter(statute_id__in=stale).delete()
        Heading.objects.filter(statute_id__in=stale).delete()
    fields = [
        "slug", "title", "short_title", "category", "version_date", "issuing_body", "adopted_on",
        "amended_on", "history", "effectiveness", "preamble", "source_hash", "article_count",
    ]  # fmt: skip
    new, changed = [], []
    for relative, digest, parsed in batch:
        values = {
            "slug": parsed.slug,
            "title": parsed.title[:300],
            "short_title": parsed.short_title[:200],
            "category": parsed.category[:100],
            "version_date": parsed.version_date,
            "issuing_body": parsed.issuing_body,
            "adopted_on": parsed.adopted_on,
            "amended_on": parsed.amended_on,
            "history": "\n".join(parsed.history),
            "effectiveness": parsed.effectiveness,
            "preamble": "\n".join(parsed.preamble),
            "source_hash": digest,
            "article_count": len(parsed.articles),
        }
        statute = existing.get(relative)
        if statute is None:
            new.append(Statute(source_path=relative, **values))
            result.created.append(relative)
        else:
            for name, value in values.items():
                setattr(statute, name, value)
            changed.append(statute)
            result.updated.append(relative)
    if new:
        Statute.objects.bulk_create(new)
        if any(s.pk is None for s in new):  # a backend that does not return ids
            ids = dict(
                Statute.objects.filter(source_path__in=[s.source_path for s in new]).values_list(
                    "source_path", "pk"
                )
            )
            for s in new:
                s.pk = ids[s.source_path]
    if changed:
        Statute.objects.bulk_update(changed, fields)
    by_path = {s.source_path: s for s in [*new, *changed]}

    headings: list[tuple[Heading, int]] = []
    for relative, _digest, parsed in batch:
        statute = by_path[relative]
        headings += [
            (Heading(statute=statute, level=h.level, title=h.title, position=h.position), statute.pk)
            for h in parsed.headings
        ]
    Heading.objects.bulk_create([h for h, _ in headings])
    heading_ids = {(pk, h.position): h.pk for h, pk in headings}
    if any(h.pk is None for h, _ in headings):  # pragma: no cover - SQLite ≥ 3.35 and PostgreSQL return ids
        heading_ids = {
            (s, p): pk
            for pk, s, p in Heading.objects.filter(statute__in=[s.pk for s in by_path.values()]).values_list(
                "pk", "statute_id", "position"
            )
        }

    articles: list[Article] = []
    for relative, _digest, parsed in batch:
        statute = by_path[relative]
        title_words = segment(f"{parsed.title} {parsed.short_title}")
        for a in parsed.articles:
            articles.append(
                Article(
                    statute=statute,
                    heading_id=heading_ids.get((statute.pk, a.heading)) if a.heading else None,
                    number=a.number,
                    suffix=a.suffix,
                    label=a.label,
                    text=a.text,
                    position=a.position,
                    search_text=segment(a.text),
                    title_words=title_words,
                )
            )
    Article.objects.bulk_create(articles, batch_size=2000)
    result.articles += len(articles)
    if connection.vendor == "sqlite":
        if any(a.pk is None for a in articles):  # pragma: no cover - SQLite ≥ 3.35 returns ids
            raise RuntimeError("SQLite did not return the new article ids (needs SQLite 3.35 or later)")
        _fts_insert((a.pk, a.title_words, a.search_text) for a in articles)


def _fts_delete(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(pk,) for pk in ids])  # noqa: S608


def _fts_insert(rows: Iterable[tuple[int, str, str]]) -> None:
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, title, body) VALUES (%s, %s, %s)", list(rows))  # noqa: S608


def _mark_amended() -> None:
    """An older version of an act whose later version is in the library is 已修订; the latest keeps
    what its source says (usually nothing: left blank)."""
    groups = Statute.objects.values("category", "short_title").annotate(n=Count("id")).filter(n__gt=1)
    for group in groups:
        versions = list(
            Statute.objects.filter(category=group["category"], short_title=group["short_title"])
            .exclude(version_date=None)
            .order_by("-version_date")
            .values_list("pk", flat=True)
        )
        if len(versions) > 1:
            Statute.objects.filter(pk__in=versions[1:], effectiveness="").update(
                effectiveness=Effectiveness.AMENDED
            )


def bump_library_version() -> int:
    """Raise the library's version (``LibraryVersion``) in the caller's transaction: every page
    rendered with links into the library under the old version is stale from its commit."""
    rows = LibraryVersion.objects.filter(pk=1).update(value=F("value") + 1)
    if not rows:
        LibraryVersion.objects.create(pk=1, value=1)
    return LibraryVersion.objects.values_list("value", flat=True).get(pk=1)
