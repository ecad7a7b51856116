"""The message log: chained in batches, checked by ``sifa exchange verify-log`` (a changed, a
removed and a reordered row each exit 1 naming the first bad row), exported as a signed archive
that openssl can check."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from sifa.exchange import chain
from sifa.exchange.models import ExchangeMessage, MessageLink
from sifa.exchange.services import envelopes, log
from sifa.exchange.services.inbox import receive

from .conftest import SUSPECT_ID, log_triggers_dropped, needs_openssl, notice, openssl_verify

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anchors_in_tmp(settings, tmp_path):
    """The default anchor file is in the test's own folder, never in the developer's var/."""
    settings.VAR_DIR = tmp_path


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("exchange", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def logged(world, count: int) -> list[ExchangeMessage]:
    """``count`` court notices received and answered: 2 × count rows, chained."""
    for _ in range(count):
        receive(notice(world).as_wire())
    log.chain_pending()
    return list(ExchangeMessage.objects.order_by("link__seq"))


def raw(sql: str, params=()) -> None:
    """Tamper as someone with database access would: past the guard triggers (dropped, then put back)."""
    with log_triggers_dropped(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def at(seq: int) -> str:
    """The log row chained at ``seq``, in a tampering statement's ``WHERE``."""
    return f"id = (SELECT message_id FROM exchange_messagelink WHERE seq = {int(seq)})"  # noqa: S608


