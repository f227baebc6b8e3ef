"""Which FAISS index holds the passage vectors: exact below a size, HNSW above it.

Measured by `python -m bench.scale` (bench/results/latest.md) on 2 cores with 384-dim e5 vectors:
exact inner-product search (IndexFlatIP) costs ~1 ms per question at 10k passages and 15-40 ms
at 100k (more under load), growing linearly, and is always right. HNSW (IndexHNSWFlat, M=32,
efConstruction=200) answers in ~1 ms at 100k with recall@10 0.965 against exact search at
efSearch=256, on recombined e5 vectors whose top-100 neighbours lie within 0.015 cosine of each
other (a hard case). Building it costs ~2-5 minutes at 100k on 2 cores, small next to embedding
100k passages (hours). IVF (nlist=4√n) reaches the same recall only at nprobe=64 and must be
retrained on every build, so it is not used.
Below the threshold exact search is fast enough and free of any recall loss; above it the linear
cost starts to count next to embedding the question (~50 ms), so the index switches.

Both kinds support `reconstruct(row)`, which rag/store.py and rag/retrieval.py rely on.
"""
from __future__ import annotations

import numpy as np

# Passages at which the index switches from exact search to HNSW (bench.scale: flat ≈ 15-40 ms/query here).
HNSW_THRESHOLD = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 256


def build_faiss_index(vectors: np.ndarray, dim: int, threshold: int = HNSW_THRESHOLD):
    """An inner-product index holding `vectors` (unit rows; row i = passage i).

    IndexFlatIP (exact) for fewer than `threshold` rows, IndexHNSWFlat (approximate, inner product)
    from `threshold` rows on. Call `tune_for_search` on an index read back from disk.
    """
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    if len(vectors) < threshold:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    if len(vectors):
        index.add(vectors)
    return tune_for_search(index)


def tune_for_search(index):
    """Set the search-time parameters that faiss does not store in the file (efSearch / nprobe)."""
    import faiss

    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexHNSW):
        inner.hnsw.efSearch = max(HNSW_EF_SEARCH, inner.hnsw.efSearch)
    return index


def restricted_search(index, query: np.ndarray, k: int, rows: np.ndarray | None):
    """(scores, rows) of the k nearest vectors, among `rows` only when given (one report's passages):
    faiss filters during the search itself (an IDSelector), so a small report among many still gets
    its own k nearest passages instead of whatever survives a global top-k."""
    import faiss

    query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
    if rows is None:
        return index.search(query, k)
    selector = faiss.IDSelectorBatch(np.ascontiguousarray(rows, dtype=np.int64))
    inner = faiss.downcast_index(index)
    if isinstance(inner, faiss.IndexHNSW):
        params = faiss.SearchParametersHNSW(sel=selector, efSearch=inner.hnsw.efSearch)
    else:
        params = faiss.SearchParameters(sel=selector)
    return index.search(query, min(k, len(rows)), params=params)
