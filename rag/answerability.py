"""Decide, before generating, whether the retrieved passages can answer the question at all.

Small models answer whatever they are asked, borrowing any number in sight ("2023年新建了96所…").
Two checks stop that, cheapest first:
1. Constraints: a year, a place or a quoted name (“澄学通”, 《…》) named in the question must appear
   in the passages (or their report's title); "2023年…" against 2024 passages, "宁波市…" against
   Hangzhou's, a platform the report never names, are refused.
2. Judge: the model scores whether the best passage directly answers the question, as
   logit('是') − logit('否'). The 1.5B is a usable judge, the 0.5B is not (as a reranker when the
   models were picked: 20/20 vs 9/20 top-1 on a paraphrase set), so only `default` has one. A score
   below the profile's `judge_min` is a refusal; the second passage gets a chance if the first fails.
"""
from __future__ import annotations

import re

from .generation import Generator
from .gazetteer import gazetteer, strip_suffix
from .prompting import focus, is_factual, judge_messages, shared_judge_messages
from .reportmeta import YEAR, unquoted
from .schema import ContextItem
from .textnorm import HAN, normalize

# what people put in quotes is a name they copied: a platform, an activity, a document's title
_QUOTED = re.compile(r"“([^”]{2,40})”|\"([^\"]{2,40})\"|「([^」]{2,40})」|《([^》]{2,60})》|‘([^’]{2,40})’")


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", normalize(text)).lower()


def missing_constraints(question: str, context: list[ContextItem], quoted: bool = True) -> list[str]:
    """Years, place names and quoted names the question asks about that no passage (or its report)
    mentions. `quoted=False`: the question is the model's translation, whose quotes hold the model's
    own wording ("four mandatory checks" → “强制性检查” for the report's “四必查”), not a copied name."""
    text = normalize(" ".join(f"{c.hit.passage.title} {c.hit.passage.scope} {c.hit.passage.path} {c.hit.passage.text}"
                              for c in context))
    q = normalize(question)
    bare = unquoted(q)  # a quoted title's years and places are checked as the quoted name itself
    missing = [y + "年" for y in YEAR.findall(bare) if y not in text]
    missing += [name for name, _, _ in gazetteer().named_places(bare) if strip_suffix(name) not in text]
    squeezed = _squeezed(text)
    missing += [f"“{name}”" for groups in (_QUOTED.findall(q) if quoted else []) for name in groups
                if HAN.search(name) and _squeezed(name) not in squeezed]
    return missing


def judge(generator: Generator, question: str, context: list[ContextItem], labelled: bool = False,
          tries: int = 2, enough: float = 2.5, chars: int = 0) -> float:
    """The best judge score over the first `tries` passages, stopping at the first that reaches
    `enough` (the refusal threshold: a higher score of the next passage would change nothing, and
    each passage costs ~1–3 s on 2 cores). `labelled`: the excerpt is shown with its report's label,
    so the judge sees whose figure it is. `chars`: for a factual question, the judge reads the
    passage's sentences closest to it within this many characters (at least the closest one), not
    the answer's excerpt: the sentence holding the figure is what it decides on, and each character
    costs prompt time. A plan or list keeps the excerpt: its heading and measures are the answer."""
    best = float("-inf")
    short = bool(chars) and is_factual(question)
    for item in context[:tries]:
        owner = f"【{item.hit.passage.scope}】" if labelled and item.hit.passage.scope else ""
        excerpt = focus(item.hit.passage.text, question, chars) if short else item.excerpt
        best = max(best, generator.yes_no(judge_messages(question, owner + excerpt)))
        if best >= enough:
            break
    return best


def judge_shared(generator: Generator, messages: list[dict]) -> float:
    """The judge asked at the end of the answer prompt (`messages`), over all its passages at once:
    the answer then reuses the evaluated prompt, so the passages are read once per question."""
    return generator.yes_no(shared_judge_messages(messages))
