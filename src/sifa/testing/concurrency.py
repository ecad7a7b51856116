"""Concurrency for tests: many threads, each on its own database connection, released together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_together(work: Callable[[int], T], workers: int, *, timeout: float | None = 120) -> list[T]:
    """Call ``work(index)`` in ``workers`` threads released at the same moment by a barrier and
    return what they returned (in the order they finished). Each thread closes its own database
    connections; any exception in a thread fails the test with every error seen."""
    start = threading.Barrier(workers)
    results: list[T] = []
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            results.append(work(index))
        except BaseException as error:  # surfaced in the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not errors, errors
    return results
