"""W9's signed round trip, both peers in one process, CPU per phase (docs/performance.md, "W9").

``python -m bench.w9_phases [N] [--rounds R] [--cprofile [--callees REGEX]] [--no-fsync WHERE] [--callgrind]`` (with ``BENCH_DATABASE_URL`` for PostgreSQL) uses the
bench database as ``python -m bench.run --only W9`` left it (run that once first). It serves the
partner simulator's own WSGI app and HTTP server (``sifa.exchange.simulator.server``) on a thread of
this process (its own SQLite file, the demo 公安's key, Sifa's public keys from the file W9 writes),
and runs N signed round trips (default 400) exactly as ``bench.exchangespeed signed`` does, over
loopback HTTP with keep-alive. Both peers' CPU is then this process's ``time.process_time``: no
scheduler of five processes, no other process's CPU.

Each phase is timed in CPU time of the thread that runs it (``time.thread_time``), inclusive of
what it calls; indented phases are parts of the one above. R rounds (default 3) are run and the
median of each figure printed: CPU per round trip of the whole, and per phase. ``--cprofile``
profiles the client's thread instead (CPU time of that thread). ``--no-fsync sifa|partner|both`` is
a diagnostic: that database at ``synchronous=NORMAL``, to show what its fsyncs cost.
``--callgrind`` runs N round trips between two markers for callgrind (:func:`_callgrind`).

The batch window of the message log's chaining is wall time (200 ms), so at a low rate (a loaded
machine) the batches are small and chaining weighs more per round trip than at W9's rate.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SPENT: dict[str, float] = defaultdict(float)
_DEPTH: dict[str, int] = {}
_ORDER: list[str] = []


def instrument(owner, attr: str, label: str, depth: int = 0, *, static: bool = False) -> None:
    """Replace ``owner.attr`` by a wrapper adding its thread CPU time to ``label``."""
    inner = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
    if isinstance(inner, staticmethod):
        inner, static = inner.__func__, True
    if isinstance(inner, classmethod):
        inner = getattr(owner, attr).__func__
        bound_cls = owner
        original = inner
        inner = lambda *a, **k: original(bound_cls, *a, **k)  # noqa: E731
        static = True
    clock = time.thread_time
    local = threading.local()

    def wrapper(*args, **kwargs):
        if getattr(local, "busy", False):  # recursion: count the outer call only
            return inner(*args, **kwargs)
        local.busy = True
        started = clock()
        try:
            return inner(*args, **kwargs)
        finally:
            _SPENT[label] += clock() - started
            local.busy = False

    setattr(owner, attr, staticmethod(wrapper) if static else wrapper)
    if not isinstance(owner, type):  # a module function: rebind it wherever it was imported
        for module in list(sys.modules.values()):
            if module is not None and getattr(module, "__dict__", {}).get(attr) is inner:
                setattr(module, attr, wrapper)
    _DEPTH[label] = depth
    _ORDER.append(label)


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv and argv[0].isdigit() else 400
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 3
    from bench.run import BENCH_DIR, seed_env
    from bench.workloads import Context  # before bench.exchange_workloads (a circular import)

    # isort: split
    from bench.exchange_workloads import client_env

    seed = seed_env()
    keys_file = BENCH_DIR / "w9-sifa-keys.json"
    os.environ.update(seed)
    import subprocess

    prepared = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench.exchangespeed", "prepare", str(keys_file)],
        env=seed,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    parties = json.loads(prepared.stdout)
    from bench.exchange_workloads import _free_port

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    ctx = Context("127.0.0.1", 0, seed)
    os.environ.update(client_env(ctx, f"{parties['receiver']}={base}/exchange/"))
    from bench.exchangespeed import Signed, _setup

    _setup()
    from django.conf import settings

    from sifa.exchange.simulator.protocol import SifaKeys
    from sifa.exchange.simulator.server import Simulator, _Server, load_partner_signer
    from sifa.exchange.simulator.store import Store

    # Diagnostic only, never a setting of Sifa or of the simulator: ``--no-fsync sifa|partner|both``
    # runs that database at synchronous=NORMAL (WAL: no fsync per commit), to show what the
    # fsyncs cost in CPU.
    no_fsync = argv[argv.index("--no-fsync") + 1] if "--no-fsync" in argv else ""
    if no_fsync in ("sifa", "both"):
        options = settings.DATABASES["default"].get("OPTIONS", {})
        if "init_command" in options:
            options["init_command"] = options["init_command"].replace(
                "synchronous=FULL", "synchronous=NORMAL"
            )
    if no_fsync in ("partner", "both"):
        connect = Store._connect

        def _connect(self):
            db = connect(self)
            db.execute("PRAGMA synchronous=NORMAL")
            return db

        Store._connect = _connect
    if no_fsync:
        print(f"diagnostic: synchronous=NORMAL ({no_fsync}): no fsync per commit there")
    db = Path(tempfile.mkdtemp()) / "w9-phases.sqlite3"
    sim = Simulator(
        kind="police",
        signer=load_partner_signer(Path(settings.VAR_DIR) / "keys" / "partners", "police"),
        store=Store(db),
        keys=SifaKeys(str(keys_file)),
        skew_seconds=settings.EXCHANGE_CLOCK_SKEW_SECONDS,
    )
    server = _Server(("127.0.0.1", port), sim)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    try:
        return _run(Signed(base), count, rounds)
    finally:
        server.shutdown()
        server.server_close()


def _instrument_all() -> None:
    from django.db.backends.base import base as db_base

    from sifa.core.signing import canonical as canon
    from sifa.core.signing import sm2
    from sifa.exchange import envelope as env_mod
    from sifa.exchange import http_transport, registry
    from sifa.exchange.services import envelopes, log
    from sifa.exchange.simulator import data, protocol, server, store

    # Client.
    instrument(envelopes, "seal", "seal (client + simulator)")
    instrument(sm2.Sm2Signer, "sign", "SM2 sign", 1)
    instrument(http_transport.HttpTransport, "_post", "client HTTP (request out, answer in)")
    instrument(http_transport.HttpTransport, "_open", "client: open + log the answer", static=True)
    instrument(envelopes, "_seen_and_answered", "duplicate/correlation SELECT", 1)
    instrument(envelopes, "_check_schema", "JSON Schema", 1)
    instrument(log, "append", "log.append (both rows)")
    instrument(log, "_insert", "INSERT", 1)
    instrument(log, "chain_pending", "chaining batches")
    instrument(db_base.BaseDatabaseWrapper, "commit", "COMMIT (Django, request row + chaining)")
    instrument(env_mod.Envelope, "from_wire", "Envelope.from_wire (both)", static=True)
    # Simulator.
    instrument(server._Handler, "_handle_one", "simulator: one HTTP request, all")
    instrument(server.Simulator, "answer", "simulator: answer", 1)
    instrument(protocol, "open_from_sifa", "open_from_sifa", 2)
    instrument(data, "answer_body", "answer_body", 2)
    instrument(store.Store, "keep", "store.keep (INSERT + fsync)", 2)
    instrument(sm2.Sm2Verifier, "verify", "SM2 verify (both)")
    instrument(canon, "canonical_json", "canonical_json (all)")
    instrument(env_mod, "body_digest", "SM3 body digest (all)")
    instrument(env_mod, "check_header", "check_header (all)")
    del registry


def _callgrind(client, count: int) -> int:
    """``--callgrind``: N round trips between two markers, for ``valgrind --tool=callgrind
    --zero-before='*getppid*' --dump-before='*getsid*'``: the dump's total ÷ N is the instructions
    per round trip of both peers (their user-space code: not the kernel's, not PostgreSQL's)."""
    import gc

    import bench.exchangespeed

    bench.exchangespeed.TIMEOUT = 3600.0  # under valgrind, on a loaded machine, an answer is slow
    for i in range(60):  # warm: imports, connections, caches, the statements
        client.once(i)
    gc.collect()
    gc.freeze()  # a full collection of what the set-up made would land in one run and not another
    os.getppid()  # zero the counters
    for i in range(count):
        client.once(20_000 + i)
    os.getsid(0)  # dump
    print(f"callgrind: {count} round trips between the markers")
    return 0


def _run(client, count: int, rounds: int) -> int:
    from django.db import connection

    if "--callgrind" in sys.argv:
        return _callgrind(client, count)
    for i in range(30):  # warm: imports, connections, caches
        client.once(i)
    _instrument_all()
    if "--cprofile" in sys.argv:  # the client thread only, CPU time of that thread
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        for i in range(count):
            client.once(900_000 + i)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_callees(
            sys.argv[sys.argv.index("--callees") + 1]
            if "--callees" in sys.argv
            else "append|chain_pending|_open|seal"
        )
        return 0
    totals, per_phase = [], defaultdict(list)
    index = 10_000
    for _ in range(rounds):
        _SPENT.clear()
        started = time.process_time()
        for _ in range(count):
            client.once(index)
            index += 1
        totals.append((time.process_time() - started) / count * 1000)
        for label in _ORDER:
            per_phase[label].append(_SPENT[label] / count * 1000)
    print(f"{connection.vendor}: {rounds} × {count} signed round trips, both peers in one process (CPU ms)")
    print(
        f"  per round trip, all: {statistics.median(totals):.3f}  (rounds: {', '.join(f'{t:.3f}' for t in totals)})"
    )
    for label in _ORDER:
        print(f"  {'  ' * _DEPTH[label]}{label:48s} {statistics.median(per_phase[label]):7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
