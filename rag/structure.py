"""Split a report into paragraphs and give each the path of section headings above it.

Government reports number their sections `一、` › `(一)`/`（一）` › `1.`/`1、` › `(1)`. A heading is
either a line of its own or the first sentence of a paragraph ("(二)优化营商环境,推进依法高效履职。…");
either way it becomes part of the path, e.g. `一、2024年推进法治政府建设主要情况 › (二)优化营商环境…`.
"""
from __future__ import annotations

import re

from .reportmeta import is_boilerplate, metadata_span
from .schema import Document, Paragraph
_CN_NUM = "一二三四五六七八九十百零〇"
HEADING_LEVELS = (
    (1, re.compile(rf"^[{_CN_NUM}]+\s*[、.．]")),
    (2, re.compile(rf"^[(（]\s*[{_CN_NUM}]+\s*[)）]")),
    (3, re.compile(r"^\d{1,2}\s*(?:[、．]|\.(?!\d))")),
    (4, re.compile(r"^[(（]\s*\d{1,2}\s*[)）]")),
)
_MD_HEADING = re.compile(r"^(#{1,6})\s+")
_FIRST_SENTENCE = re.compile(r"^.+?[。：:！？!?]")
MAX_HEADING_CHARS = 60


def heading_level(line: str) -> int | None:
    if m := _MD_HEADING.match(line):
        return len(m.group(1))
    for level, pattern in HEADING_LEVELS:
        if pattern.match(line):
            return level
    return None


def _lines(text: str):
    """(start, end, stripped line) for each non-empty line."""
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            yield pos + lead, pos + lead + len(stripped), stripped
        pos += len(raw) + 1


def split_paragraphs(doc: Document) -> list[Paragraph]:
    """Body paragraphs of `doc` with heading paths; the title line and page boilerplate are skipped."""
    paragraphs: list[Paragraph] = []
    stack: list[tuple[int, str]] = []
    for start, end, line in _lines(doc.text):
        if line.lstrip("# ").strip() == doc.title:
            stack = []  # the title (again): a page that repeats its report starts over
            continue
        if is_boilerplate(line):
            # The source/date header answers "who published this, when": keep it, under the title.
            if span := metadata_span(line):
                paragraphs.append(Paragraph(doc.doc_id, line[span[0]:span[1]], start + span[0], start + span[1],
                                            (doc.title,)))
            continue
        level = heading_level(line)
        if level is not None:
            md = _MD_HEADING.match(line)
            body = line[md.end():] if md else line
            lead = _FIRST_SENTENCE.match(body)
            standalone = md is not None or len(body) <= MAX_HEADING_CHARS and (not lead or lead.end() >= len(body) - 1)
            heading = body if standalone else lead.group().rstrip("。：:") if lead else body[:MAX_HEADING_CHARS]
            stack = [(lv, h) for lv, h in stack if lv < level] + [(level, heading)]
            if standalone:
                continue
        paragraphs.append(Paragraph(doc.doc_id, line, start, end, tuple(h for _, h in stack)))
    return paragraphs
