"""Keyword search: BM25 over jieba tokens.

Dense vectors miss exact terms (`法治副校长`, `清膳E家`, numbers); BM25 catches them. Tokens are
computed once at index build time and stored with the passages, so loading costs no tokenising.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np

from .textnorm import normalize

_KEEP = re.compile(r"[\w%.]+")
# Function words that carry no topic; questions are full of them.
STOPWORDS = frozenset(
    "的 了 和 与 及 是 在 有 为 对 中 等 年 个 多少 什么 哪些 哪 几 如何 怎么 怎样 吗 呢 吧 啊 "
    "请问 一下 报告 情况 方面 工作 进行 开展 一个 我们 这个 那个 那 这 其 之 所 被 把 将 并 或".split()
)


@lru_cache(maxsize=1)
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def pos_tags(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs; 'ns' marks place names."""
    _jieba()
    import jieba.posseg

    return [(w, f) for w, f in jieba.posseg.lcut(text)]


_NOUN_FLAGS = ("n", "j", "vn")  # nouns (not places), abbreviations (中小学), verbal nouns (审查)


@lru_cache(maxsize=512)
def counted_phrase(question: str) -> tuple[str, tuple[str, ...]]:
    """What a how-many question counts, as worded after its counter, and the words of the noun run
    that ends it: 几件重大决策 → (重大决策, (重大, 决策)), 多少名拟聘用的教职工 → (拟聘用的教职工,
    (教职工,)), 多少个学位 → (学位, (学位,)); ('', ()) when nothing is named there (学法几次, 多少人次).
    Cached: the answer check asks it of the same question for every figure."""
    tags = pos_tags(normalize(question))
    start = next((i + 1 for i, (w, _) in enumerate(tags) if w.startswith(("多少", "几"))), None)
    if start is None:
        return "", ()
    asking = tags[start - 1][0]
    counter = asking.removeprefix("多少") if asking.startswith("多少") else asking.removeprefix("几")  # 几件 → 件
    phrase: list[str] = []
    noun: list[str] = []
    for i, (word, flag) in enumerate(tags[start:]):
        if i == 0 and not counter and (len(word) == 1 or word[0] in "人名万亿千百"):
            continue  # the counter itself (所 is tagged a conjunction, 项 and 人次 nouns)
        nounish = flag.startswith(_NOUN_FLAGS) and flag != "ns" or flag == "a" and not noun
        if flag == "x" or noun and not nounish:
            break
        phrase.append(word)
        if nounish:
            noun.append(word)
    if len("".join(noun)) < 2:
        return "", ()
    return "".join(phrase), tuple(noun)


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens of the normalised text, lower-cased, without stopwords/punctuation."""
    out = []
    for tok in _jieba().lcut_for_search(normalize(text).lower()):
        tok = tok.strip()
        if tok and tok not in STOPWORDS and _KEEP.fullmatch(tok):
            out.append(tok)
    return out


class BM25:
    """Okapi BM25 (k1=1.5, b=0.75) over pre-tokenised documents."""

    def __init__(self, docs: list[list[str]], k1: float = 1.5, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.lengths = np.array([len(d) for d in docs], dtype=np.float32)
        self.avg = float(self.lengths.mean()) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, d in enumerate(docs):
            for tok, tf in Counter(d).items():
                self.postings[tok].append((i, tf))
        self.idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        scores = np.zeros(self.n, dtype=np.float32)
        for tok in set(query_tokens):
            idf = self.idf.get(tok)
            if idf is None:
                continue
            rows, weights = self._arrays(tok)
            scores[rows] += idf * weights  # a token's rows are distinct, so fancy += adds each once
        return scores

    def _arrays(self, tok: str) -> tuple[np.ndarray, np.ndarray]:
        """A token's posting rows and BM25 term weights as arrays, computed on first use.

        Vectorised because a common token's posting list holds a large share of all passages:
        a Python loop over it took ~0.3-0.7 s per question at 100k passages (bench.scale).
        """
        cached = self._cache.get(tok)
        if cached is None:
            postings = self.postings[tok]
            rows = np.fromiter((i for i, _ in postings), dtype=np.int64, count=len(postings))
            tf = np.fromiter((t for _, t in postings), dtype=np.float32, count=len(postings))
            denom = tf + self.k1 * (1 - self.b + self.b * self.lengths[rows] / self.avg)
            cached = self._cache[tok] = (rows, tf * (self.k1 + 1) / denom)
        return cached

    def search(self, query_tokens: list[str], k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (row, score) pairs with a shared term; among `rows` only when given."""
        s = self.scores(query_tokens)
        if rows is not None:
            keep = np.zeros(self.n, dtype=bool)
            keep[rows] = True
            s[~keep] = 0.0
        top = np.argsort(-s)[:k]
        return [(int(i), float(s[i])) for i in top if s[i] > 0]
