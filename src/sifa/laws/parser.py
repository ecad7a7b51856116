"""Reading one statute file (pure: text in, :class:`ParsedStatute` out; nothing touches the database).

The format (``../shared/data/laws/README.md``): ``# 标题``; lines of promulgation and amendment
history; ``<!-- INFO END -->``; then ``## 第X章 …`` / ``### 第X节 …`` headings and paragraphs,
an article starting a paragraph with ``第X条`` (Chinese numerals, ``第X条之一`` too). Paragraphs
after an article and before the next one are its 款 and 项.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import PurePath

DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
NUMERAL = "零〇一二两三四五六七八九十百千万"
ARTICLE = re.compile(rf"^第([{NUMERAL}0-9]+)条(?:之([{NUMERAL}]+))?(?:[\s\u3000]+|$)(.*)$", re.S)
INFO_END = "<!-- INFO END -->"
FILE_DATE = re.compile(r"^(.*?)\((\d{4}-\d{2}-\d{2})\)$")
HISTORY_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(.*)$")
STATUS_WORDS = {
    "现行有效": "current",
    "已修订": "amended",
    "已修正": "amended",
    "已废止": "repealed",
    "失效": "repealed",
}


class ParseError(ValueError):
    """The file cannot be imported; the message (Chinese) is the reason the importer reports."""


def chinese_number(text: str) -> int:
    """``一百二十三`` → 123, ``十`` → 10, ``一千零一`` → 1001, ``二〇`` → 20; Arabic digits pass."""
    if not text:
        raise ValueError("empty numeral")
    if text.isdigit():
        return int(text)
    if not all(ch in DIGITS or ch in UNITS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if not any(ch in UNITS for ch in text):  # 二〇 — digit by digit
        return int("".join(str(DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch == "万":
            section = (section + (digit or 0)) * 10000
            total, section, digit = total + section, 0, None
        else:
            section += (1 if digit is None else digit) * UNITS[ch]
            digit = None
    return total + section + (digit or 0)


def chinese_numeral(n: int) -> str:
    """123 → ``一百二十三``, 10 → ``十``, 1001 → ``一千零一`` (the way statutes number articles)."""
    if n == 0:
        return "零"
    names = "零一二三四五六七八九"
    out, zero = [], False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and out:
                out.append("零")
            out.append(names[d] + unit)
            zero = False
        elif out:
            zero = True
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text


def article_label(number: int, suffix: int = 0) -> str:
    return f"第{chinese_numeral(number)}条" + (f"之{chinese_numeral(suffix)}" if suffix else "")


@dataclass
class ParsedHeading:
    level: int
    title: str
    position: int


@dataclass
class ParsedArticle:
    number: int
    suffix: int
    label: str
    paragraphs: list[str]
    heading: int | None  # position of the innermost heading it stands under
    position: int

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class ParsedStatute:
    slug: str
    title: str
    short_title: str
    category: str
    version_date: dt.date | None
    history: list[str] = field(default_factory=list)
    issuing_body: str = ""
    adopted_on: dt.date | None = None
    amended_on: dt.date | None = None
    effectiveness: str = ""
    preamble: list[str] = field(default_factory=list)
    headings: list[ParsedHeading] = field(default_factory=list)
    articles: list[ParsedArticle] = field(default_factory=list)


def names_from_path(relative: PurePath) -> tuple[str, str, dt.date | None, str]:
    """``行政法/律师法(2017-09-01).md`` → (category, short title, version date, slug)."""
    category = relative.parts[0] if len(relative.parts) > 1 else ""
    stem = relative.stem
    match = FILE_DATE.match(stem)
    if match:
        short, date = match.group(1), dt.date.fromisoformat(match.group(2))
        return category, short, date, f"{short}-{date.isoformat()}"
    folder = relative.parts[-2] if len(relative.parts) > 1 else ""
    if not folder or folder in stem:  # 刑法/刑法修正案（九）.md
        return category, stem, None, stem
    return category, f"{folder}{stem}", None, f"{folder}-{stem}"  # 民法典/总则.md → 民法典总则


def _history_date(line: str) -> tuple[dt.date | None, str]:
    match = HISTORY_DATE.match(line)
    if not match:
        return None, line
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))), match.group(4)
    except ValueError:
        return None, line


def _issuing_body(rest: str) -> str:
    """``第八届全国人民代表大会常务委员会第十九次会议通过`` → ``全国人民代表大会常务委员会``;
    ``中华人民共和国国务院令第338号公布`` → ``国务院``."""
    rest = re.sub(r"^第[^届]*届", "", rest)
    for marker in ("第", "会议", "令", "公告", "通过", "公布", "发布"):
        if marker in rest:
            rest = rest.split(marker, 1)[0]
            break
    return rest.removeprefix("中华人民共和国").strip(" ，,")[:300]


def parse(text: str, relative: PurePath) -> ParsedStatute:
    category, short, version_date, slug = names_from_path(relative)
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    title_line = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if title_line is None:
        raise ParseError("缺少“# 标题”行")
    if INFO_END not in lines:
        raise ParseError("缺少“<!-- INFO END -->”标记")
    info_end = lines.index(INFO_END)
    statute = ParsedStatute(slug, lines[title_line][2:].strip(), short, category, version_date)
    statute.history = [line for line in lines[title_line + 1 : info_end] if line]
    dated = [(d, rest) for d, rest in map(_history_date, statute.history) if d]
    if dated:
        statute.adopted_on = dated[0][0]
        statute.amended_on = dated[-1][0] if len(dated) > 1 else None
        statute.issuing_body = _issuing_body(dated[0][1])
    for line in statute.history:
        for word, value in STATUS_WORDS.items():
            if word in line and not statute.effectiveness:
                statute.effectiveness = value

    current_heading: int | None = None
    article: ParsedArticle | None = None
    position = 0
    for line in lines[info_end + 1 :]:
        if not line:
            continue
        if line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            title = re.sub(r"\s+", " ", line[hashes:].strip())
            if not title:
                continue
            position += 1
            statute.headings.append(ParsedHeading(max(hashes - 1, 1), title[:300], position))
            current_heading, article = position, None
            continue
        match = ARTICLE.match(line)
        if match:
            try:
                number = chinese_number(match.group(1))
                suffix = chinese_number(match.group(2)) if match.group(2) else 0
            except ValueError:
                match = None
        if match:
            position += 1
            first = match.group(3).strip()
            article = ParsedArticle(
                number,
                suffix,
                article_label(number, suffix),
                [first] if first else [],
                current_heading,
                position,
            )
            statute.articles.append(article)
        elif article is not None:
            article.paragraphs.append(line)
        elif not statute.articles:
            statute.preamble.append(line)
    if not statute.articles:
        raise ParseError("没有“第X条”格式的条文（如修正案、决定按“一、二、”编排），未导入")
    return statute
