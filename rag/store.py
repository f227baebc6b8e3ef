"""The on-disk index: FAISS vectors + an SQLite passage store + a manifest, written as versions.

Layout of an index directory (one per profile):
    CURRENT              name of the live version (replaced atomically)
    v-<time>/faiss.index vectors, row i = passage row i (inner product on unit vectors; exact, or
                         HNSW for large indexes: see vector_index.py)
    v-<time>/passages.sqlite
    v-<time>/manifest.json   embedder id and dim, chunker settings, source hashes, build time
A build writes a new version beside the live one and then swaps CURRENT in one rename, so a
reader never sees a half-written index and a crashed build leaves the previous one intact.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .errors import IndexBusy, IndexMissing, RagError
from .schema import Document, Location, Passage, ReportInfo
from .vector_index import build_faiss_index, tune_for_search

FORMAT_VERSION = 3  # 2: documents keep their file's hash; 3: report identities, passages carry their report's label
KEEP_VERSIONS = 2
log = logging.getLogger("rag")


@dataclass
class Manifest:
    format_version: int
    embedder: str
    dim: int
    chunker: dict
    documents: dict  # file path -> sha256 of the file's bytes
    built_at: str
    passages: int
    dedup: dict
    source_dir: str = ""  # the folder of reports it was built from (status and later builds use it)


DOCUMENT_FIELDS = ("doc_id", "path", "title", "source", "published", "sha256", "file_sha256", "added_at", "info")


class IndexVersion:
    """A loaded, read-only index version. Cheap to search from many threads."""

    def __init__(self, path: Path):
        import faiss

        self.path = path
        try:
            self.manifest = Manifest(**json.loads((path / "manifest.json").read_text()))
            if self.manifest.format_version != FORMAT_VERSION:
                raise IndexMissing(f"The index at {path} was written by another version of this program "
                                   f"(format {self.manifest.format_version}, this one reads {FORMAT_VERSION}). "
                                   "Rebuild it with:  rag index rebuild")
            self.faiss = tune_for_search(faiss.read_index(str(path / "faiss.index")))
            con = sqlite3.connect(f"file:{path / 'passages.sqlite'}?mode=ro", uri=True)
            try:
                rows = con.execute("SELECT id, doc_id, title, path, text, start, end_, sources, tokens, scope "
                                   "FROM passages ORDER BY row").fetchall()
                self.documents = _documents(con)
            finally:
                con.close()
        except (OSError, ValueError, TypeError, RuntimeError, sqlite3.Error) as e:
            raise IndexMissing(f"The index at {path} is damaged or unreadable ({e}). "
                               "Rebuild it with:  rag index build") from None
        self.passages = [Passage(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                                 tuple(Location(*loc) for loc in json.loads(r[7])), r[9]) for r in rows]
        self.tokens = [r[8].split(" ") if r[8] else [] for r in rows]
        if self.faiss.ntotal != len(self.passages) or self.faiss.d != self.manifest.dim:
            raise IndexMissing(f"The index at {path} is inconsistent: {self.faiss.ntotal} vectors for "
                               f"{len(self.passages)} passages. Rebuild it with:  rag index build")
        self.row_of = {p.id: i for i, p in enumerate(self.passages)}
        rows_of: dict[str, list[int]] = {}
        for i, p in enumerate(self.passages):
            for doc_id in p.doc_ids:
                rows_of.setdefault(doc_id, []).append(i)
        self.rows_of_doc = {d: np.array(r, dtype=np.int64) for d, r in rows_of.items()}
        self.fallback_from: str | None = None  # set when the live version was damaged and this one stood in

    @property
    def version(self) -> str:
        return self.path.name

    @property
    def reports(self) -> dict[str, ReportInfo]:
        """Each indexed report's identity, by doc id."""
        return {d["doc_id"]: d["info"] for d in self.documents}

    def passage_count(self, doc_id: str) -> int:
        """How many passages hold text of this report (shared passages count for each)."""
        return len(self.rows_of_doc.get(doc_id, ()))

    def vector(self, passage_id: str) -> np.ndarray | None:
        row = self.row_of.get(passage_id)
        return None if row is None else self.faiss.reconstruct(row)

    def document(self, path: str) -> Document | None:
        """The stored document read from `path`, text included (so an unchanged file is not parsed again)."""
        meta = next((d for d in self.documents if d["path"] == path), None)
        if meta is None:
            return None
        con = sqlite3.connect(f"file:{self.path / 'passages.sqlite'}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT text FROM documents WHERE doc_id = ?", (meta["doc_id"],)).fetchone()
        finally:
            con.close()
        if row is None:
            return None
        return Document(meta["doc_id"], path, meta["title"], meta["source"], meta["published"], row[0],
                        meta["sha256"], meta["file_sha256"], meta["info"])

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())


