"""W4 with the case command prepared before SQLite's write lock and without, in one process
(docs/performance.md, "2026-12-07 (session 7): W4").

``python -m bench.w4_prepared_ab [ROUNDS] [PAIRS]`` (SQLite: the bench database as ``python -m
bench.run --only W4`` left it). As the bench reviewer (a fresh bearer token, the whole middleware
stack, W4's requests) it runs suspend/resume pairs on the accepted bench case with the shortest
history, in rounds that alternate the new way (``dispatch.prepared_before_lock`` true: reads,
checks, handler and audit rows before the ``BEGIN IMMEDIATE``, only the writes after it) and the
old (false: the whole command in one transaction from its start), order swapped every round, two
pairs after each switch not counted, each round followed by the raw Django write (``POST
/bench/write``). Per side: the median CPU time (``time.process_time``) per transition, and the
median CPU and wall time from ``BEGIN IMMEDIATE`` to the end of ``COMMIT`` (the write lock held;
a request's transactions summed, and their number printed), with the raw write's. Before the rounds it checks that both ways answer a suspend and a resume
with the same status, bytes and headers and leave the same rows (the case, its clocks, work items,
timeline and the audit rows, their sequence numbers, times and hashes too; clock frozen, each
rolled back).
"""

from __future__ import annotations

import statistics
import sys
import time

import time_machine

from bench.w4_profile import SUSPEND, _setup


