"""Decide, before generating, whether the retrieved passages can answer the question at all.

Small models answer whatever they are asked, borrowing any number in sight ("2023年新建了96所…").
Two checks stop that, cheapest first:
1. Constraints: a year or a place named in the question must appear in the passages (or their
   report's title); "2023年…" against 2024 passages, "宁波市…" against Hangzhou's, are refused.
2. Judge: the model scores whether the best passage directly answers the question, as
   logit('是') − logit('否') (MODELS.md: the 1.5B is a usable judge, the 0.5B is not). A score
   below the profile's `judge_min` is a refusal; the second passage gets a chance if the first fails.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .generation import Generator
from .prompting import ContextItem, judge_messages
from .textnorm import normalize

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_PLACE_SUFFIX = re.compile(r"(市|省|区|县|州|镇|乡)$")
_GENERIC_PLACES = {"全市", "全省", "全国", "市", "省", "区", "县", "本市", "我市", "中国"}


@lru_cache(maxsize=1)
def _posseg():
    from .keyword import _jieba

    _jieba()
    import jieba.posseg

    return jieba.posseg


def missing_constraints(question: str, context: list[ContextItem]) -> list[str]:
    """Years and place names the question asks about that no passage (or its title) mentions."""
    text = normalize(" ".join(f"{c.hit.passage.title} {c.hit.passage.path} {c.hit.passage.text}" for c in context))
    q = normalize(question)
    missing = [y + "年" for y in _YEAR.findall(q) if y not in text]
    for word, flag in _posseg().lcut(q):
        # jieba tags many non-places as ns (午休, 新建): trust only names with a place suffix
        if flag == "ns" and len(word) >= 3 and _PLACE_SUFFIX.search(word) and word not in _GENERIC_PLACES:
            stem = re.sub(r"(市|省|区|县)$", "", word)
            if stem and stem not in text:
                missing.append(word)
    return missing


def judge(generator: Generator, question: str, context: list[ContextItem], tries: int = 2) -> float:
    """The best judge score over the first `tries` passages (stops at the first clear yes)."""
    best = float("-inf")
    for item in context[:tries]:
        best = max(best, generator.yes_no(judge_messages(question, item.excerpt)))
        if best > 2.5:  # a clear yes: no need to ask about the next passage
            break
    return best