def remove(where: str) -> None:
    """Remove the chained rows (and their links) whose link matches ``where``."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT message_id FROM exchange_messagelink WHERE {where}")  # noqa: S608
        ids = [row[0] for row in cursor.fetchall()]
    raw(f"DELETE FROM exchange_messagelink WHERE {where}")  # noqa: S608
    for pk in ids:
        raw("DELETE FROM exchange_exchangemessage WHERE id = %s", [pk])


def test_rows_wait_unchained_until_a_batch_chains_them(world):
    receive(notice(world).as_wire())
    assert ExchangeMessage.objects.filter(link__isnull=True).count() == 2
    code, out, _ = run("verify-log")
    assert code == 0 and "已入链 0 条" in out and "另有 2 条尚未入链" in out
    assert run("chain")[1] == "已入链 2 条\n"
    code, out, _ = run("verify-log", "--batch-size", "1")
    assert (code, out) == (0, "消息日志完整：已入链 2 条\n")
    assert list(MessageLink.objects.values_list("seq", flat=True)) == [1, 2]
    assert list(MessageLink.objects.values_list("message_id", flat=True)) == sorted(
        ExchangeMessage.objects.values_list("id", flat=True)
    )  # chained in id order


def test_a_batch_is_chained_after_commit_once_enough_are_waiting(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EXCHANGE_LOG_BATCH = 4
    settings.EXCHANGE_LOG_BATCH_MS = 60_000
    log.BATCHER.__init__()
    with django_capture_on_commit_callbacks(execute=True):
        receive(notice(world).as_wire())  # 2 rows: not yet a batch
    assert ExchangeMessage.objects.filter(link__isnull=True).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        receive(notice(world).as_wire())  # 4 rows: one batch
    assert ExchangeMessage.objects.filter(link__isnull=True).count() == 0


def test_a_changed_row_is_found(world):
    rows = logged(world, 2)
    raw(f"UPDATE exchange_exchangemessage SET purpose = %s, case_number = %s WHERE {at(3)}", ["改", "X"])  # noqa: S608
    code, out, err = run("verify-log")
    assert code == 1 and out == ""
    assert err.startswith(f"消息日志在第 3 条断裂（消息 {rows[2].message_id}）：哈希不符，该条内容被修改")


def test_a_removed_row_is_found(world):
    logged(world, 2)
    remove("seq = 2")
    code, _, err = run("verify-log")
    assert code == 1 and err.startswith("消息日志在第 2 条断裂") and "记录被删除" in err


def test_a_removed_link_is_found(world):
    logged(world, 2)
    raw("DELETE FROM exchange_messagelink WHERE seq = 2")  # the row is left, unchained
    code, _, err = run("verify-log")
    assert code == 1 and err.startswith("消息日志在第 2 条断裂") and "记录被删除" in err


def test_reordered_rows_are_found(world):
    logged(world, 2)
    raw("UPDATE exchange_messagelink SET seq = -2 WHERE seq = 2")
    raw("UPDATE exchange_messagelink SET seq = 2 WHERE seq = 3")
    raw("UPDATE exchange_messagelink SET seq = 3 WHERE seq = -2")
    code, _, err = run("verify-log")
    assert code == 1 and err.startswith("消息日志在第 2 条断裂") and "记录顺序被调整" in err


def test_links_pointed_at_each_other_s_rows_are_found(world):
    rows = logged(world, 2)
    raw("UPDATE exchange_messagelink SET message_id = -1 WHERE seq = 2")
    raw("UPDATE exchange_messagelink SET message_id = %s WHERE seq = 3", [rows[1].pk])
    raw("UPDATE exchange_messagelink SET message_id = %s WHERE seq = 2", [rows[2].pk])
    code, _, err = run("verify-log")
    assert code == 1 and err.startswith(f"消息日志在第 2 条断裂（消息 {rows[2].message_id}）：哈希不符")


def test_a_changed_signature_is_found(world):
    logged(world, 1)
    row = ExchangeMessage.objects.get(link__seq=1)
    raw(
        f"UPDATE exchange_exchangemessage SET signature = %s WHERE {at(1)}",  # noqa: S608
        [bytes(row.signature)[:-1] + bytes([row.signature[-1] ^ 0x01])],  # always a change
    )
    assert run("verify-log")[0] == 1


@needs_openssl
def test_the_export_is_a_signed_archive_openssl_can_check(world, tmp_path):
    rows = logged(world, 2)
    out = tmp_path / "archive.zip"
    code, text, _ = run("export", "--since", timezone.localdate().isoformat(), "--out", str(out))
    assert code == 0 and "已导出 4 条消息（第 1 至 4 条）" in text
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
        names = archive.namelist()
        everything = b"".join(archive.read(name) for name in names)
    assert SUSPECT_ID.encode() not in everything  # ID numbers never in clear, even in the archive

    manifest = (folder / "manifest.json").read_bytes()
    checked = openssl_verify(
        tmp_path / "m", (folder / "signer.pem").read_bytes(), manifest, (folder / "manifest.sig").read_bytes()
    )
    assert checked.returncode == 0, checked.stderr
    facts = json.loads(manifest)
    assert (facts["count"], facts["first_seq"], facts["last_seq"]) == (4, 1, 4)
    assert facts["head_hash"] == rows[-1].hash and facts["prev_hash"] == "0" * 64

    inbound = rows[0]  # the court's notice, signed with the court's key
    stem = f"messages/{inbound.seq:08d}-{inbound.message_id}"
    header = (folder / f"{stem}.header.json").read_bytes()
    pem = (folder / "keys" / f"{inbound.key_id}.pem").read_bytes()
    good = openssl_verify(tmp_path / "one", pem, header, (folder / f"{stem}.sig").read_bytes())
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout, good.stderr
    lines = [json.loads(line) for line in (folder / "messages.jsonl").read_text().splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3, 4]
    assert lines[1]["prev_hash"] == lines[0]["hash"]


def test_export_of_an_empty_period_and_a_bad_date(world, tmp_path):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    code, text, _ = run("export", "--since", tomorrow, "--out", str(tmp_path / "a.zip"))
    assert code == 0 and "已导出 0 条消息" in text
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run("export", "--since", "12/05/2026", "--out", str(tmp_path / "b.zip"))


def test_export_without_a_key_refuses(world, tmp_path, monkeypatch):
    from django.core.management import CommandError

    from sifa.core.signing import KeyRing

    empty = KeyRing(tmp_path / "none", generate=False)
    monkeypatch.setattr(envelopes, "default_keyring", lambda: empty)
    with pytest.raises(CommandError, match=r"exchange\.signing_unavailable"):
        run("export", "--since", "2026-01-01", "--out", str(tmp_path / "c.zip"))


# --- the tail anchor ------------------------------------------------------------------------------


def test_removing_the_newest_rows_is_found_against_the_anchor(world, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    logged(world, 2)
    receive(notice(world).as_wire())  # waiting rows: `anchor` chains them first
    code, out, _ = run("anchor", "--anchors", str(anchors))
    head = MessageLink.objects.order_by("-seq").first()
    assert code == 0 and out.startswith(f"已锚定第 6 条（{head.hash[:4]}…") and str(anchors) in out
    assert run("verify-log", "--anchors", str(anchors))[1] == "消息日志完整：已入链 6 条，核对锚点 1 个\n"
    remove("seq >= 5")  # the newest rows: no broken link
    assert run("verify-log")[0] == 0  # without the anchor (the default file is empty), nothing shows
    code, _, err = run("verify-log", "--anchors", str(anchors))
    assert code == 1 and err.startswith("消息日志在第 5 条断裂") and "链尾被截断" in err and "第 6 条" in err


def test_a_log_rewritten_from_a_row_on_is_found_against_the_anchor(world, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    rows = logged(world, 1)
    run("anchor", "--anchors", str(anchors))
    # Rewrite row 2 and recompute its hash: consistent in itself, but not what was anchored.
    row = ExchangeMessage.objects.get(link__seq=2)
    row.case_number = "X"
    forged = chain.row_hash(row.prev_hash, row, 2)
    assert forged != row.hash
    raw(f"UPDATE exchange_exchangemessage SET case_number = %s WHERE {at(2)}", ["X"])  # noqa: S608
    raw("UPDATE exchange_messagelink SET hash = %s WHERE seq = 2", [forged])
    assert run("verify-log")[0] == 0
    code, _, err = run("verify-log", "--anchors", str(anchors))
    assert (
        code == 1
        and err.startswith(f"消息日志在第 2 条断裂（消息 {rows[1].message_id}）")
        and "锚点哈希不符" in err
    )


def test_an_unreadable_anchor_file_is_an_error_not_a_pass(world, tmp_path):
    anchors = tmp_path / "anchors.jsonl"
    anchors.write_text("not json\n", encoding="utf-8")
    with pytest.raises(CommandError, match="无法解析"):
        call_command(
            "exchange", "verify-log", "--anchors", str(anchors), stdout=StringIO(), stderr=StringIO()
        )


def test_the_default_anchor_file_is_used_without_anchors(world, settings):
    logged(world, 1)
    code, out, _ = run("anchor")
    assert code == 0 and str(settings.VAR_DIR / "exchange-anchors" / "anchors.jsonl") in out
    remove("seq = 2")
    code, _, err = run("verify-log")
    assert code == 1 and "链尾被截断" in err


def test_chaining_reads_only_the_hashed_columns_and_costs_the_same_statements_per_batch(world):
    """``chain_pending`` reads the waiting rows with a raw query of the columns the chain hashes
    (``log._CHAINED_COLUMNS``): if the evidence needed another column, every row would cost one more
    query to load it, and the hashes would still have to agree with ``verify-log``'s full rows."""
    from django.test.utils import CaptureQueriesContext

    counts = []
    for batch in (1, 3):
        for _ in range(batch):
            receive(notice(world).as_wire())
        with CaptureQueriesContext(connection) as queries:
            assert log.chain_pending() == 2 * batch
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
    assert run("verify-log")[0] == 0
