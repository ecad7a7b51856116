"""The sealed 补正告知书 names each item's material or form field: a field by the title the form
shows (申请表：通讯地址), not a bare 申请表."""

from __future__ import annotations

import pytest

from sifa.catalogue.forms import field_title
from sifa.workflow.services.casedocs import correction_items

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "姓名"},
        "address": {"type": "object", "title": "通讯地址", "properties": {"city": {"title": "所在城市"}}},
        "members": {
            "type": "array",
            "items": {"type": "object", "properties": {"name": {"title": "成员姓名"}}},
        },
    },
}


def test_a_field_is_named_by_its_title():
    assert field_title(SCHEMA, "name") == "姓名"
    assert field_title(SCHEMA, "address.city") == "所在城市"
    assert field_title(SCHEMA, "members.0.name") == "成员姓名"
    assert field_title(SCHEMA, "cert") == ""


@pytest.mark.django_db
def test_the_letter_rows_name_the_field():
    rows = correction_items(
        [
            {"field": "address", "message": "地址不完整，请写明门牌号"},
            {"field": "name", "message": "与身份证不一致"},
        ],
        SCHEMA,
    )
    assert [row["material"] for row in rows] == ["申请表：通讯地址", "申请表：姓名"]
    # Without the form (an old notice's letter), a field item still reads 申请表.
    assert correction_items([{"field": "name", "message": "与身份证不一致"}])[0]["material"] == "申请表"
