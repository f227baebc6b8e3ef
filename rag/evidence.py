"""The sentence most likely to hold the answer, taken from the retrieved passages without a model.

On 2 cores the model needs ~10 s before its first word; this sentence is on screen ~0.1 s after
Enter, labelled 原文 with its report and section, so people read the report's own words while the
model works. Scoring is the context's (`prompting.sentence_scorer`: keyword characters, shared
bigrams, a count of what a how-many question counts), the passage's retrieval rank breaking ties.
"""
from __future__ import annotations

from .prompting import sentence_scorer
from .schema import Evidence, Hit
from .textnorm import sentences

RANK_PENALTY = 0.25


def best_evidence(hits: list[Hit], question: str) -> Evidence | None:
    """The best-scoring sentence of the hits (None when no sentence shares anything with the question)."""
    score = sentence_scorer(question)
    best: Evidence | None = None
    for hit in hits:
        p, at = hit.passage, 0
        for sentence in sentences(p.text):
            start, at = at, at + len(sentence)
            text = sentence.strip()
            if len(text) < 6:
                continue
            s = score(text)
            if s <= 0:
                continue
            s -= RANK_PENALTY * (hit.rank - 1)
            if best is None or s > best.score:
                lead = len(sentence) - len(sentence.lstrip())
                best = Evidence(p, text, p.start + start + lead, p.start + start + lead + len(text), s)
    return best
