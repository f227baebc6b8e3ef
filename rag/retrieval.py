"""Find the passages that answer a question: dense (FAISS) and keyword (BM25) fused by RRF.

Reciprocal-rank fusion needs no score calibration between the two lists: a passage's fused score
is Σ 1/(60 + rank) over the lists it appears in. The dense cosine of the best hit and the keyword
match tell whether anything relevant was found at all (`Retrieval.relevant`).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .chunking import Passage
from .embedding import Embedder
from .keyword import BM25, tokenize
from .store import IndexVersion, current_version_path, open_index

RRF_K = 60
CANDIDATES = 20


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float  # fused RRF score: only comparable within one question
    dense: float  # cosine similarity of question and passage
    keyword: float  # BM25 score (0 = no shared term)
    rank: int  # 1-based


@dataclass(frozen=True)
class Retrieval:
    question: str
    hits: list[Hit]
    relevant: bool  # False: nothing in the reports is about this question
    seconds: float
    index_version: str


class Retriever:
    """Searches the live index of one profile; picks up a newly built version on the next search."""

    def __init__(self, index_dir: Path, embedder: Embedder, min_dense: float, min_keyword_share: float = 0.5):
        self.index_dir = index_dir
        self.embedder = embedder
        self.min_dense = min_dense
        self.min_keyword_share = min_keyword_share
        self._lock = threading.Lock()
        self._load(open_index(index_dir, expect_embedder=embedder.id))

    def _load(self, version: IndexVersion) -> None:
        self.version = version
        self.bm25 = BM25(version.tokens)

    def refresh(self) -> IndexVersion:
        """Switch to a newer live version if one was built since; in-flight searches keep theirs."""
        path = current_version_path(self.index_dir)
        if path is not None and path != self.version.path:
            with self._lock:
                if path != self.version.path:
                    self._load(open_index(self.index_dir, expect_embedder=self.embedder.id))
        return self.version

    def search(self, question: str, top_k: int) -> Retrieval:
        started = time.perf_counter()
        version, bm25 = self.refresh(), self.bm25
        n = len(version.passages)
        if n == 0:
            return Retrieval(question, [], False, time.perf_counter() - started, version.version)
        q = self.embedder.embed_query(question)
        sims, rows = version.faiss.search(q.reshape(1, -1).astype(np.float32), min(CANDIDATES, n))
        dense = {int(r): float(s) for r, s in zip(rows[0], sims[0]) if r >= 0}
        q_tokens = tokenize(question)
        keyword = dict(bm25.search(q_tokens, min(CANDIDATES, n)))
        fused: dict[int, float] = {}
        for ranking in (sorted(dense, key=dense.get, reverse=True), sorted(keyword, key=keyword.get, reverse=True)):
            for rank, row in enumerate(ranking, 1):
                fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank)
        order = sorted(fused, key=fused.get, reverse=True)[:top_k]
        hits = []
        for rank, row in enumerate(order, 1):
            if row not in dense:  # a keyword-only hit: its cosine, for display and gating
                dense[row] = float(version.faiss.reconstruct(row) @ q)
            hits.append(Hit(version.passages[row], fused[row], dense[row], keyword.get(row, 0.0), rank))
        best_dense = max(dense.values(), default=0.0)
        matched = {t for t in q_tokens if t in bm25.idf}
        share = len(matched) / len(set(q_tokens)) if q_tokens else 0.0
        relevant = best_dense >= self.min_dense or share >= self.min_keyword_share
        return Retrieval(question, hits, relevant, time.perf_counter() - started, version.version)
