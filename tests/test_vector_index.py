"""The FAISS index choice: exact below the threshold, HNSW above it, both able to reconstruct rows."""
from __future__ import annotations

import numpy as np

from rag.vector_index import build_faiss_index, tune_for_search


def _unit(rng, n, d):
    v = rng.standard_normal((n, d)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_small_corpus_uses_exact_search():
    import faiss

    vectors = _unit(np.random.default_rng(0), 200, 32)
    index = build_faiss_index(vectors, 32)
    assert isinstance(faiss.downcast_index(index), faiss.IndexFlatIP)
    assert np.allclose(index.reconstruct(7), vectors[7])


def test_large_corpus_uses_hnsw_with_good_recall_and_survives_a_round_trip(tmp_path):
    import faiss

    rng = np.random.default_rng(1)
    d = 64
    # clustered vectors, like real embeddings, so approximate search has something to get wrong
    centres = _unit(rng, 30, d)
    vectors = centres[rng.integers(0, 30, 3000)] + 0.35 * _unit(rng, 3000, d)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[rng.choice(3000, 50, replace=False)] + 0.2 * _unit(rng, 50, d)
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)

    index = build_faiss_index(vectors, d, threshold=1000)
    assert isinstance(faiss.downcast_index(index), faiss.IndexHNSWFlat)
    assert index.metric_type == faiss.METRIC_INNER_PRODUCT and index.ntotal == 3000

    exact = faiss.IndexFlatIP(d)
    exact.add(vectors)
    _, truth = exact.search(queries, 10)

    faiss.write_index(index, str(tmp_path / "faiss.index"))
    loaded = tune_for_search(faiss.read_index(str(tmp_path / "faiss.index")))
    _, found = loaded.search(queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.9, recall
    assert np.allclose(loaded.reconstruct(123), vectors[123], atol=1e-6)


def test_empty_corpus():
    index = build_faiss_index(np.zeros((0, 16), np.float32), 16)
    assert index.ntotal == 0 and index.d == 16
