"""The database store's near hits (``sifa.core.pagecache.stores.NearHits``): a public page's hit read
from the database is answered again from the process for ``NEAR_MS`` without a statement, never
after; a publish in another process is seen once that moment is over, the process's own at once;
the commit of a public namespace's bump waits ``NEAR_MS`` before the publisher's answer — so, across
processes, no hit begun after a publisher's answer is of an older generation. On SQLite and
PostgreSQL (docs/performance.md, "session 6: the database store's hits")."""

from __future__ import annotations

import bisect
import multiprocessing
import time

import pytest
from django.db import connection, connections, transaction

from sifa.core import pagecache
from sifa.core.limits.stores import now_ms
from sifa.core.pagecache import stores

# Two tests flush the database after them (transaction=True): 13–42 s each on a loaded PostgreSQL.
pytestmark = pytest.mark.slow(seconds=30)

NAMESPACE = "catalogue"  # the catalogue's public namespace (sifa.catalogue.services.pages)


@pytest.fixture
def database_store(settings):
    from sifa.catalogue.services import pages

    assert pages.PAGE_CACHE == NAMESPACE and NAMESPACE in pagecache._PUBLIC
    settings.CACHE_URL = ""
    store = pagecache.store()
    assert store.name == "database"
    store._near.clear()
    yield store
    store._near.clear()


def _increment_behind_the_stores_back(namespace: str) -> None:
    """Another process's publish: the generation row increased without this process's store."""
    with connection.cursor() as cursor:
        cursor.execute(stores._BUMP, [stores.generation_key(namespace), b"", stores.FOREVER_MS])


@pytest.mark.django_db(transaction=True)
def test_a_near_hit_is_answered_from_the_process_for_its_moment_only(
    database_store, monkeypatch, django_assert_num_queries
):
    """… and only a hit read outside any transaction is kept."""
    store = database_store
    monkeypatch.setattr(stores, "NEAR_MS", 1000)  # long enough for a loaded machine
    store.save(NAMESPACE, "page", 0, b"the page", 60_000)
    with django_assert_num_queries(1):
        assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (0, b"the page")
        assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (0, b"the page")
    with django_assert_num_queries(1):  # not near (the dashboard's kept answers): always asked
        assert store.lookup(NAMESPACE, "page", now_ms()) == (0, b"the page")
    with django_assert_num_queries(2):  # a miss is never kept
        assert store.lookup(NAMESPACE, "none", now_ms(), near=True) == (0, None)
        assert store.lookup(NAMESPACE, "none", now_ms(), near=True) == (0, None)
    _increment_behind_the_stores_back(NAMESPACE)
    started = time.monotonic()
    while store.lookup(NAMESPACE, "page", now_ms(), near=True) == (0, b"the page"):
        assert time.monotonic() - started < 5
    assert time.monotonic() - started >= 0.5  # answered from the process until its moment was over
    assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (1, None)
    store.save(NAMESPACE, "page", 1, b"the new page", 60_000)
    assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (1, b"the new page")
    store.bump(NAMESPACE)  # this process's publish: at once
    assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (2, None)
    store.save(NAMESPACE, "page", 2, b"newest", 60_000)
    assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (2, b"newest")
    store.clear()  # an operator starting afresh: the kept hits too
    assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (0, None)
    # Inside a transaction the statement sees the transaction's own bump and entries, which a
    # rollback undoes: such a hit is answered but never kept for other requests.
    store.save(NAMESPACE, "page", 0, b"the page", 60_000)
    with pytest.raises(RuntimeError), transaction.atomic():
        pagecache.bump(NAMESPACE)
        store.save(NAMESPACE, "page", 1, b"never committed", 60_000)
        assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (1, b"never committed")
        raise RuntimeError("rolled back")
    with django_assert_num_queries(1):
        assert store.lookup(NAMESPACE, "page", now_ms(), near=True) == (0, b"the page")


