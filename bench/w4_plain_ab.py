"""W4's case command answered without DRF (``workflow.api.case_command``) against the same request
through DRF's ``CaseCommand``, in one process (docs/performance.md, "2026-12-06 (session 5): W4").

``python -m bench.w4_plain_ab [ROUNDS] [PAIRS]`` (with ``BENCH_DATABASE_URL`` for PostgreSQL) uses
the bench database as ``python -m bench.run --only W4`` left it. As the bench reviewer (a fresh
bearer token, the whole middleware stack, W4's requests) it runs suspend/resume pairs on the
accepted bench case with the shortest history, in rounds that alternate the two paths (DRF's path
by emptying the plain path's ``Accept`` set, so every request goes through ``CaseCommand``; order
swapped every round, two pairs after each switch not counted), each round followed by the raw
Django write (``POST /bench/write``). Prints the medians of the CPU time (``time.process_time``)
per transition on each path, the plain ÷ DRF ratio per round, and each path's ratio to the raw
write. Before the rounds it checks that both paths answer the same bytes.
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
    from django.db import transaction
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from sifa.accounts.models import User
    from sifa.accounts.services.auth import issue_api_token
    from sifa.applications.models import Application, ApplicationStatus
    from sifa.workflow import api

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
    fast = api._FAST_ACCEPT
    now = timezone.now()

    def post(command: str, body: dict):
        response = client.post(f"{base}/{command}/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        return response

    def use(side: str) -> None:
        api._FAST_ACCEPT = fast if side == "plain" else frozenset()

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

    for command, body in (("suspend", SUSPEND), ("resume", {})):  # the same answer both ways
        answers = []
        for side in ("plain", "drf"):
            use(side)
            with time_machine.travel(now, tick=False), transaction.atomic():
                response = post(command, body)
                answers.append((response.content, list(response.items())))
                transaction.set_rollback(True)
        assert answers[0] == answers[1], command
        use("plain")
        post(command, body)
    transitions(10)
    raw(20)
    found: dict[str, list[float]] = {"drf": [], "plain": [], "raw": []}
    for r in range(rounds):
        for side in ("drf", "plain") if r % 2 == 0 else ("plain", "drf"):
            use(side)
            transitions(2)
            found[side].append(transitions(pairs))
        found["raw"].append(raw(2 * pairs))
    use("plain")
    ratio = [p / d for p, d in zip(found["plain"], found["drf"], strict=True)]
    median = {name: statistics.median(values) for name, values in found.items()}
    low, _, high = statistics.quantiles(ratio, n=4)
    print(f"case {case.number}, {rounds} rounds of {pairs} pairs per path")
    print(
        f"CPU per transition: DRF {median['drf']:.3f} ms, plain {median['plain']:.3f} ms;"
        f" raw write {median['raw']:.3f} ms"
    )
    print(f"plain / DRF per round: {statistics.median(ratio):.3f} (quartiles {low:.3f}-{high:.3f})")
    print(
        f"ratio to the raw write: DRF {median['raw'] / median['drf']:.3f}, plain {median['raw'] / median['plain']:.3f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