def main(argv: list[str]) -> int:
    rounds, pairs = (int(a) for a in ([*argv, "12", "15"][:2]))
    _setup()
    from django.db import connection, connections, transaction
    from django.db.models import Count
    from django.forms.models import model_to_dict
    from django.test import Client
    from django.utils import timezone

    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.applications.models import Application, ApplicationStatus, TimelineEntry
    from sifa.audit.models import AuditEvent
    from sifa.deadlines.models import ClockState
    from sifa.workflow.models import ProcessInstance, WorkItem
    from sifa.workflow.services import dispatch

    if connection.vendor != "sqlite":
        print("SQLite only: PostgreSQL runs a case command from its row lock on")
        return 2
    wrapper = type(connections["default"])
    held: list[tuple[float, float]] = []
    started: dict[str, float] = {}
    begin, commit = wrapper._start_transaction_under_autocommit, wrapper._commit

    def timed_begin(self):
        started["wall"], started["cpu"] = time.perf_counter(), time.process_time()
        return begin(self)

    def timed_commit(self):
        done = commit(self)
        if "wall" in started:
            held.append((time.perf_counter() - started.pop("wall"), time.process_time() - started.pop("cpu")))
        return done

    wrapper._start_transaction_under_autocommit, wrapper._commit = timed_begin, timed_commit
    reviewer = User.objects.get(username="bench-reviewer")
    token = issue_api_token(reviewer)[0]
    case = (  # the accepted case with the shortest history
        Application.objects.filter(status=ApplicationStatus.ACCEPTED, accepting_organisation__isnull=False)
        .annotate(entries=Count("timeline"))
        .order_by("entries", "id")
        .first()
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    plain = Client(HTTP_HOST="127.0.0.1")
    base = f"/api/v1/cases/{case.number}/commands"
    now = timezone.now()

    def post(command: str, body: dict):
        response = client.post(f"{base}/{command}/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        return response

    counts: dict[str, int] = {}
    side_now = ["new"]

    def use(side: str) -> None:
        side_now[0] = side
        prepared = side == "new"
        dispatch.prepared_before_lock = lambda connection: prepared

    def transitions(n: int) -> float:
        cpu = time.process_time()
        for _ in range(n):
            post("suspend", SUSPEND)
            post("resume", {})
        return (time.process_time() - cpu) / (2 * n) * 1000

    def raw(n: int) -> float:
        cpu = time.process_time()
        for i in range(n):
            assert plain.post(f"/bench/write?slot={i % 100}").status_code == 200
        return (time.process_time() - cpu) / n * 1000

    def lock(requests: int) -> tuple[float, float]:
        """The median wall and CPU time a request held the lock (all its transactions together)."""
        assert len(held) % requests == 0, (len(held), requests)
        each = len(held) // requests  # the transactions of one request
        per = [held[i : i + each] for i in range(0, len(held), each)]
        found = (
            statistics.median(sum(h[0] for h in p) for p in per) * 1000,
            statistics.median(sum(h[1] for h in p) for p in per) * 1000,
        )
        counts[side_now[0]] = each
        held.clear()
        return found

    def rows(since: int) -> list:
        pk = str(case.pk)
        audit = [model_to_dict(e) for e in AuditEvent.objects.filter(seq__gt=since).order_by("seq")]
        return [
            model_to_dict(Application.objects.get(pk=case.pk)),
            model_to_dict(ProcessInstance.objects.get(application_id=case.pk)),
            [model_to_dict(c) for c in ClockState.objects.filter(subject_id=pk).order_by("id")],
            [model_to_dict(i) for i in WorkItem.objects.filter(application_id=case.pk).order_by("id")],
            [
                {k: v for k, v in model_to_dict(e).items() if k != "id"}
                for e in TimelineEntry.objects.filter(application_id=case.pk).order_by("id")
            ],
            audit,
        ]

    for side in ("new", "old"):  # warm up: the calendar and the compiled statements in the process
        use(side)
        with transaction.atomic():
            post("suspend", SUSPEND)
            transaction.set_rollback(True)
    for command, body in (("suspend", SUSPEND), ("resume", {})):  # the same answer and rows both ways
        answers = []
        for side in ("new", "old"):
            use(side)
            head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            with time_machine.travel(now, tick=False), transaction.atomic():
                response = post(command, body)
                answers.append((response.content, list(response.items()), rows(head)))
                transaction.set_rollback(True)
        for a, b in zip(answers[0], answers[1], strict=True):
            assert a == b, (command, a if not isinstance(a, list) else "rows differ")
        use("new")
        post(command, body)
    transitions(10)
    raw(20)
    held.clear()
    found: dict[str, list[float]] = {"old": [], "new": [], "raw": []}
    locks: dict[str, list[tuple[float, float]]] = {"old": [], "new": [], "raw": []}
    for r in range(rounds):
        for side in ("old", "new") if r % 2 == 0 else ("new", "old"):
            use(side)
            transitions(2)
            held.clear()
            found[side].append(transitions(pairs))
            locks[side].append(lock(2 * pairs))
        side_now[0] = "raw"
        found["raw"].append(raw(2 * pairs))
        locks["raw"].append(lock(2 * pairs))
    use("new")
    ratio = [n / o for n, o in zip(found["new"], found["old"], strict=True)]
    median = {name: statistics.median(values) for name, values in found.items()}
    held_cpu = {name: statistics.median(c for _w, c in values) for name, values in locks.items()}
    held_wall = {name: statistics.median(w for w, _c in values) for name, values in locks.items()}
    low, _, high = statistics.quantiles(ratio, n=4)
    print(f"case {case.number} ({connection.vendor}), {rounds} rounds of {pairs} pairs per side")
    print(
        f"CPU per transition: old {median['old']:.3f} ms, new {median['new']:.3f} ms;"
        f" raw write {median['raw']:.3f} ms; new / old per round {statistics.median(ratio):.3f}"
        f" (quartiles {low:.3f}-{high:.3f})"
    )
    print(f"transactions per request: {counts}")
    print(
        f"write lock held per request, CPU: old {held_cpu['old']:.3f} ms, new {held_cpu['new']:.3f} ms,"
        f" raw write {held_cpu['raw']:.3f} ms; wall: old {held_wall['old']:.1f} ms,"
        f" new {held_wall['new']:.1f} ms, raw write {held_wall['raw']:.1f} ms"
    )
    print(
        f"raw write / W4: CPU per request old {median['raw'] / median['old']:.3f},"
        f" new {median['raw'] / median['new']:.3f}; CPU under the lock old"
        f" {held_cpu['raw'] / held_cpu['old']:.3f}, new {held_cpu['raw'] / held_cpu['new']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
