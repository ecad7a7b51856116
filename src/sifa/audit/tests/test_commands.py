"""``sifa audit verify | tail | anchor`` as an operator sees them."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sifa.audit.chain import default_anchor_path
from sifa.audit.models import AuditEvent
from sifa.audit.tests.conftest import make_chain, raw, triggers_dropped

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_verify_reports_an_intact_chain():
    make_chain(3)
    assert run("verify") == (0, "审计链完整：共 3 条\n", "")


def test_verify_exits_1_and_names_the_broken_row():
    make_chain(4)
    with triggers_dropped():
        raw("DELETE FROM audit_auditevent WHERE seq = 2")
    code, out, err = run("verify", "--batch-size", "1")
    assert code == 1 and out == ""
    assert err.startswith("审计链在第 2 条断裂：第 2 条缺失")


def test_anchor_appends_json_lines_that_verify_checks(settings):
    make_chain(2)
    code, out, _ = run("anchor")
    assert code == 0 and out.startswith("已锚定第 2 条")
    make_chain(1)
    run("anchor")
    lines = [json.loads(line) for line in default_anchor_path().read_text().splitlines()]
    assert [line["seq"] for line in lines] == [2, 3]
    with triggers_dropped():
        raw("DELETE FROM audit_auditevent WHERE seq = 3")
    code, _, err = run("verify")
    assert code == 1 and "链尾被截断" in err


def test_verify_until_checks_only_the_anchors_written_by_then():
    """After a restore to a time, later anchors name the events the restore dropped (docs/operations.md)."""
    make_chain(2)
    head = AuditEvent.objects.order_by("-seq").values_list("hash", flat=True).first()
    default_anchor_path().parent.mkdir(parents=True, exist_ok=True)
    default_anchor_path().write_text(
        json.dumps({"seq": 2, "hash": head, "anchored_at": "2026-12-05T10:00:00+08:00"})
        + "\n"
        + json.dumps({"seq": 5, "hash": "f" * 64, "anchored_at": "2026-12-05T12:00:00+08:00"})
        + "\n"
    )
    code, _, err = run("verify")
    assert code == 1 and "链尾被截断" in err
    assert run("verify", "--until", "2026-12-05T11:00:00") == (0, "审计链完整：共 2 条\n", "")
    assert run("verify", "--until", "2026-12-05T03:00:00+00:00")[0] == 0
    assert run("verify", "--until", "2026-12-05T12:00:00+08:00")[0] == 1
    with pytest.raises(CommandError, match="无法识别的时间"):
        run("verify", "--until", "yesterday")


def test_verify_refuses_an_unreadable_anchor_file():
    default_anchor_path().parent.mkdir(parents=True)
    default_anchor_path().write_text("{not json\n")
    with pytest.raises(CommandError, match="第 1 行无法解析"):
        run("verify")


def test_tail_shows_the_newest_events_oldest_first(citizen):
    make_chain(5)
    code, out, _ = run("tail", "-n", "2")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2
    assert lines[0].startswith("4\t") and lines[1].startswith("5\t")
    assert "test.step" in lines[1] and "成功" in lines[1]


def test_tail_labels_known_actions(citizen):
    from sifa.audit import services

    services.record("auth.login", actor=citizen)
    _, out, _ = run("tail", "-n", "1")
    assert "登录（auth.login）" in out and "citizen-1" in out
