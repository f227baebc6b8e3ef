"""Find the passages that answer a question: dense (FAISS) and keyword (BM25) fused by RRF.

Reciprocal-rank fusion needs no score calibration between the two lists: a passage's fused score
is Σ 1/(60 + rank) over the lists it appears in. The dense cosine of the best hit and the keyword
match tell whether anything relevant was found at all (`Retrieval.relevant`).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from .embedding import Embedder
from .keyword import BM25, tokenize
from .schema import Hit, Retrieval, Scope
from .scoping import scope_question
from .store import IndexVersion, current_version_path, open_index
from .vector_index import restricted_search

RRF_K = 60
CANDIDATES = 20


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
        # One assignment swaps the version and its keyword index together: a search running during
        # a swap reads either the old pair or the new one, never new passages with old BM25 rows.
        self._state = (version, BM25(version.tokens))

    @property
    def version(self) -> IndexVersion:
        return self._state[0]

    def refresh(self) -> IndexVersion:
        """Switch to a newer live version if one was built since; in-flight searches keep theirs."""
        return self.current()[0]

    def current(self) -> tuple[IndexVersion, BM25]:
        """The live version and its keyword index, as one consistent pair."""
        state = self._state
        path = current_version_path(self.index_dir)
        if path is not None and path != state[0].path:
            with self._lock:
                if path != self._state[0].path:
                    self._load(open_index(self.index_dir, expect_embedder=self.embedder.id))
                state = self._state
        return state

    def scope(self, question: str) -> Scope:
        """Which indexed reports the question is about (see scoping.py). Even one report has a scope:
        a question about another place or year is out of it. Without any identity: unrestricted."""
        version = self.refresh()
        reports = version.reports
        if len(reports) < 2 and not any(info.years or info.place for info in reports.values()):
            return Scope()
        return scope_question(question, reports, lambda word: any(word in p.text for p in version.passages))

    def search(self, question: str, top_k: int, scope: Scope | None = None) -> Retrieval:
        """Dense and keyword candidates fused by RRF; only the scope's reports when it is restricted."""
        started = time.perf_counter()
        version, bm25 = self.current()
        scope = scope or Scope()
        rows = None
        if scope.restricted:
            found = [version.rows_of_doc[d] for d in scope.doc_ids if d in version.rows_of_doc]
            rows = np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)
        n = len(version.passages) if rows is None else len(rows)
        if n == 0:
            return Retrieval(question, [], False, time.perf_counter() - started, version.version, scope)
        q = self.embedder.embed_query(question)
        sims, found_rows = restricted_search(version.faiss, q, min(CANDIDATES, n), rows)
        dense = {int(r): float(s) for r, s in zip(found_rows[0], sims[0]) if r >= 0}
        q_tokens = tokenize(question)
        keyword = dict(bm25.search(q_tokens, min(CANDIDATES, n), rows))
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
        return Retrieval(question, hits, relevant, time.perf_counter() - started, version.version, scope)
