"""Where a text counts things: its stretches (a clause stating figures with the clauses before it
that name what they count), ranks, levels, and whether a sentence states the count a question asks."""
from __future__ import annotations

import re

from ..reportmeta import YEAR
from ..textnorm import CLAUSE, MARKER, cn_digits, counted, figures, normalize, sentences
from ..schema import LEVEL_WORD
from .asked import Asked

_PIECE = re.compile(r"(?:[^，,；;、。！？!?\n]|,(?=\d{3}))+[，,；;、。！？!?\n]*")
_ORDINAL_FIGURE = re.compile(r"第\s*(\d+)")


def stretches(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each stretch of a text that states figures, with its figures and what they count: the clause
    holding them plus the figure-less clauses before it in the same sentence (where the subject
    often is). '连续4年开展甲,连续9年开展乙' is two stretches: 9 belongs to 乙 only."""
    out = []
    for sentence in sentences(text):
        pending = ""
        for piece in _PIECE.findall(sentence):
            found = [(f, c) for f, c in counted(piece) if not YEAR.fullmatch(f)]
            if found:
                out.append((pending + piece, found))
                pending = ""
            else:
                pending += piece
    return out


def ordinals(text: str) -> set[str]:
    """The ranks a text states (第1, 全省第一 = 第1): a rank is not a count of the same digits."""
    return set(_ORDINAL_FIGURE.findall(cn_digits(MARKER.sub("", text))))


def other_level(figure: str, counts: str, held: list[str], asked: Asked) -> bool:
    """The question asks at one level (全国比赛) and every clause of `held` stating the figure (with
    the same counter, when one states it so: 4人, not 连续4年) names another level and not the
    question's ("今年在全省比赛中获…一等奖4人")."""
    if not asked.levels:
        return False
    clauses = [c for s in held for c in CLAUSE.findall(s) if figure in figures(c)]
    clauses = [c for c in clauses if (figure, counts) in counted(c)] or clauses
    levels = [set(LEVEL_WORD.findall(c)) for c in clauses]
    return bool(levels) and all(named and not named & asked.levels for named in levels)


def counting_spans(sentence: str, asked: Asked, share: float, noun_alone: bool = False) -> list[tuple[int, int]]:
    """Where a sentence answers a how-many question: the spans of its stretches that state a figure
    of what the question counts (名, 件) and carry `share` of what the question asks about, of at
    least two words (`noun_alone`: or the one word that is the thing counted, `Asked.specific`)."""
    if not asked.counter or not (asked.specific if noun_alone else len(asked.subject) >= 2):
        return []
    spans, at = [], 0
    for text, found in stretches(sentence):
        start = sentence.find(text, at)
        if start < 0:  # not verbatim (never expected): no span to point at
            return []
        at = start + len(text)
        if any(c == asked.counter for _, c in found) and len(asked.carried(text)) >= share * len(asked.subject):
            spans.append((start, at))
    return spans


def states_count(sentence: str, asked: Asked, share: float, noun_alone: bool = False) -> bool:
    """Whether a sentence answers a how-many question (`counting_spans`)."""
    return bool(counting_spans(sentence, asked, share, noun_alone))


def counting_part(sentence: str, asked: Asked, share: float) -> str:
    """The part of a sentence that answers a how-many question, verbatim: from the first to the last
    counting stretch ("连续4年开展甲,连续9年开展乙,连续11年开展丙", asked about 丙: only 丙's stretch,
    so another activity's count is not shown beside it)."""
    spans = counting_spans(sentence, asked, share, noun_alone=True)
    return sentence[spans[0][0]:spans[-1][1]] if spans else sentence


def counts_something_else(text: str, asked: Asked) -> bool:
    """A how-many question answered with figures none of which counts what was asked (多少件 → 7386名)."""
    found = [c for f, c in counted(text) if not YEAR.fullmatch(f)]
    return bool(asked.counter and found and asked.counter not in found)


def names_thing(text: str, noun: str) -> bool:
    """Whether a stretch names the very thing a question counts (新增学位10.09万个 for 多少个学位)."""
    return bool(noun) and noun in normalize(text)