def test_a_publish_on_the_database_store_waits_for_the_near_hits(
    db, database_store, django_capture_on_commit_callbacks, monkeypatch
):
    """The commit of a public namespace's bump forgets this process's kept hits again and waits
    ``NEAR_MS``, registered once per transaction (again after a rolled-back savepoint that held
    it); a namespace that is not public registers nothing (its lookups are never near)."""
    store = database_store
    monkeypatch.setattr(stores, "NEAR_MS", 300)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            pagecache.bump(NAMESPACE)
            raise RuntimeError("rolled back")
        pagecache.bump(NAMESPACE)
        pagecache.bump(NAMESPACE)
        pagecache.bump("not-public")
    assert len(callbacks) == 1
    store._near.keep(NAMESPACE, "page", 7, time.monotonic(), b"kept by another thread")
    started = time.monotonic()
    callbacks[0]()
    assert time.monotonic() - started >= stores.NEAR_MS / 1000
    assert store._near.get(NAMESPACE, "page") is None


def _reader(key: str, ready, stop, found) -> None:
    """A web process reading one public page with near lookups, storing a miss as the middleware
    does, until ``stop`` is set, then once more; it reports (monotonic time before each lookup, the
    generation it answered; -1 for an entry of another generation, never to be served)."""
    store = pagecache.store()
    seen = []
    stopped = False
    while not stopped:
        stopped = stop.is_set()  # the lookup after this one begins after the last publish's answer
        begun = time.monotonic()
        generation, payload = store.lookup(NAMESPACE, key, now_ms(), near=True)
        if payload is None:
            store.save(NAMESPACE, key, generation, b"made at %d" % generation, 60_000)
        elif payload != b"made at %d" % generation:
            seen.append((begun, -1))
        seen.append((begun, generation))
        if len(seen) == 1:
            ready.release()
    connections.close_all()
    found.put(seen)


def _publish_while_reading(publishes: int = 12, wait_ms: int | None = None):
    """Two reader processes make near lookups of one page in a loop while this process publishes
    (``pagecache.bump`` in a transaction) ``publishes`` times, 30 ms apart. ``wait_ms``: the
    publisher's wait after the commit instead of ``NEAR_MS`` (the readers keep their hits for
    ``NEAR_MS`` all the same). Returns the readers' hits (one list per reader), the publishes
    (the publisher's answer, the generation it made) and the hits begun after a publisher's answer
    that were of an older generation than that publish's."""
    key = "two-process-page"
    connections.close_all()  # the readers open their own connections
    context = multiprocessing.get_context("fork")
    ready, stop, found = context.Semaphore(0), context.Event(), context.Queue()
    readers = [context.Process(target=_reader, args=(key, ready, stop, found)) for _ in range(2)]
    for reader in readers:
        reader.start()
    near_ms = stores.NEAR_MS
    if wait_ms is not None:
        stores.NEAR_MS = wait_ms  # this process's wait only: the readers were forked with NEAR_MS
    try:
        answered: list[tuple[float, int]] = []
        for _ in readers:
            assert ready.acquire(timeout=120), "a reader never read"
        for _ in range(publishes):
            with transaction.atomic():
                pagecache.bump(NAMESPACE)
            with connection.cursor() as cursor:
                cursor.execute(
                    'SELECT generation FROM core_pagecacheentry WHERE "key" = %s',
                    [stores.generation_key(NAMESPACE)],
                )
                generation = cursor.fetchone()[0]
            answered.append((time.monotonic(), generation))
            time.sleep(0.03)
        stop.set()
        seen = [found.get(timeout=120) for _ in readers]
    finally:
        stores.NEAR_MS = near_ms
        stop.set()
        for reader in readers:
            reader.join(timeout=120)
    assert [reader.exitcode for reader in readers] == [0, 0]
    times = [published for published, _ in answered]  # in order: each publish after the one before
    stale = []
    for begun, generation in (hit for reads in seen for hit in reads):
        before = bisect.bisect_left(times, begun)  # the publishes answered before this lookup began
        if generation < 0 or (before and generation < answered[before - 1][1]):
            stale.append((begun, generation, answered[before - 1] if before else None))
    return seen, answered, stale


@pytest.mark.django_db(transaction=True)
def test_no_process_answers_the_old_generation_after_the_publishers_answer(database_store):
    """Across processes: no hit begun after a publisher's answer is of a generation older than
    that publish's (with the wait off, the same run finds such hits: docs/performance.md), and each
    reader's lookup after the last publish answers its generation."""
    seen, answered, stale = _publish_while_reading()
    assert stale == []
    assert len(answered) == 12 and [reads[-1][1] for reads in seen] == [answered[-1][1]] * 2
