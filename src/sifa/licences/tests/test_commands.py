"""``sifa load-licence-types`` (idempotent) and ``sifa import-licences`` (all lines or none)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sifa.audit.models import AuditEvent
from sifa.core.errors import ServiceError
from sifa.licences.models import IssueKind, Licence, LicenceType
from sifa.licences.types import type_for, type_for_result
from sifa.testing import tree

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


def test_a_run_that_changes_the_types_is_audited_and_a_run_that_changes_nothing_is_not(orgs):
    (event,) = AuditEvent.objects.filter(action="licence.types_loaded")
    assert len(event.detail["created"]) == len(LicenceType.objects.all()) and event.detail["updated"] == []
    LicenceType.objects.filter(key="notary_licence").update(name="旧名称")
    call_command("load-licence-types")
    call_command("load-licence-types")
    assert [e.detail for e in AuditEvent.objects.filter(action="licence.types_loaded").order_by("seq")][
        1:
    ] == [{"created": [], "updated": ["notary_licence"]}]
    assert LicenceType.objects.get(key="notary_licence").name == "公证员执业证"


def test_looking_up_a_type_never_loads_the_types(db):
    """Regression (issue 10): the lookups loaded every type on first use — a read that wrote."""
    tree("ministry")
    assert type_for("lawyer_licence") is None
    assert type_for_result("不予许可决定书") is None
    with pytest.raises(ServiceError) as refused:
        type_for_result("律师执业证书")
    assert refused.value.code == "licence.types_not_loaded" and refused.value.status == 503
    assert not LicenceType.objects.exists()


def test_importing_before_the_types_are_loaded_says_what_to_run(db, tmp_path):
    file = tmp_path / "licences.jsonl"
    file.write_text('{"type": "lawyer_licence"}\n', encoding="utf-8")
    with pytest.raises(CommandError, match="sifa load-licence-types"):
        call_command("import-licences", str(file))


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
