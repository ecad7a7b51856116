"""The safe Markdown subset of a notice's body, rendered with escaping.

What it understands (everything else is plain text, shown as typed):

* a blank line separates paragraphs; a single line break stays a line break;
* ``## 标题`` and ``### 标题`` at the start of a line: a sub-heading (h2, h3);
* lines starting ``- `` or ``* ``: a bulleted list; lines starting ``1. `` (any number): a numbered list;
* ``**加粗**`` inside a line: strong emphasis.

No links, images, HTML or attributes: the text is escaped first (``django.utils.html.escape``),
and only the tags above are added around escaped text, so nothing a drafter types can become
markup, a script or a link to elsewhere.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
BULLET = re.compile(r"^[-*]\s+(.*)$")
NUMBERED = re.compile(r"^\d{1,3}[.、]\s*(.*)$")
HEADING = re.compile(r"^(#{2,3})\s+(.*)$")


def _inline(text: str) -> str:
    return BOLD.sub(r"<strong>\1</strong>", escape(text))


def _block(lines: list[str]) -> str:
    heading = HEADING.match(lines[0]) if len(lines) == 1 else None
    if heading:
        level = len(heading[1])
        return f"<h{level}>{_inline(heading[2].strip())}</h{level}>"
    if all(BULLET.match(line) for line in lines):
        return "<ul>" + "".join(f"<li>{_inline(BULLET.match(x)[1])}</li>" for x in lines) + "</ul>"
    if all(NUMBERED.match(line) for line in lines):
        return "<ol>" + "".join(f"<li>{_inline(NUMBERED.match(x)[1])}</li>" for x in lines) + "</ol>"
    return "<p>" + "<br>".join(_inline(line) for line in lines) + "</p>"


def render(body: str) -> SafeString:
    """The body as HTML: escaped text in p, h2, h3, ul, ol, li, strong and br only."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in (body or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            if current:
                blocks.append(current)
            current = []
        elif HEADING.match(line):
            # A heading is a block of its own, even without blank lines around it.
            if current:
                blocks.append(current)
            blocks.append([line])
            current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    return mark_safe("\n".join(_block(block) for block in blocks))  # noqa: S308  (escaped above)


def plain(body: str, limit: int = 120) -> str:
    """A plain-text summary: the markers removed, whitespace folded, cut at ``limit`` characters."""
    text = re.sub(r"^(#{2,3}|[-*]|\d{1,3}[.、])\s*", "", body or "", flags=re.M)
    text = re.sub(r"\s+", " ", text.replace("**", "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
