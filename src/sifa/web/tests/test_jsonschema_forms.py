"""Form steps from JSON Schema: every field once, in a database-independent order, values round-trip."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from sifa.core.requesttext import invisible_character
from sifa.web import jsonschema_forms as jf

names = st.lists(st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True), min_size=1, max_size=12, unique=True)


def _schema(fields: list[str], required: list[str]) -> dict:
    return {
        "type": "object",
        "title": "申请表",
        "properties": {n: {"type": "string", "title": f"字段{n}", "maxLength": 50} for n in fields},
        "required": required,
    }


@given(names, st.data())
def test_steps_cover_every_field_once_whatever_the_stored_key_order(fields, data):
    required = data.draw(st.lists(st.sampled_from(fields), unique=True))
    shuffled = fields[:]
    random.Random(data.draw(st.integers())).shuffle(shuffled)
    steps = jf.steps_of(_schema(fields, required))
    # jsonb reorders keys: the steps must not depend on the stored order.
    assert [f.name for s in jf.steps_of(_schema(shuffled, required)) for f in s.fields] == [
        f.name for s in steps for f in s.fields
    ]
    flat = [f.name for s in steps for f in s.fields]
    assert sorted(flat) == sorted(fields) and flat[: len(required)] == required
    assert all(1 <= len(s.fields) <= jf.STEP_SIZE for s in steps)
    assert [s.number for s in steps] == list(range(1, len(steps) + 1))


@given(st.text(min_size=1, max_size=50).filter(lambda t: t.strip() == t and t))
def test_text_values_round_trip(value):
    """Any text a name may hold comes back unchanged; one with a control or format character (a
    bidi override, a backspace …) is refused with the field named (issue 14)."""
    schema = _schema(["name"], [])
    step = jf.steps_of(schema)[0]
    data, errors = jf.read_fields(step.fields, {"name": value}, {}, schema)
    if invisible_character(value) is None:
        assert errors == {} and jf.input_value(data, "name") == value
    else:
        assert "不可见的控制字符" in errors["name"]


def test_typed_widgets_convert_and_report_in_chinese():
    schema = {
        "type": "object",
        "properties": {
            "count": {"type": "integer", "title": "人数", "minimum": 1},
            "exempt": {"type": "boolean", "title": "免予核查"},
            "kind": {
                "type": "string",
                "title": "案件类别",
                "enum": ["civil", "criminal"],
                "x-ui": {"labels": ["民事", "刑事"]},
            },
            "facts": {"type": "string", "title": "案情", "minLength": 10},
            "who": {
                "type": "object",
                "title": "代理人",
                "properties": {"name": {"type": "string", "title": "姓名"}},
                "required": ["name"],
            },
        },
        "required": ["count", "kind", "facts"],
    }
    steps = jf.steps_of(schema)
    assert [s.legend for s in steps] == ["", "代理人"] and steps[1].fields[0].name == "who.name"
    fields = steps[0].fields
    assert {f.name: f.widget for f in fields} == {
        "count": "integer",
        "kind": "radio",
        "facts": "text",
        "exempt": "boolean",
    }
    data, errors = jf.read_fields(
        fields, {"count": "两", "kind": "other", "facts": "短", "exempt": "true"}, {}, schema
    )
    assert errors == {"count": "人数应为整数", "kind": "请从列表中选择案件类别", "facts": "案情内容过短"}
    data, errors = jf.read_fields(
        fields,
        {"count": "0", "kind": "civil", "facts": "十个字以上的案情说明。", "exempt": "false"},
        {},
        schema,
    )
    assert errors == {"count": "人数数值过小"} and data["exempt"] is False and data["kind"] == "civil"
    assert jf.display_value(fields[1], data) == "民事"
    data, errors = jf.read_fields(steps[1].fields, {"who.name": "李四"}, {}, schema)
    assert data == {"who": {"name": "李四"}} and errors == {}
