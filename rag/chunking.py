"""Cut deduplicated paragraphs into passages: paragraph-first, long ones on sentence ends.

A passage is always a contiguous span of its document, so a citation can point at exact offsets.
Splits happen only after sentence punctuation (。！？； and half-width ;!?), then at clause
commas for an over-long sentence, and never inside a number such as 10.09 or 1,385.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from .schema import Location, Paragraph, ParagraphGroup, Passage
from .textnorm import PATH_SEP, SENTENCE_END, normalize

_CLAUSE_END = re.compile(r"[,，、:：]")


def passage_id(text: str) -> str:
    return hashlib.sha1(normalize(text).encode("utf-8")).hexdigest()[:16]


def _spans(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    """Split text after each match of pattern; returns (start, end) pieces covering it all."""
    spans, start = [], 0
    for m in pattern.finditer(text):
        if m.end() > start:
            spans.append((start, m.end()))
            start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _safe_cut(text: str, start: int, limit: int) -> int:
    """A cut point ≤ start+limit that is not inside a run of digits/letters."""
    cut = start + limit
    while cut > start + 1 and (text[cut - 1].isalnum() or text[cut - 1] in ".,%") and text[cut].isalnum():
        cut -= 1
    return cut if cut > start + 1 else start + limit


def _units(text: str, limit: int) -> list[tuple[int, int]]:
    """Sentences, with over-long ones broken at clauses, then (last resort) at a safe point."""
    units = []
    for s, e in _spans(text, SENTENCE_END):
        if e - s <= limit:
            units.append((s, e))
            continue
        for cs, ce in _spans(text[s:e], _CLAUSE_END):
            cs, ce = cs + s, ce + s
            while ce - cs > limit:
                cut = _safe_cut(text, cs, limit)
                units.append((cs, cut))
                cs = cut
            units.append((cs, ce))
    return units


def split_text(text: str, max_chars: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of units into spans of at most max_chars; each span after the first starts
    with the previous span's last clause when that clause is no longer than `overlap`."""
    if len(text) <= max_chars:
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    cur_s, cur_e = None, None
    for s, e in _units(text, max_chars):
        if cur_s is None:
            cur_s, cur_e = s, e
        elif e - cur_s <= max_chars:
            cur_e = e
        else:
            spans.append((cur_s, cur_e))
            tail = [cs for cs, _ in _spans(text[cur_s:cur_e], _CLAUSE_END)]
            back = next((cur_s + cs for cs in tail if 0 < cur_e - (cur_s + cs) <= overlap and cur_s + cs > cur_s), None)
            cur_s = back if back is not None and e - back <= max_chars else s
            cur_e = e
    spans.append((cur_s, cur_e))
    return spans


def _shift(copy: Paragraph, rep: Paragraph, s: int, e: int) -> Location:
    """The location of a chunk inside a copy: exact when the copy's text is identical."""
    if copy.text == rep.text:
        return Location(copy.doc_id, copy.start + s, copy.start + e)
    return Location(copy.doc_id, copy.start, copy.end)


def chunk_groups(groups: list[ParagraphGroup], titles: dict[str, str], max_chars: int, overlap: int,
                 scopes: dict[str, str] | None = None) -> list[Passage]:
    """Passages for every kept paragraph; identical chunks from different paragraphs merge by id.
    `scopes`: each report's label (ReportInfo.label), carried by its passages."""
    scopes = scopes or {}
    passages: dict[str, Passage] = {}
    for g in groups:
        p = g.paragraph
        for s, e in split_text(p.text, max_chars, overlap):
            text = p.text[s:e].strip()
            if not text:
                continue
            lead = len(p.text[s:e]) - len(p.text[s:e].lstrip())
            s, e = s + lead, s + lead + len(text)
            locs = (Location(p.doc_id, p.start + s, p.start + e),) + tuple(_shift(c, p, s, e) for c in g.copies)
            pid = passage_id(text)
            if pid in passages:
                old = passages[pid]
                passages[pid] = Passage(**{**old.__dict__, "sources": old.sources + locs})
                continue
            passages[pid] = Passage(pid, p.doc_id, titles.get(p.doc_id, ""), PATH_SEP.join(p.path), text,
                                    p.start + s, p.start + e, locs)
    # A text several reports share belongs to each of them: its label names every owner.
    return [replace(p, scope="；".join(dict.fromkeys(scopes[loc.doc_id] for loc in p.sources if scopes.get(loc.doc_id))))
            for p in passages.values()]
