"""Build an index from a folder of reports: load → structure → dedup → chunk → embed → store.

Vectors of passages that the live index already holds (same embedder, same text) are reused,
so rebuilding after adding one report embeds only that report's new passages.
"""
from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import chunk_groups
from .config import Config
from .dedup import NGRAM, deduplicate
from .embedding import Embedder
from .errors import BadInput, IndexMissing
from .keyword import tokenize
from .loading import SUPPORTED_SUFFIXES, Document, load_document
from .store import FORMAT_VERSION, Manifest, current_version_path, open_index, write_lock, write_version
from .structure import split_paragraphs


@dataclass
class BuildReport:
    documents: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    paragraphs: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    full_rebuild_reason: str = ""
    seconds: float = 0.0
    version: str = ""


def find_reports(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise BadInput(f"{source} is neither a report file nor a folder of reports.")
    return sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(source).parts))


def chunker_settings(config: Config) -> dict:
    return {"chunk_chars": config.chunk_chars, "overlap": config.chunk_overlap,
            "near_dup_threshold": config.near_dup_threshold, "ngram": NGRAM, "format": FORMAT_VERSION}


def build_index(config: Config, embedder: Embedder, source: Path | None = None, progress_factory=None) -> BuildReport:
    """Index every report under `source` (default: config.source_dir) into config.index_dir."""
    started = time.perf_counter()
    report = BuildReport()
    docs: list[Document] = []
    for path in find_reports(source or config.source_dir):
        try:
            docs.append(load_document(path))
        except BadInput as e:
            report.failed.append((str(path), str(e)))
    if not docs:
        raise BadInput(f"No usable reports found in {source or config.source_dir} "
                       f"(supported: {', '.join(SUPPORTED_SUFFIXES)}).")
    # The same report under two names is one report.
    docs = list({d.doc_id: d for d in docs}.values())
    report.documents = len(docs)

    paragraphs = [p for d in docs for p in split_paragraphs(d)]
    groups, dd = deduplicate(paragraphs, config.near_dup_threshold)
    report.paragraphs, report.exact_duplicates, report.near_duplicates = len(paragraphs), dd.exact, dd.near
    passages = chunk_groups(groups, {d.doc_id: d.title for d in docs}, config.chunk_chars, config.chunk_overlap)
    report.passages = len(passages)

    with write_lock(config.index_dir):
        previous = None
        if current_version_path(config.index_dir) is None:
            report.full_rebuild_reason = "no previous index"
        else:
            try:
                previous = open_index(config.index_dir)
            except IndexMissing:
                report.full_rebuild_reason = "previous index unreadable"
        if previous is not None and previous.manifest.embedder != embedder.id:
            report.full_rebuild_reason, previous = f"embedder changed ({previous.manifest.embedder} → {embedder.id})", None
        if previous is not None and previous.manifest.chunker != chunker_settings(config):
            report.full_rebuild_reason, previous = "chunking settings changed", None

        vectors = np.zeros((len(passages), embedder.dim), dtype=np.float32)
        todo = []
        for i, p in enumerate(passages):
            v = previous.vector(p.id) if previous is not None else None
            if v is None:
                todo.append(i)
            else:
                vectors[i] = v
        report.reused, report.embedded = len(passages) - len(todo), len(todo)
        if todo:
            bar = progress_factory(len(todo), "embedding") if progress_factory else None
            try:
                new = embedder.embed_documents([passages[i].embed_text() for i in todo],
                                               progress=bar.update if bar else None)
            finally:
                if bar:
                    bar.close()
            vectors[todo] = new
        tokens = [tokenize(f"{p.path} {p.text}") for p in passages]
        manifest = Manifest(format_version=FORMAT_VERSION, embedder=embedder.id, dim=embedder.dim,
                            chunker=chunker_settings(config), documents={d.path: d.sha256 for d in docs},
                            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), passages=len(passages),
                            dedup={"paragraphs": len(paragraphs), "exact": dd.exact, "near": dd.near})
        path = write_version(config.index_dir, docs, passages, tokens, vectors, manifest)
    report.version = path.name
    report.seconds = time.perf_counter() - started
    return report


def ensure_index(config: Config, embedder: Embedder, progress_factory=None) -> BuildReport | None:
    """Build the profile's index from the source folder if there is none yet (first use)."""
    if current_version_path(config.index_dir) is not None:
        return None
    return build_index(config, embedder, progress_factory=progress_factory)


_SAFE_NAME = re.compile(r"[^\w\u4e00-\u9fff.()（）-]+")


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no path tricks, no odd characters."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = _SAFE_NAME.sub("_", stem).strip("._") or "report"
    return f"{stem[:80]}{suffix}"


def add_reports(config: Config, embedder: Embedder, files: list[Path], progress_factory=None) -> BuildReport:
    """Copy report files into the source folder and rebuild (only new passages are embedded).

    A file that cannot be read is reported and not copied; the others still go in.
    """
    config.source_dir.mkdir(parents=True, exist_ok=True)
    failed = []
    for f in files:
        try:
            doc = load_document(Path(f))
        except BadInput as e:
            failed.append((Path(f).name, str(e)))
            continue
        target = config.source_dir / safe_filename(Path(f).name)
        if target.exists() and target.read_bytes() != Path(f).read_bytes():
            target = target.with_name(f"{target.stem}-{doc.doc_id[:6]}{target.suffix}")
        shutil.copyfile(f, target)
    report = build_index(config, embedder, progress_factory=progress_factory)
    report.failed = failed + report.failed
    return report


def remove_report(config: Config, embedder: Embedder, doc_id: str, progress_factory=None) -> BuildReport:
    """Delete a report's file from the source folder and rebuild; passages other reports share stay."""
    version = open_index(config.index_dir)
    doc = next((d for d in version.documents if d["doc_id"] == doc_id), None)
    if doc is None:
        raise BadInput(f"No report with id {doc_id!r} in the index.")
    path = Path(doc["path"]).resolve()
    if config.source_dir.resolve() not in path.parents:
        raise BadInput(f"{path} is outside the reports folder {config.source_dir}; remove it by hand.")
    path.unlink(missing_ok=True)
    return build_index(config, embedder, progress_factory=progress_factory)
