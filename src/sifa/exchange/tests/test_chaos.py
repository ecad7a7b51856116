"""R3 (security.md; scale.md): at-least-once delivery plus the partner's idempotency is exactly once.

N = 1,000 messages are queued with ``outbox.send`` (while the relays run); relay **processes** (``sifa exchange relay
--loop``, on the test database) send them through a fault proxy (latency, resets, 30 % 503, 10 %
lost acknowledgements: the partner stores and answers, the answer is dropped) to a partner
simulator **process** (``sifa partner-sim --as police``, its own SQLite file). While they run, the
test kills a relay with SIGKILL five times (at 10 %, 25 %, 40 %, 55 % and 70 % confirmed) and starts
a new one each time.

What R3 requires, and nothing that depends on how fast the machine is: every outbox item is
已确认 (none unsent); the simulator's file holds exactly one copy of each message; duplicates did
reach the partner (the proxy counts them) and were absorbed; Sifa logged one answer per message;
every copy Sifa signed is in the log and the log verifies. A message still unacknowledged half the
clock window (150 s) after it was signed is signed again for its next retry (same message id, a
fresh timestamp, ``copy_number`` 1, 2, …; docs/exchange.md, "Every copy sent is logged"): on a
loaded machine some are, so the log holds N first copies, N answers and **however many** re-signed
copies, each accounted for — the same message as its first copy, numbered without a gap — and every
copy the proxy saw leave, and the one the partner keeps, is a logged one.

Bounded: the back-off starts at 50 ms (``SIFA_EXCHANGE_RETRY_BASE_MS``) and a killed relay's
发送中 items come back after 3 s (``SIFA_EXCHANGE_CLAIM_LEASE_SECONDS``), in the relay processes
only. Loopback only. SQLite (a file database shared with the relays) and PostgreSQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction

from sifa.core.signing import default_keyring
from sifa.exchange.chain import verify_log
from sifa.exchange.demo import simulator_endpoint
from sifa.exchange.envelope import is_duplicate
from sifa.exchange.models import Direction, ExchangeMessage, OutboxItem, OutboxStatus, PartnerKey
from sifa.exchange.services import log, outbox, partners
from sifa.testing import id_number, tree

from .faultproxy import FaultProxy
from .test_http_transport import SRC, SimProcess

pytestmark = pytest.mark.slow(seconds=60)

N = 1000
RELAYS = 2
KILL_AT = (0.10, 0.25, 0.40, 0.55, 0.70)
"""Share of the messages confirmed when a relay is killed (SIGKILL) and replaced."""
DEADLINE_SECONDS = 240
"""A failure, not a hang: the run takes well under this (see docs/exchange.md for the timing)."""
RELAY_ENV = {"SIFA_EXCHANGE_RETRY_BASE_MS": "50", "SIFA_EXCHANGE_CLAIM_LEASE_SECONDS": "3"}

BODY = {"name": "王五", "id_number": id_number("33010619850505123")}


class Relay:
    """``sifa exchange relay --loop`` as a child process on the test database."""

    def __init__(self, number: int, folder: Path, env: dict[str, str]) -> None:
        self.number = number
        self.out = folder / f"relay-{number}.log"
        argv = [sys.executable, "-m", "sifa", "exchange", "relay", "--loop", "--interval", "0.1"]
        with self.out.open("wb") as out:
            self.process = subprocess.Popen([*argv, "--batch", "10"], env=env, stdout=out, stderr=out)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def tail(self) -> str:
        return self.out.read_text(errors="replace")[-2000:]


@pytest.fixture
def live(transactional_db, tmp_path) -> Iterator[dict[str, Any]]:
    """Committed data the relay processes can see, the partner simulator and the fault proxy."""
    orgs = tree("zj", "hz")
    key_dir = tmp_path / "partner-keys"
    loaded = partners.load_demo_partners(key_dir)
    for key in PartnerKey.objects.all():  # made just now: backdate them, as the exchange world does
        partners.add_key(
            key.partner,
            key.public_key_pem,
            key_id=key.key_id,
            valid_from=key.valid_from - dt.timedelta(days=1),
        )
    ring = default_keyring()  # the run's key (SIFA_SIGNING_KEY_DIR), which the relays use too
    ring.signer()
    sifa_keys = tmp_path / "sifa-keys.json"
    sifa_keys.write_text(json.dumps(ring.public_keys()), encoding="utf-8")
    sim = SimProcess("police", tmp_path / "sim", key_dir, sifa_keys)
    sim.start()
    proxy = FaultProxy(sim.port).start()
    police = loaded["police"]
    endpoint = f"{police.uscc}={simulator_endpoint(proxy.port)}"
    # The relays' settings: the test's, on the test database, with the chaos knobs.
    (tmp_path / "chaos_settings.py").write_text(
        "from sifa.conf.test_settings import *  # noqa: F403\n"
        f"DATABASES['default']['NAME'] = {str(connection.settings_dict['NAME'])!r}  # noqa: F405\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        **RELAY_ENV,
        "DJANGO_SETTINGS_MODULE": "chaos_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(SRC), os.environ.get("PYTHONPATH", "")]),
        "SIFA_SIGNING_KEY_DIR": str(settings.SIGNING_KEY_DIR),
        "SIFA_EXCHANGE_ENDPOINTS": endpoint,
    }
    previous = settings.EXCHANGE_ENDPOINTS
    settings.EXCHANGE_ENDPOINTS = [endpoint]
    try:
        yield {"orgs": orgs, "police": police, "sim": sim, "proxy": proxy, "env": env, "folder": tmp_path}
    finally:
        settings.EXCHANGE_ENDPOINTS = previous
        proxy.stop()
        sim.stop()


def queue(live: dict[str, Any], count: int) -> None:
    """The callers: ``count`` messages in transactions of 25, in a thread of their own (its own
    database connection, closed at the end) while the relays already send."""
    try:
        _queue(live, count)
    finally:
        connection.close()


def _queue(live: dict[str, Any], count: int) -> None:
    for start in range(0, count, 25):
        with transaction.atomic():  # the callers' transactions
            for index in range(start, min(start + 25, count)):
                outbox.send(
                    organisation=live["orgs"]["hz"],
                    partner=live["police"],
                    service=("identity.verify", "1"),
                    body=BODY,
                    purpose="核验申请人身份（律师执业许可）",
                    official="hz-window",
                    issue=f"浙司许〔2026〕{index:04d}号",
                )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def logged_copies() -> dict[str, list[ExchangeMessage]]:
    """Sifa's outgoing log rows by message id, in copy order."""
    rows = (
        ExchangeMessage.objects.filter(direction=Direction.OUTBOUND)
        .only("message_id", "copy_number", "header", "signature")
        .order_by("message_id", "copy_number")
    )
    copies: dict[str, list[ExchangeMessage]] = {}
    for row in rows:
        copies.setdefault(str(row.message_id), []).append(row)
    return copies