def _documents(con: sqlite3.Connection) -> list[dict]:
    """The stored documents' metadata (not their text), each with its identity as a ReportInfo."""
    docs = [dict(zip(DOCUMENT_FIELDS, r)) for r in con.execute(
        f"SELECT {', '.join(DOCUMENT_FIELDS)} FROM documents ORDER BY added_at, path")]
    for d in docs:
        d["info"] = ReportInfo.from_json(json.loads(d["info"] or "{}"))
    return docs


@dataclass(frozen=True)
class Catalog:
    """What the live version holds, without its vectors or passages: the documents and each one's
    passage count. The web page reads it on every open; loading the whole index there cost a FAISS read."""

    version: str
    documents: list[dict]
    passage_counts: dict[str, int]

    @property
    def reports(self) -> dict[str, ReportInfo]:
        return {d["doc_id"]: d["info"] for d in self.documents}


def read_catalog(index_dir: Path) -> Catalog:
    """The live version's catalog, or IndexMissing (none, or unreadable)."""
    live = require_index(index_dir)
    try:
        con = sqlite3.connect(f"file:{live / 'passages.sqlite'}?mode=ro", uri=True)
        try:
            documents = _documents(con)
            counts: dict[str, int] = {}
            for doc_id, sources in con.execute("SELECT doc_id, sources FROM passages"):
                for d in {doc_id, *(loc[0] for loc in json.loads(sources))}:  # as Passage.doc_ids
                    counts[d] = counts.get(d, 0) + 1
        finally:
            con.close()
    except (OSError, ValueError, TypeError, sqlite3.Error) as e:
        raise IndexMissing(f"The index at {live} is damaged or unreadable ({e}). "
                           "Rebuild it with:  rag index build") from None
    return Catalog(live.name, documents, counts)


