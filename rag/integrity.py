"""Check that an index version is whole: vectors, passages, documents and manifest agree.

`rag index verify` runs this after every scenario a user worries about (a crash mid-build, a disk
that filled up, a hand-edited folder). Each check reads the stored files directly, not a cache.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import passage_id
from .errors import IndexMissing
from .loading import file_digest
from .store import IndexVersion, open_index, require_index


@dataclass
class Verification:
    version: str = ""
    checks: list[str] = field(default_factory=list)  # what was checked and held
    problems: list[str] = field(default_factory=list)  # what is wrong (the index needs a rebuild)
    notes: list[str] = field(default_factory=list)  # worth knowing, not wrong (pending source changes)

    @property
    def ok(self) -> bool:
        return not self.problems


def _check(result: Verification, ok: bool, passed: str, failed: str) -> None:
    (result.checks if ok else result.problems).append(passed if ok else failed)


def verify_index(index_dir: Path, embedder=None, sample: int = 8) -> Verification:
    """Verify the live version; with an embedder, also re-embed a sample of passages and compare."""
    result = Verification()
    try:
        path = require_index(index_dir)
    except IndexMissing as e:
        result.problems.append(str(e))
        return result
    result.version = path.name
    try:
        v = IndexVersion(path)
    except IndexMissing as e:
        result.problems.append(str(e))
        _note_fallback(result, index_dir)
        return result
    m, n = v.manifest, len(v.passages)
    _check(result, m.passages == n == v.faiss.ntotal, f"{n} passages, {n} vectors, manifest says {m.passages}",
           f"counts disagree: manifest {m.passages}, passages {n}, vectors {v.faiss.ntotal}")
    _check(result, v.faiss.d == m.dim, f"vectors are {m.dim}-dimensional ({m.embedder})",
           f"vectors are {v.faiss.d}-dimensional, manifest says {m.dim}")
    vectors = np.vstack([v.faiss.reconstruct(i) for i in range(n)]) if n else np.zeros((0, m.dim), np.float32)
    norms = np.linalg.norm(vectors, axis=1) if n else np.ones(0)
    _check(result, bool(np.all(np.isfinite(vectors))) and bool(np.all(np.abs(norms - 1) < 1e-3)),
           "every vector is finite and unit length", "some vectors are not finite or not unit length")
    bad_ids = [p.id for p in v.passages if p.id != passage_id(p.text)]
    _check(result, not bad_ids and len(v.row_of) == n, "passage ids are unique content hashes",
           f"{len(bad_ids)} passage ids do not match their text, or ids repeat")
    _check(result, len(v.tokens) == n and all(v.tokens), "every passage has keyword tokens",
           "some passages have no keyword tokens")

    con = sqlite3.connect(f"file:{path / 'passages.sqlite'}?mode=ro", uri=True)
    try:
        texts = dict(con.execute("SELECT doc_id, text FROM documents").fetchall())
    finally:
        con.close()
    docs = {d["doc_id"]: d for d in v.documents}
    _check(result, {d["path"]: d["file_sha256"] for d in v.documents} == m.documents,
           f"{len(docs)} reports, matching the manifest", "the documents table and the manifest list different reports")
    orphans, misplaced = 0, 0
    for p in v.passages:
        for loc in p.sources:
            text = texts.get(loc.doc_id)
            if text is None:
                orphans += 1
            elif not (0 <= loc.start < loc.end <= len(text)):
                misplaced += 1
        first = texts.get(p.sources[0].doc_id, "") if p.sources else ""
        if p.sources and first[p.sources[0].start:p.sources[0].end] != p.text:
            misplaced += 1
    _check(result, not orphans, "every passage's sources are indexed reports",
           f"{orphans} passage sources point to reports that are not in the index")
    _check(result, not misplaced, "every citation offset points at its passage's text in the report",
           f"{misplaced} passage offsets do not point at their text")

    if embedder is not None and n:
        if embedder.id != m.embedder:
            result.problems.append(f"the index was built with {m.embedder}, the profile's embedder is {embedder.id}")
        else:
            rows = np.linspace(0, n - 1, min(sample, n)).astype(int)
            fresh = embedder.embed_documents([v.passages[i].embed_text() for i in rows])
            cos = np.sum(fresh * vectors[rows], axis=1)
            _check(result, bool(np.all(cos > 0.99)), f"{len(rows)} passages re-embedded match their stored vectors "
                   f"(cosine ≥ {cos.min():.4f})", f"re-embedded passages differ from stored vectors (min cosine {cos.min():.3f})")

    for stale in index_dir.glob(".tmp-v-*"):
        result.notes.append(f"an unfinished build left {stale.name} (removed by the next build)")
    result.notes += pending_changes(m.documents)
    return result


def _note_fallback(result: Verification, index_dir: Path) -> None:
    """Which older version answers while the live one is damaged (open_index's fallback), if any."""
    try:
        v = open_index(index_dir)
    except IndexMissing:
        result.notes.append("no older version loads either: searches fail until `rag index rebuild`")
        return
    if v.fallback_from:  # None only if a build replaced the damaged version meanwhile
        result.notes.append(f"version {v.fallback_from} is damaged; {v.version} answers until `rag index rebuild`")


def pending_changes(indexed: dict[str, str]) -> list[str]:
    """Indexed files that changed or vanished on disk since the build (run `rag index build`)."""
    notes = []
    for path, digest in indexed.items():
        p = Path(path)
        try:
            if file_digest(p.read_bytes()) != digest:
                notes.append(f"{p.name} changed since the build: run `rag index build`")
        except OSError:
            notes.append(f"{p.name} is no longer on disk: run `rag index build` to drop it")
    return notes
