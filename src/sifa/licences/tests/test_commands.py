"""``sifa load-licence-types`` (idempotent) and ``sifa import-licences`` (all lines or none)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sifa.licences.models import IssueKind, Licence, LicenceType

from .conftest import CITIZEN_ID


def test_load_licence_types_is_idempotent_and_codes_use_the_ministry_uscc(orgs, capsys):
    call_command("load-licence-types")
    assert "新增 0 个，更新 0 个" in capsys.readouterr().out
    names = set(LicenceType.objects.values_list("name", flat=True))
    for name in ("律师执业证", "律师事务所执业许可证", "公证员执业证", "司法鉴定许可证", "司法鉴定人执业证",
                 "基层法律服务工作者执业证", "法律职业资格证书", "法律援助决定书"):  # fmt: skip
        assert name in names
    lawyer = LicenceType.objects.get(key="lawyer_licence")
    assert lawyer.code == orgs["ministry"].uscc + "001" and "律师执业证书" in lawyer.result_names


def test_load_licence_types_needs_the_ministry(db):
    with pytest.raises(CommandError, match=r"licence\.no_definer"):
        call_command("load-licence-types")


def _line(orgs, **changes) -> str:
    row = {
        "type": "lawyer_licence",
        "issuer_uscc": orgs["zj"].uscc,
        "number": "13301201810123456",
        "holder_name": "张三",
        "holder_code": CITIZEN_ID,
        "issue_date": "2018-05-02",
        "valid_from": "2018-05-02",
        "particulars": {"practice_organisation": "浙江示例律师事务所"},
    }
    row.update(changes)
    return json.dumps(row, ensure_ascii=False)


def test_import_signs_existing_licences_and_links_the_holder_account(orgs, people, tmp_path, capsys):
    file = tmp_path / "licences.jsonl"
    file.write_text(_line(orgs) + "\n\n" + _line(orgs, number="13301201810123457") + "\n", encoding="utf-8")
    call_command("import-licences", str(file))
    assert "已导入 2 个" in capsys.readouterr().out
    licence = Licence.objects.get(number="13301201810123456")
    assert licence.issue_kind == IssueKind.IMPORT and licence.holder == people["citizen"]
    assert licence.serial == "13301201810123456" and licence.reveal_holder_code() == CITIZEN_ID


def test_import_writes_nothing_when_any_line_is_bad_and_lists_every_problem(orgs, tmp_path):
    file = tmp_path / "licences.jsonl"
    lines = [
        _line(orgs),
        _line(orgs, holder_code=CITIZEN_ID[:-1] + ("0" if CITIZEN_ID[-1] != "0" else "1")),
        "{not json",
        _line(orgs, type="no_such_type"),
        _line(orgs, issue_date="2018/05/02"),
    ]
    file.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import-licences", str(file))
    message = str(error.value)
    for expected in ("第2行：[id_number.check_digit]", "第3行：不是有效的 JSON", "第4行：[licence.unknown_type]",
                     "第5行：[licence.bad_date]"):  # fmt: skip
        assert expected in message
    assert not Licence.objects.exists()