def current_version_path(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except OSError:
        return None
    path = index_dir / name
    return path if name and path.is_dir() else None


def live_format(index_dir: Path) -> int | None:
    """The live version's format number from its manifest alone (cheap), or None if there is none."""
    path = current_version_path(index_dir)
    try:
        return int(json.loads((path / "manifest.json").read_text())["format_version"]) if path else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remembered_source(index_dir: Path) -> Path | None:
    """The reports folder the live version was built from, if it still exists."""
    path = current_version_path(index_dir)
    try:
        source = json.loads((path / "manifest.json").read_text()).get("source_dir") if path else None
    except (OSError, ValueError, AttributeError):
        return None
    return Path(source) if source and Path(source).exists() else None


def require_index(index_dir: Path) -> Path:
    """The live version's folder, or IndexMissing with the command that builds it."""
    path = current_version_path(index_dir)
    if path is None:
        raise IndexMissing(f"No index found in {index_dir}. Build it with:  rag index build "
                           f"--profile {index_dir.name}")
    return path


def open_index(index_dir: Path, expect_embedder: str | None = None, fallback: bool = True) -> IndexVersion:
    """The live version, or IndexMissing with the command that builds it.

    If the live version is damaged (a disk error, a hand edit), the newest older version that still
    loads is used instead, with a warning: an index that answered yesterday keeps answering.
    """
    live = require_index(index_dir)
    try:
        version = IndexVersion(live)
    except IndexMissing as damaged:
        older = sorted((p for p in index_dir.glob("v-*") if p.is_dir() and p != live), reverse=True)
        version = None
        for path in older if fallback else []:
            try:
                version = IndexVersion(path)
                break
            except IndexMissing:
                continue
        if version is None:
            raise damaged
        version.fallback_from = live.name
        log.warning("%s Using the previous version %s until then.", damaged, path.name)
    if expect_embedder and version.manifest.embedder != expect_embedder:
        raise IndexMissing(f"The index in {index_dir} was built with the embedder '{version.manifest.embedder}', "
                           f"but this profile uses '{expect_embedder}'; its vectors are not comparable. "
                           "Rebuild it with:  rag index build --profile <profile>")
    return version


@contextmanager
def write_lock(index_dir: Path):
    """One writer at a time; a second gets a clear message instead of corrupting the first."""
    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / ".lock", "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise IndexBusy(f"Another process is writing the index in {index_dir}; nothing was changed. Wait for it "
                        "to finish, then try again.") from None
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def write_version(index_dir: Path, documents: list[Document], passages: list[Passage], tokens: list[list[str]],
                  vectors: np.ndarray, manifest: Manifest, added_at: dict[str, str] | None = None) -> Path:
    """Write a complete new version, fsync it, then make it live. Call under write_lock.

    Any failure (a full disk, a kill) leaves the live version as it was; the half-written folder is
    removed now or, after a kill, by the next build.
    """
    import faiss

    added_at = added_at or {}
    now = time.time()
    name = time.strftime("v-%Y%m%dT%H%M%S", time.localtime(now)) + f".{int(now % 1 * 1e6):06d}-{os.getpid()}"
    tmp = index_dir / f".tmp-{name}"
    try:
        tmp.mkdir(parents=True)
        faiss.write_index(build_faiss_index(vectors, manifest.dim), str(tmp / "faiss.index"))
        con = sqlite3.connect(tmp / "passages.sqlite")
        with con:
            con.execute("CREATE TABLE passages (row INTEGER PRIMARY KEY, id TEXT UNIQUE, doc_id TEXT, title TEXT, "
                        "path TEXT, text TEXT, start INTEGER, end_ INTEGER, sources TEXT, tokens TEXT, scope TEXT)")
            con.execute("CREATE TABLE documents (doc_id TEXT PRIMARY KEY, path TEXT, title TEXT, source TEXT, "
                        "published TEXT, sha256 TEXT, file_sha256 TEXT, added_at TEXT, info TEXT, text TEXT)")
            con.executemany("INSERT INTO passages VALUES (?,?,?,?,?,?,?,?,?,?,?)", [
                (i, p.id, p.doc_id, p.title, p.path, p.text, p.start, p.end,
                 json.dumps([[l.doc_id, l.start, l.end] for l in p.sources]), " ".join(t), p.scope)
                for i, (p, t) in enumerate(zip(passages, tokens))])
            con.executemany("INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?)", [
                (d.doc_id, d.path, d.title, d.source, d.published, d.sha256, d.file_sha256,
                 added_at.get(d.doc_id, manifest.built_at), json.dumps(d.info.to_json(), ensure_ascii=False), d.text)
                for d in documents])
        con.close()
        (tmp / "manifest.json").write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=1))
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        final = index_dir / name
        tmp.rename(final)
        pointer = index_dir / ".CURRENT.tmp"
        pointer.write_text(name)
        with open(pointer, "rb") as fh:
            os.fsync(fh.fileno())
        pointer.replace(index_dir / "CURRENT")
        dir_fd = os.open(index_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)
    except (OSError, RuntimeError, sqlite3.Error) as e:  # faiss reports a full disk as RuntimeError
        shutil.rmtree(tmp, ignore_errors=True)
        (index_dir / ".CURRENT.tmp").unlink(missing_ok=True)
        reason = getattr(e, "strerror", None) or str(e).strip().splitlines()[-1]
        raise RagError(f"Could not write the new index in {index_dir}: {reason}. The previous index "
                       "is untouched and still answers; free some disk space and run the build again.") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep=name)
    return final


def _prune(index_dir: Path, keep: str) -> None:
    """Drop old versions (readers that still hold one keep their open files) and stale temp dirs."""
    versions = sorted(p for p in index_dir.glob("v-*") if p.is_dir() and p.name != keep)
    for old in versions[:max(0, len(versions) - (KEEP_VERSIONS - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in index_dir.glob(".tmp-v-*"):
        shutil.rmtree(stale, ignore_errors=True)
