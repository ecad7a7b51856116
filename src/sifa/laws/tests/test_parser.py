"""Reading statute files: Chinese numerals, 之一 articles, headings, header lines."""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath

import pytest

from sifa.laws.parser import (
    ParseError,
    article_label,
    chinese_number,
    chinese_numeral,
    names_from_path,
    parse,
)

NUMERALS = [
    ("一", 1), ("十", 10), ("十一", 11), ("二十", 20), ("一百", 100), ("一百零五", 105), ("一百二十三", 123),
    ("二百", 200), ("一千零一", 1001), ("一千二百六十", 1260), ("一千二百六十条"[:6], 1260),
]  # fmt: skip


@pytest.mark.parametrize(("text", "number"), NUMERALS)
def test_chinese_numerals_both_ways(text: str, number: int) -> None:
    assert chinese_number(text) == number
    assert chinese_numeral(number) == text


def test_numerals_other_spellings() -> None:
    assert chinese_number("两百") == 200
    assert chinese_number("二〇") == 20
    assert chinese_number("12") == 12
    with pytest.raises(ValueError):
        chinese_number("条")


def test_article_labels() -> None:
    assert article_label(6) == "第六条"
    assert article_label(6, 1) == "第六条之一"
    assert article_label(123) == "第一百二十三条"


TEXT = """# 中华人民共和国示例法

1996年5月15日 第八届全国人民代表大会常务委员会第十九次会议通过

2017年9月1日 第十二届全国人民代表大会常务委员会第二十九次会议第三次修正

<!-- INFO END -->

本法序言。

## 第一章 总则

第一条 为了示例，制定本法。

第二条 第一款。

第二款（一）项；

### 第一节 细则

第一百二十三条 很长的法。

第一百二十三条之一 补充的条文。
"""


def test_a_statute_file() -> None:
    st = parse(TEXT, PurePath("行政法/示例法(2017-09-01).md"))
    assert (st.slug, st.short_title, st.category) == ("示例法-2017-09-01", "示例法", "行政法")
    assert st.title == "中华人民共和国示例法"
    assert st.version_date == dt.date(2017, 9, 1)
    assert st.adopted_on == dt.date(1996, 5, 15) and st.amended_on == dt.date(2017, 9, 1)
    assert st.issuing_body == "全国人民代表大会常务委员会"
    assert st.effectiveness == ""  # the source does not say
    assert st.preamble == ["本法序言。"]
    assert [(h.level, h.title) for h in st.headings] == [(1, "第一章 总则"), (2, "第一节 细则")]
    assert [(a.number, a.suffix, a.label) for a in st.articles] == [
        (1, 0, "第一条"), (2, 0, "第二条"), (123, 0, "第一百二十三条"), (123, 1, "第一百二十三条之一"),
    ]  # fmt: skip
    assert st.articles[1].paragraphs == ["第一款。", "第二款（一）项；"]
    assert st.articles[0].heading == st.headings[0].position
    assert st.articles[3].heading == st.headings[1].position


def test_a_repealed_statute_says_so() -> None:
    text = TEXT.replace("<!-- INFO END -->", "2020年1月1日 已废止\n\n<!-- INFO END -->")
    assert parse(text, PurePath("行政法/示例法(2017-09-01).md")).effectiveness == "repealed"


def test_file_names() -> None:
    assert names_from_path(PurePath("民法典/总则.md"))[1:] == ("民法典总则", None, "民法典-总则")
    assert names_from_path(PurePath("刑法/刑法修正案（九）.md"))[3] == "刑法修正案（九）"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("没有标题", "标题"),
        ("# 标题\n\n正文", "INFO END"),
        ("# 修正案\n\n<!-- INFO END -->\n\n一、将第一条修改为……", "第X条"),
    ],
)
def test_files_that_are_not_imported_say_why(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse(text, PurePath("刑法/x.md"))
