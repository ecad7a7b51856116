"""S5 (security.md §6): every single-row tamper of the audit trail and of the personal-data access
log is found by ``sifa audit verify`` / ``sifa audit verify-access``; a full re-chain by an attacker
is found by the anchor; 1,000 concurrent appends leave one unforked chain (PostgreSQL).

The attacker is a database owner: the guard triggers are dropped (``triggers_dropped``, as the
audit app's own tamper tests do), one row is changed or deleted, and the commands are run as an
operator would. Mutation check: with the hash comparison disabled the same sweep must miss the
content changes — proving the sweep bites.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count

from sifa.audit import chain, services
from sifa.audit.hashing import access_hash, chain_hash
from sifa.audit.models import AccessKind, AuditEvent, PersonalDataAccess, Visibility
from sifa.audit.services.access import chain_pending
from sifa.audit.subjects import AuditSubject
from sifa.audit.tests.conftest import triggers_dropped
from sifa.organisations.models import Role
from sifa.testing import CitizenFactory, staff, tree
from sifa.testing.concurrency import run_together

pytestmark = [pytest.mark.django_db, pytest.mark.slow(seconds=40)]

ROWS = 6
ANCHORED_THROUGH = 3
"""Rows 1–3 are covered by an anchor (the scheduler's hourly one), rows 4–6 came after it."""
POSITIONS = {
    1: "first/anchored",
    2: "middle/anchored",
    3: "anchor head",
    5: "middle/unanchored",
    6: "last/unanchored",
}


class Rollback(Exception):
    pass


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path  # anchor files in the test's own folder


@pytest.fixture
def people(db):
    orgs = tree("zj", "hz", "xh")
    return {
        "orgs": orgs,
        "reader": staff("s5-reader", orgs["hz"], Role.REVIEWER),
        "other": staff("s5-other", orgs["xh"], Role.REVIEWER),
        "subject": CitizenFactory(username="s5-citizen"),
        "subject2": CitizenFactory(username="s5-citizen2"),
    }


def detected(subcommand: str) -> bool:
    """Run the operator's command; True when it reports a break (exit code 1)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", subcommand, stdout=out, stderr=err)
    except SystemExit as exit_info:
        assert exit_info.code == 1
        assert "断裂" in err.getvalue()
        return True
    assert "完整" in out.getvalue()
    return False


def other_value(field: Any, value: Any, people: dict) -> Any:
    """A different value of the same column type, as a forger would write."""
    name = field.attname
    if name in ("seq",):
        return value + 1000
    if name == "id":
        return value + 100_000
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(microseconds=1)
    if name in ("actor_id", "reader_id", "subject_id"):
        return people["other"].pk if value != people["other"].pk else people["reader"].pk
    if name in ("organisation_id", "reader_organisation_id"):
        return people["orgs"]["xh"].pk if value != people["orgs"]["xh"].pk else people["orgs"]["hz"].pk
    if name == "ip_address":
        return "10.9.9.9"
    if name == "detail":
        return {**value, "forged": True}
    if name == "result":
        return "denied" if value != "denied" else "success"
    if name == "kind":
        return AccessKind.DISCLOSURE if value != AccessKind.DISCLOSURE else AccessKind.READ
    if name == "visibility":
        return Visibility.RESTRICTED if value != Visibility.RESTRICTED else Visibility.PUBLIC
    if name == "scope_path":
        return "/9/9/"
    if name in ("prev_hash", "hash"):
        return ("f" if value[0] != "f" else "e") + value[1:]
    assert isinstance(value, str), (name, value)
    return value + "x"


def audit_chain(people) -> None:
    for i in range(1, ROWS + 1):
        services.record(
            "case.accept",
            actor=people["reader"],
            organisation=people["orgs"]["hz"],
            role=Role.REVIEWER,
            subject=AuditSubject("applications.Application", f"C{i}"),
            detail={"step": i},
            ip_address="192.0.2.1",
        )
        if i == ANCHORED_THROUGH:
            chain.write_anchor()


def access_chain(people) -> None:
    for i in range(1, ROWS + 1):
        PersonalDataAccess.objects.create(
            subject=people["subject"],
            subject_ref=f"P{i}",
            reader=people["reader"],
            reader_organisation=people["orgs"]["hz"],
            reader_role=Role.REVIEWER,
            purpose="受理律师执业许可申请",
            object_type="accounts.NaturalPerson",
            accessed_at=dt.datetime(2026, 12, 1, 10, i, tzinfo=dt.UTC),
            scope_path="/1/2/3/",
            kind=AccessKind.READ,
            receiver="杭州市公安局",
            legal_basis="《律师法》第六条",
            case_number=f"ZJ2026-{i}",
            message_id=f"M{i}",
            visibility=Visibility.PUBLIC,
            visible_from=dt.datetime(2026, 12, 2, tzinfo=dt.UTC),
        )
        if i == ANCHORED_THROUGH:
            chain_pending()
            chain.write_access_anchor()
    chain_pending()


LOGS = {
    "audit": (AuditEvent, "seq", "verify", audit_chain),
    "access": (PersonalDataAccess, "seq", "verify-access", access_chain),
}


def tampers(model) -> list[tuple[str, Any]]:
    """(label, action(row)) for every column × every position, and a delete per position."""
    out = []
    for field in model._meta.concrete_fields:
        out.append((f"update {field.column}", field))
    out.append(("delete", None))
    return out


def sweep(people, log: str) -> tuple[int, list[str], list[str]]:
    """Every single-row tamper, each in a savepoint rolled back afterwards. Returns the number of
    tampers, those missed, and the documented limit cases missed (a tail row deleted after the last
    anchor: no later row and no anchor names it)."""
    model, seq_field, command, build = LOGS[log]
    build(people)
    assert not detected(command), "the untouched chain must verify"
    count, missed, limits = 0, [], []
    with triggers_dropped():
        for position in POSITIONS:
            row = model.objects.get(**{seq_field: position})
            for label, field in tampers(model):
                count += 1
                try:
                    with transaction.atomic():
                        query = model.objects.filter(pk=row.pk)
                        if field is None:
                            query.delete()
                        else:
                            value = getattr(row, field.attname)
                            query.update(**{field.attname: other_value(field, value, people)})
                        found = detected(command)
                        raise Rollback(found)
                except Rollback as outcome:
                    found = outcome.args[0]
                name = f"{log}: {label} at seq {position} ({POSITIONS[position]})"
                if not found and field is None and position == ROWS:
                    limits.append(name)
                elif not found:
                    missed.append(name)
    return count, missed, limits


@pytest.mark.parametrize("log", LOGS)
def test_every_single_row_tamper_is_detected(people, log):
    count, missed, limits = sweep(people, log)
    print(
        f"S5 {log} log tamper sweep: {count} single-row tampers, {count - len(missed) - len(limits)} detected, "
        f"{len(missed)} missed, {len(limits)} beyond the last anchor (tail delete, caught by no check)",
        file=sys.__stdout__,
    )
    assert not missed, missed
    assert limits == [f"{log}: delete at seq {ROWS} (last/unanchored)"]


@pytest.mark.parametrize("log", LOGS)
def test_mutant_without_the_hash_check_misses_tampering(people, log, monkeypatch):
    """Mutation switch: a verifier that trusts each row's stored hash misses content changes, so the
    sweep above would fail — the test bites."""
    if log == "audit":
        monkeypatch.setattr(chain, "chain_hash", lambda prev_hash, event: event.hash)
    else:
        monkeypatch.setattr(chain, "access_hash", lambda prev_hash, row, seq: row.hash)
    count, missed, _ = sweep(people, log)
    print(
        f"S5 {log} log mutant (no hash check): {len(missed)} of {count} tampers missed", file=sys.__stdout__
    )
    assert len(missed) >= 40, missed


def rechain(model, hasher, first: int) -> None:
    """The attacker rewrites row ``first`` and re-hashes everything after it: every link holds."""
    previous = model.objects.get(seq=first - 1).hash
    for row in model.objects.filter(seq__gte=first).order_by("seq"):
        if row.seq == first:
            if model is AuditEvent:
                row.result = "denied"
            else:
                row.purpose = "核验"
        row.prev_hash = previous
        row.hash = hasher(previous, row)
        model.objects.filter(pk=row.pk).update(
            prev_hash=row.prev_hash,
            hash=row.hash,
            **({"result": row.result} if model is AuditEvent else {"purpose": row.purpose}),
        )
        previous = row.hash


@pytest.mark.parametrize("log", LOGS)
def test_a_full_rechain_is_caught_by_the_anchor(people, log):
    model, _, command, build = LOGS[log]
    build(people)
    if log == "audit":
        chain.write_anchor()
        hasher = chain_hash
    else:
        chain.write_access_anchor()

        def hasher(prev, row):
            return access_hash(prev, row, row.seq)

    with triggers_dropped():
        rechain(model, hasher, 2)
    verify = chain.verify_chain if log == "audit" else chain.verify_access_log
    assert verify(anchors=[]).ok  # consistent in itself: only the anchor tells
    assert detected(command)
    result = verify()
    assert result.code == "anchor_mismatch", result.message
    print(f"S5 {log} log full re-chain from seq 2: detected by the anchor", file=sys.__stdout__)


@pytest.mark.django_db(transaction=True)
def test_one_thousand_concurrent_appends_keep_one_chain(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite serialises every writer on its one lock")
    threads, appends = 4, 250

    def writer(number: int) -> None:
        for i in range(appends):
            services.record(
                "test.concurrent", subject=AuditSubject("applications.Application", f"{number}-{i}")
            )

    run_together(writer, threads, timeout=None)
    result = chain.verify_chain(anchors=[])
    assert result.ok, result.message
    assert result.count == AuditEvent.objects.count() == threads * appends
    assert not AuditEvent.objects.values("prev_hash").annotate(n=Count("seq")).filter(n__gt=1).exists()
    print(
        f"S5 concurrent appends: {threads * appends} from {threads} threads, chain verifies, 0 forks",
        file=sys.__stdout__,
    )
