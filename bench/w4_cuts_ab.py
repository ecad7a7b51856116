"""W4 with and without session 6's cuts — the case command's read without the JSON columns it
never reads (``workflow.selectors.CASE_COMMAND_DEFERRED``) and the fixed statements' values passed as they are where their
field's preparation would return them unchanged (``sifa.core.db._passing_types``) — in one
process (docs/performance.md, "2026-12-06 (session 6): W4").

``python -m bench.w4_cuts_ab [ROUNDS] [PAIRS]`` (with ``BENCH_DATABASE_URL`` for PostgreSQL) uses
the bench database as ``python -m bench.run --only W4`` left it. As the bench reviewer (a fresh
bearer token, the whole middleware stack, W4's requests) it runs suspend/resume pairs on the
accepted bench case with the shortest history, in rounds that alternate the new code and the old
(the case read whole, every value prepared by its field; order swapped every
round, two pairs after each switch not counted), each round followed by the raw Django write
(``POST /bench/write``). Prints the medians of the CPU time (``time.process_time``) per transition
on each side, new ÷ old per round, and each side's ratio to the raw write. Before the rounds it
checks that both sides answer a suspend and a resume with the same bytes and headers and write the
same rows (the same write statements with the same values; clock frozen, each rolled back).
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
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.applications.models import Application, ApplicationStatus
    from sifa.core import db
    from sifa.workflow.services import dispatch

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
    new_passing = db._passing
    new_read = dispatch.case_for_command
    now = timezone.now()

    def post(command: str, body: dict):
        response = client.post(f"{base}/{command}/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        return response

    def use(side: str) -> None:
        new = side == "new"
        db._passing = (
            new_passing
            if new
            else (
                lambda statement, connection: (((),) * len(statement.fields), ({},) * len(statement.fields))
            )
        )
        dispatch.case_for_command = (
            new_read if new else (lambda actor, number, lean=False: new_read(actor, number))
        )

    def transitions(n: int) -> float:
        started = time.process_time()
        for _ in range(n):
            post("suspend", SUSPEND)
            post("resume", {})
        return (time.process_time() - started) / (2 * n) * 1000

    def raw(n: int) -> float:
        started = time.process_time()
        for i in range(n):
            assert plain.post(f"/bench/write?slot={i % 100}").status_code == 200
        return (time.process_time() - started) / n * 1000

    def statements(execute, sql, params, many, context):
        if sql.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH"):  # the writes
            written.append((sql, repr(params)))  # psycopg's wrappers (Jsonb, Int4) compare by identity
        return execute(sql, params, many, context)

    for side in ("new", "old"):  # warm up: the calendar and the compiled statements in the process
        use(side)
        with transaction.atomic():
            post("suspend", SUSPEND)
            transaction.set_rollback(True)
    for command, body in (("suspend", SUSPEND), ("resume", {})):  # the same answer and writes both ways
        answers = []
        for side in ("new", "old"):
            use(side)
            written: list = []
            with time_machine.travel(now, tick=False), transaction.atomic():
                with connection.execute_wrapper(statements):
                    response = post(command, body)
                answers.append((response.content, list(response.items()), written))
                transaction.set_rollback(True)
        for a, b in zip(answers[0], answers[1], strict=True):
            assert a == b, (
                command,
                [(x, y) for x, y in zip(a, b, strict=False) if x != y] if isinstance(a, list) else (a, b),
            )
        use("new")
        post(command, body)
    transitions(10)
    raw(20)
    found: dict[str, list[float]] = {"old": [], "new": [], "raw": []}
    for r in range(rounds):
        for side in ("old", "new") if r % 2 == 0 else ("new", "old"):
            use(side)
            transitions(2)
            found[side].append(transitions(pairs))
        found["raw"].append(raw(2 * pairs))
    use("new")
    ratio = [n / o for n, o in zip(found["new"], found["old"], strict=True)]
    median = {name: statistics.median(values) for name, values in found.items()}
    low, _, high = statistics.quantiles(ratio, n=4)
    print(f"case {case.number} ({connection.vendor}), {rounds} rounds of {pairs} pairs per side")
    print(
        f"CPU per transition: old {median['old']:.3f} ms, new {median['new']:.3f} ms;"
        f" raw write {median['raw']:.3f} ms"
    )
    print(f"new / old per round: {statistics.median(ratio):.3f} (quartiles {low:.3f}-{high:.3f})")
    print(
        f"ratio to the raw write: old {median['raw'] / median['old']:.3f}, new {median['raw'] / median['new']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
