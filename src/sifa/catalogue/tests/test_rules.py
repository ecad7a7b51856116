"""Pure rules: time-limit comparison, codes, form validation (no database)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sifa.catalogue.data.items import ITEMS
from sifa.catalogue.forms import validate_data
from sifa.catalogue.identifiers import basic_code, implementation_code, validate_implementation_code
from sifa.catalogue.quality import compare_limits
from sifa.core.identifiers import IdentifierError, make_uscc

UNITS = st.sampled_from(["working_day", "calendar_day", "month"])


@given(st.integers(0, 400), st.integers(0, 400), UNITS)
def test_same_unit_compares_values(promised, legal, unit):
    assert compare_limits((promised, unit), (legal, unit)) == ("ok" if promised <= legal else "exceeds")


@given(st.integers(1, 60), st.integers(1, 60), UNITS, UNITS)
def test_cross_unit_ok_is_never_wrong(promised, legal, p_unit, l_unit):
    """ "ok" across units must hold even in the worst case (longest promise, shortest legal period)."""
    verdict = compare_limits((promised, p_unit), (legal, l_unit))
    if verdict == "ok" and p_unit != l_unit:
        longest = {"calendar_day": promised, "month": 31 * promised, "working_day": promised * 7 / 5 + 9}[
            p_unit
        ]
        shortest = {"calendar_day": legal, "month": 28 * legal, "working_day": legal}[l_unit]
        assert longest <= shortest


def test_working_days_are_not_assumed_to_fit_in_as_many_calendar_days():
    assert compare_limits((10, "working_day"), (10, "calendar_day")) == "incomparable"
    assert compare_limits((7, "calendar_day"), (7, "working_day")) == "ok"


@given(st.text(min_size=1, max_size=40))
def test_implementation_code_parser_never_crashes(text):
    try:
        validate_implementation_code(text)
    except IdentifierError as exc:
        assert exc.code.startswith("catalogue.implementation_code")


def test_implementation_code_checks_uscc_level_basic_and_region():
    uscc = make_uscc("1", "1", "330100", "J0000001")
    code = implementation_code(uscc, "3", basic_code("01", 1, 1))
    assert validate_implementation_code(code) == (uscc, "3", "000100001001")
    bad = code[:17] + ("0" if code[17] != "0" else "1") + code[18:]
    with pytest.raises(IdentifierError, match="实施主体"):
        validate_implementation_code(bad)
    with pytest.raises(IdentifierError):
        validate_implementation_code(implementation_code(uscc, "8", "000100001001"))
    with pytest.raises(IdentifierError) as exc:
        validate_implementation_code(implementation_code(uscc, "3", "210100001000"))  # 辽宁 catalogue
    assert exc.value.code == "catalogue.implementation_code.region"


def test_form_errors_are_chinese_and_per_field():
    lawyer = next(spec for spec in ITEMS if spec["name"] == "律师执业许可")
    errors = validate_data(lawyer["form"], {"applicant_name": "张", "id_number": "123", "extra": 1})
    fields = {e["field"]: e["message"] for e in errors}
    assert fields["id_number"] == "公民身份号码的格式不正确"
    assert fields["phone"] == "请填写联系电话"
    assert fields["applicant_name"] == "申请人姓名内容过短"
    assert "law_firm" in fields and fields["extra"] == "表单包含未定义的字段"


def _fields(properties: dict, prefix: str = ""):
    for name, prop in (properties or {}).items():
        yield prefix + name, prop
        if prop.get("type") == "object":
            yield from _fields(prop.get("properties"), f"{prefix}{name}.")


def test_every_field_with_a_format_says_what_to_type():
    """“…的格式不正确” alone left an applicant guessing (法律职业资格证书编号 wants 8–30 capitals or
    digits; 联系电话 a mobile number, not a landline): a field with a pattern carries its hint."""
    for spec in ITEMS:
        for name, prop in _fields((spec.get("form") or {}).get("properties")):
            if "pattern" in prop:
                assert prop.get("description"), (spec["name"], name)


def test_names_in_form_data_refuse_bidi_controls():
    """Issue 14: ``applicant_name`` with U+202E was accepted; now a per-field Chinese error."""
    lawyer = next(spec for spec in ITEMS if spec["name"] == "律师执业许可")
    errors = validate_data(lawyer["form"], {"applicant_name": "张\u202e三", "law_firm": "某\u202e所"})
    [finding] = [e for e in errors if e["code"] == "name.invisible_character"]
    assert finding["field"] == "applicant_name"
    assert finding["message"].startswith("申请人姓名含有不可见的控制字符（U+202E")
    nested = {"type": "object", "properties": {"agents": {"type": "array", "title": "代理人"}}}
    errors = validate_data(nested, {"agents": [{"name": "李\u2066四"}], "note": "说明\u200b"})
    assert [(e["field"], e["code"]) for e in errors] == [("agents.0.name", "name.invisible_character")]


def test_every_shipped_item_has_a_source_and_statutory_basis():
    codes = [basic_code(*spec["code"]) for spec in ITEMS]
    assert len(codes) == len(set(codes)) >= 15
    assert all(spec["source"] and spec["legal_basis"] for spec in ITEMS)


def test_each_missing_required_field_is_reported_once():
    from sifa.catalogue.forms import validate_data

    schema = {
        "type": "object",
        "properties": {"a": {"type": "string", "title": "甲"}, "b": {"type": "string", "title": "乙"}},
        "required": ["a", "b"],
    }
    errors = validate_data(schema, {})
    assert sorted(e["field"] for e in errors) == ["a", "b"]


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item["name"])
def test_a_form_never_asks_again_what_a_situation_asked(item):
    """一次告知, no question twice: a 情形 answer (which decides the materials) is kept with the
    application; a form field of the same code would ask it again and could contradict it (法律援助
    申请 once asked 免予核查 as a 情形 and again as a form field)."""
    situations = {s["code"] for s in item.get("situations", [])}
    fields = set((item.get("form") or {}).get("properties") or {})
    assert not situations & fields