def confirmed() -> int:
    return OutboxItem.objects.filter(status=OutboxStatus.CONFIRMED).count()


def test_r3_every_message_reaches_the_partner_exactly_once_through_faults_and_relay_kills(live):
    timings: dict[str, float] = {}
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    relays = [Relay(i, live["folder"], live["env"]) for i in range(RELAYS)]
    spawned, kills, crashes = RELAYS, 0, []
    callers = ThreadPoolExecutor(1)
    queued = callers.submit(queue, live, N)
    queued.add_done_callback(lambda _f: timings.setdefault("queued", time.monotonic() - started))
    try:
        while True:
            if queued.done() and queued.exception() is not None:
                queued.result()  # the callers failed: say why
            done = confirmed()
            if done == N and queued.done():
                break
            assert time.monotonic() - started < DEADLINE_SECONDS, (
                f"only {done} of {N} confirmed; proxy {live['proxy'].snapshot()}; last relay output:\n"
                + relays[-1].tail()
            )
            for index, relay in enumerate(relays):
                if relay.process.poll() is not None:  # died on its own: note it, replace it
                    crashes.append(relay.tail())
                    relays[index] = Relay(spawned, live["folder"], live["env"])
                    spawned += 1
            if kills < len(KILL_AT) and done >= KILL_AT[kills] * N:
                victim = kills % RELAYS
                relays[victim].kill()  # SIGKILL: mid-claim, mid-send or mid-commit
                relays[victim] = Relay(spawned, live["folder"], live["env"])
                spawned += 1
                kills += 1
            time.sleep(0.1)
    finally:
        for relay in relays:
            relay.stop()
        callers.shutdown(wait=True)
    queued.result()
    relayed_in = time.monotonic() - started
    children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    cpu = {  # CPU seconds: relays (all reaped by now), the simulator (still running), this process
        "relays": children.ru_utime + children.ru_stime - cpu_before[0].ru_utime - cpu_before[0].ru_stime,
        "simulator": cpu_seconds(live["sim"].process.pid),
        "test (queue, proxy)": own.ru_utime + own.ru_stime - cpu_before[1].ru_utime - cpu_before[1].ru_stime,
    }

    assert kills == len(KILL_AT)
    assert not crashes, crashes[0]
    # Sifa's side: nothing unsent, one logged answer per message.
    items = OutboxItem.objects.all()
    assert items.count() == N
    assert not items.exclude(status=OutboxStatus.CONFIRMED).exists()
    ids = {str(value) for value in items.values_list("message_id", flat=True)}
    answers = ExchangeMessage.objects.filter(direction=Direction.INBOUND, correlation_id__in=ids)
    assert answers.count() == answers.values("correlation_id").distinct().count() == N
    # Every copy signed is logged: the outbox's N messages, each its first copy and the copies signed
    # again for late retries (how many depends on the machine's speed), numbered 0, 1, … without a gap.
    copies = logged_copies()
    assert copies.keys() == ids
    firsts = set(items.values_list("log_entry_id", flat=True))
    resigned = 0
    for message_id, rows in copies.items():
        assert [row.copy_number for row in rows] == list(range(len(rows))), (message_id, rows)
        assert rows[0].pk in firsts, message_id
        for again in rows[1:]:  # the same message: only its timestamp (and signature) differ
            assert again.header != rows[0].header, message_id
            assert is_duplicate(
                rows[0].header, bytes(rows[0].signature), again.header.encode(), bytes(again.signature)
            ), message_id
        resigned += len(rows) - 1
    # ... and chained: the whole log, every row, verifies.
    log.chain_pending()
    verified = verify_log()
    assert verified.ok and not verified.unchained, verified.message
    assert verified.count == ExchangeMessage.objects.count() == 2 * N + resigned, verified.message
    # Every copy that left Sifa (the proxy saw it) is a logged copy.
    signed = {
        (message_id, base64.b64encode(bytes(row.signature)).decode()): row
        for message_id, rows in copies.items()
        for row in rows
    }
    assert not live["proxy"].copies - signed.keys()
    # The partner's side: exactly one copy of each message, one that Sifa logged.
    with sqlite3.connect(live["sim"].db) as db:
        kept = db.execute(
            "SELECT message_id, header, signature FROM received WHERE sender = ?", (live["orgs"]["hz"].uscc,)
        ).fetchall()
    assert len(kept) == N and {row[0] for row in kept} == ids
    for message_id, header, signature in kept:
        row = signed.get((message_id, base64.b64encode(signature).decode()))
        assert row is not None and row.header == header, message_id
    # The faults happened, and duplicates reached the partner and were absorbed.
    faults = live["proxy"].snapshot()
    assert faults["503"] and faults["reset"] and faults["lost_ack"], faults
    assert faults["messages_delivered"] == N and faults["duplicates"] > 0, faults
    attempts = sum(items.values_list("attempts", flat=True))
    assert attempts > N
    print(
        f"\nR3 {connection.vendor}: {N} queued in {timings['queued']:.1f} s while the relays ran, "
        f"all confirmed after {relayed_in:.1f} s; "
        f"{attempts} attempts, {resigned} copies signed again, {spawned} relay processes ({kills} killed); "
        f"proxy {faults}; "
        f"CPU s { ({name: round(value, 1) for name, value in cpu.items()}) }, total {sum(cpu.values()):.1f}"
    )
