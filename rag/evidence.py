"""The sentence most likely to hold the answer, taken from the retrieved passages without a model.

On 2 cores the model needs ~10 s before its first word; this sentence is on screen ~0.1 s after
Enter, labelled 原文 with its report and section, so people read the report's own words while the
model works. Scoring is the context's (`prompting.sentence_scorer`: keyword characters, shared
bigrams, a count of what a how-many question counts), the passage's retrieval rank breaking ties.
A question in another language shares no words with the report: its sentence is picked by meaning
(`by_meaning`, the multilingual embedder), before the model translates the question.
"""
from __future__ import annotations

import re
from typing import Iterator

import numpy as np

from .checks.asked import unnamed
from .embedding import Embedder
from .prompting import sentence_scorer
from .schema import Evidence, Hit
from .reportmeta import YEAR
from .keyword import tokenize
from .textnorm import CLAUSE, asked_counter, bigrams, counted, counter_bigrams, figures, normalize, sentences

RANK_PENALTY = 0.25
MIN_SENTENCE = 6
# by meaning: EmbeddingGemma reads ~10 short texts/s on 2 cores, so each passage's first sentences,
# cut to their opening words (where a report sentence names its topic): ~0.8 s for 4 passages
MEANING_SENTENCES = 3
MEANING_CHARS = 40
MEANING_LIMIT = 12
_CLAUSE = re.compile(r"[,，;；]")
# a question asking for a figure, in English: its answer is a sentence that states one
_ASKS_FIGURE = re.compile(r"\b(?:how (?:many|much|long|often)|what (?:share|percentage|proportion|number)|number of|percent)",
                          re.IGNORECASE)


def _sentences(hit: Hit) -> Iterator[tuple[str, int, int]]:
    """The passage's sentences worth showing, with their offsets in the report's text."""
    p, at = hit.passage, 0
    for sentence in sentences(p.text):
        start, at = at, at + len(sentence)
        text = sentence.strip()
        if len(text) >= MIN_SENTENCE:
            lead = len(sentence) - len(sentence.lstrip())
            yield text, p.start + start + lead, p.start + start + lead + len(text)


def evidence_scorer(question: str):
    """`sentence_scorer` (which also picks the model's context) less the question's counter bigrams
    ("所学" of 多少所学校): the counter already earns its COUNT_BONUS where a figure of it stands, and as
    a bigram it would count again only where the report puts the noun after the figure ("22所学校"),
    never before it ("幼儿园96所"), outweighing the question's verb (新建)."""
    score, counter_grams = sentence_scorer(question), counter_bigrams(question)
    if not counter_grams:
        return score
    return lambda s: score(s) - 0.5 * len(counter_grams & bigrams(s))


def _counting_clause(question: str):
    """Of a how-many question: the most of its keyword characters a clause stating a figure of its
    counter carries (the count bonus is the sentence's, whichever of its figures earned it:
    "…行政复议申请5件…" and "…行政诉讼案件6件…" score alike for 几件行政诉讼案件); 0 for others."""
    counter, tokens = asked_counter(question), set(tokenize(question))
    if not counter:
        return lambda text: 0

    def carried(text: str) -> int:
        clauses = [normalize(c).lower() for c in CLAUSE.findall(text) if any(k == counter for _, k in counted(c))]
        return max((sum(len(t) for t in tokens if t in clause) for clause in clauses), default=0)
    return carried


def best_evidence(hits: list[Hit], question: str, names: tuple[str, ...] | list[str] = (),
                  years: tuple[int, ...] = ()) -> Evidence | None:
    """The best-scoring sentence of the hits (None when no sentence shares anything with the
    question); of equal scores, the one whose counting clause carries most of the question, then the
    first. Scored on what the question asks, without the reports' `names` and own `years` (`unnamed`):
    whose and when are the scope's to settle, and a report's opening sentence names its body and year
    ("2024年，云溪区教育局坚持…") without answering anything. Another year (a 2024 report's plans for
    2025) says what is asked and is kept."""
    question = unnamed(question, names, years)
    score, tie = evidence_scorer(question), _counting_clause(question)
    best: Evidence | None = None
    best_key: tuple[float, int] | None = None
    for hit in hits:
        for text, start, end in _sentences(hit):
            s = score(text)
            if s <= 0:
                continue
            s -= RANK_PENALTY * (hit.rank - 1)
            key = (s, tie(text))
            if best_key is None or key > best_key:
                best, best_key = Evidence(hit.passage, text, start, end, s), key
    return best


def by_meaning(hits: list[Hit], question: str, embedder: Embedder) -> Evidence | None:
    """The sentence closest in meaning to the question (any language), by its first MEANING_CHARS
    characters embedded in one batch; of a question asking for a figure, by the clauses of the hits
    that state one (wherever they are in their sentence: "…行政机关合同127件"), else by each hit's
    first MEANING_SENTENCES sentences."""
    found = []  # (hit, sentence, start, end, the text embedded)
    if _ASKS_FIGURE.search(question):
        found = [(hit, text, start, end, clause) for hit in hits for text, start, end in _sentences(hit)
                 for clause in _CLAUSE.split(text) if any(not YEAR.fullmatch(f) for f in figures(clause))]
        found = found[:MEANING_LIMIT]
    found = found or [(hit, *s, s[0]) for hit in hits for s in list(_sentences(hit))[:MEANING_SENTENCES]]
    if not found:
        return None
    vectors = embedder.embed_documents([embedded[:MEANING_CHARS] for *_, embedded in found])
    sims = vectors @ np.asarray(embedder.embed_query(question), dtype=np.float32)
    i = int(np.argmax(sims))
    hit, text, start, end, _ = found[i]
    return Evidence(hit.passage, text, start, end, float(sims[i]))


def similarity(evidence: Evidence, question: str, embedder: Embedder) -> float:
    """How close in meaning the evidence sentence is to the question (cosine of their embeddings;
    the question's is cached from retrieval when it was the query)."""
    vector = embedder.embed_documents([evidence.text])[0]
    return float(np.dot(np.asarray(vector, dtype=np.float32), np.asarray(embedder.embed_query(question), dtype=np.float32)))
