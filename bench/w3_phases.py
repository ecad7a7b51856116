"""Where one W3 flow's CPU and wall time go, phase by phase (``python -m bench.w3_profile N --phases``).

Wraps, for the duration of the run, the pieces of the three requests that can be named from the
outside and times each with ``time.process_time`` (CPU of this process) and ``time.perf_counter``
(wall); a phase inside another is subtracted from it (self time), so the phases of a request add
up to the request. What is not named is "the rest": URL routing, middleware, authentication, DRF,
the views, the services' Python and the ORM (building statements and instances).

Phases: ``multipart parse`` (Django's ``MultiPartParser`` and the upload handler's own work: the
head kept for the sniff, the EICAR look-up across chunk borders), ``SM3`` (each ``update`` of the
upload's digest), ``file write`` (each chunk written into the work file), ``type checks`` (the
sniff of the head and the extension), ``PDF screen``, ``fsync (file)``, ``fsync (directory)``,
``rename``, ``SQL`` (each statement's execution, the driver included; on PostgreSQL the server's
CPU is not in this process), ``commit`` (SQLite's commit is where its WAL is ``fsync``'d).
"""

from __future__ import annotations

import collections
import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any


class Phases:
    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0])
        self._stack: list[list[Any]] = []

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        frame = [name, time.process_time(), time.perf_counter(), 0.0, 0.0]
        self._stack.append(frame)
        try:
            yield
        finally:
            self._stack.pop()
            cpu = time.process_time() - frame[1]
            wall = time.perf_counter() - frame[2]
            spent = self.spent[name]
            spent[0] += cpu - frame[3]
            spent[1] += wall - frame[4]
            if self._stack:
                self._stack[-1][3] += cpu
                self._stack[-1][4] += wall

    def timed(self, name: str, function: Callable) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.phase(name):
                return function(*args, **kwargs)

        wrapper.__wrapped__ = function  # type: ignore[attr-defined]
        return wrapper

    def take(self) -> dict[str, tuple[float, float]]:
        spent, self.spent = self.spent, collections.defaultdict(lambda: [0.0, 0.0])
        return {name: (cpu, wall) for name, (cpu, wall) in spent.items()}


class _Timed:
    """A proxy for the digest or the work file whose one method is timed."""

    def __init__(self, inner: Any, method: str, timed: Callable) -> None:
        self._inner = inner
        setattr(self, method, timed(getattr(inner, method)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> Any:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._inner.__exit__(*exc)


def install(phases: Phases, connection: Any) -> None:
    """Wrap the named pieces (for this process, until it ends)."""
    from django.http import multipartparser

    from sifa.applications.uploads import gate, store, streaming

    multipartparser.MultiPartParser.parse = phases.timed(
        "multipart parse", multipartparser.MultiPartParser.parse
    )
    init = streaming.WorkFile.__init__

    def work_file_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._digest = _Timed(self._digest, "update", lambda f: phases.timed("SM3", f))
        self.file = _Timed(self.file, "write", lambda f: phases.timed("file write", f))

    streaming.WorkFile.__init__ = work_file_init
    gate.sniff = phases.timed("type checks", gate.sniff)
    gate.check_extension = phases.timed("type checks", gate.check_extension)
    gate.scan_pdf = phases.timed("PDF screen", gate.scan_pdf)
    store._fsync_dir = phases.timed("fsync (directory)", store._fsync_dir)
    commit = store.FileSystemUploadStore.commit
    store.FileSystemUploadStore.commit = phases.timed("rename", commit)

    class _GateOs:
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        fsync = staticmethod(phases.timed("fsync (file)", os.fsync))

    gate.os = _GateOs()  # type: ignore[assignment]
    commit_db = type(connection)._commit
    type(connection)._commit = phases.timed("commit", commit_db)

    def sql(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        with phases.phase("SQL"):
            return execute(sql, params, many, context)

    connection.execute_wrappers.append(sql)


ORDER = (
    "multipart parse",
    "SM3",
    "file write",
    "type checks",
    "PDF screen",
    "fsync (file)",
    "fsync (directory)",
    "rename",
    "SQL",
    "commit",
    "the rest",
)
