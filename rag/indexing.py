"""Build an index from a folder of reports: load → structure → dedup → chunk → embed → store.

Incremental by content hash: a file whose bytes are unchanged is not parsed again (its text comes
from the live index), and a passage whose text the live index already holds keeps its vector and
keyword tokens. So adding one report to many costs about that report's own parsing and embedding,
plus re-running dedup and writing the new version. Changing the embedder or the chunking settings
makes every vector stale: that is a full rebuild, and the report says so.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .chunking import chunk_groups
from .config import Config
from .dedup import NGRAM, deduplicate
from .embedding import Embedder
from .errors import BadInput, IndexMissing
from .keyword import tokenize
from .loading import SUPPORTED_SUFFIXES, file_digest, load_document, read_file
from .reportmeta import identified, is_sidecar, read_override, sidecar_path, write_override
from .schema import Document
from .store import (FORMAT_VERSION, IndexVersion, Manifest, current_version_path, live_format, open_index,
                    write_lock, write_version)
from .structure import split_paragraphs


@dataclass
class BuildReport:
    documents: int = 0
    added: list[str] = field(default_factory=list)  # file paths, relative to the source folder
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    ignored: list[str] = field(default_factory=list)  # files of other types in the source folder
    parsed: int = 0  # files read and parsed (the rest came from the live index)
    paragraphs: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    passages_before: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    full_rebuild_reason: str = ""
    seconds: float = 0.0
    version: str = ""


def find_reports(source: Path) -> tuple[list[Path], list[Path]]:
    """(report files, other files) under `source`; hidden files and folders are skipped."""
    if source.is_file():
        return [source], []
    if not source.is_dir():
        raise BadInput(f"{source} is neither a report file nor a folder of reports.")
    files = sorted(p for p in source.rglob("*") if p.is_file() and not is_sidecar(p)
                   and not any(part.startswith(".") for part in p.relative_to(source).parts))
    return ([p for p in files if p.suffix.lower() in SUPPORTED_SUFFIXES],
            [p for p in files if p.suffix.lower() not in SUPPORTED_SUFFIXES])


def chunker_settings(config: Config) -> dict:
    return {"chunk_chars": config.chunk_chars, "overlap": config.chunk_overlap,
            "near_dup_threshold": config.near_dup_threshold, "ngram": NGRAM, "format": FORMAT_VERSION}


def _previous(config: Config, embedder: Embedder, full: bool, report: BuildReport) -> IndexVersion | None:
    """The live version whose parsed texts and vectors can be reused, or None (and why not)."""
    if current_version_path(config.index_dir) is None:
        report.full_rebuild_reason = "no previous index"
        return None
    try:
        previous = open_index(config.index_dir, fallback=False)
    except IndexMissing:
        report.full_rebuild_reason = "previous index unreadable or of an older format"
        return None
    report.passages_before = len(previous.passages)
    if full:
        report.full_rebuild_reason = "rebuild requested"
        return None
    if previous.manifest.embedder != embedder.id:
        report.full_rebuild_reason = f"embedder changed ({previous.manifest.embedder} → {embedder.id})"
        return None
    if previous.manifest.chunker != chunker_settings(config):
        report.full_rebuild_reason = "chunking settings changed"
        return None
    return previous


def _load_all(paths: list[Path], config: Config, previous: IndexVersion | None, preparsed: dict[str, Document],
              report: BuildReport, progress_factory) -> list[Document]:
    """Each file's Document: reused when its bytes are unchanged, parsed otherwise; failures noted."""
    known = {d["path"]: d["file_sha256"] for d in previous.documents} if previous is not None else {}
    docs = []
    bar = progress_factory(len(paths), "reading reports") if progress_factory and len(paths) > 1 else None
    try:
        for path in paths:
            try:
                raw = read_file(path, config.max_file_bytes)
                digest = file_digest(raw)
                doc = None
                if known.get(str(path)) == digest:
                    doc = previous.document(str(path))
                if doc is None and digest in preparsed:
                    doc = replace(preparsed[digest], path=str(path))
                if doc is None:
                    doc = load_document(path, config.max_file_bytes, raw=raw)
                    report.parsed += 1
                docs.append(identified(doc))  # identity again: its sidecar file may have changed
            except BadInput as e:
                kept = previous.document(str(path)) if previous is not None else None
                if kept is not None:  # a report that was fine before stays searchable as it was
                    docs.append(kept)
                report.failed.append((str(path), f"{e}" + (" The previously indexed version is kept." if kept else "")))
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return docs


def build_index(config: Config, embedder: Embedder, source: Path | None = None, progress_factory=None,
                full: bool = False, preparsed: dict[str, Document] | None = None) -> BuildReport:
    """Index every report under `source` (default: config.source_dir) into config.index_dir.

    `full` re-parses and re-embeds everything; `preparsed` maps file hashes to Documents already
    parsed by the caller (add_reports validates files before copying them).
    """
    with write_lock(config.index_dir):
        drop_unfinished_add(config)
        return _build(config, embedder, source, progress_factory, full, preparsed)


def _build(config: Config, embedder: Embedder, source: Path | None, progress_factory, full: bool,
           preparsed: dict[str, Document] | None) -> BuildReport:
    """build_index's work, under the write lock."""
    started = time.perf_counter()
    report = BuildReport()
    source = Path(source or config.source_dir)
    paths, others = find_reports(source)
    report.ignored = [str(p) for p in others]
    previous = _previous(config, embedder, full, report)
    docs = _load_all(paths, config, previous, preparsed or {}, report, progress_factory)
    if not docs:
        raise BadInput(f"No usable reports found in {source} (supported: {', '.join(SUPPORTED_SUFFIXES)})."
                       + "".join(f"\n  {p}: {m}" for p, m in report.failed))
    # The same report under two names (or in two formats) is one report.
    docs = list({d.doc_id: d for d in docs}.values())
    report.documents = len(docs)
    _changes(report, previous, docs)
    if previous is not None and not (report.added or report.updated or report.removed):
        report.passages = report.reused = len(previous.passages)  # nothing to do: keep the live version
        report.version, report.seconds = previous.version, time.perf_counter() - started
        return report

    paragraphs = [p for d in docs for p in split_paragraphs(d)]
    groups, dd = deduplicate(paragraphs, config.near_dup_threshold)
    report.paragraphs, report.exact_duplicates, report.near_duplicates = len(paragraphs), dd.exact, dd.near
    passages = chunk_groups(groups, {d.doc_id: d.title for d in docs}, config.chunk_chars, config.chunk_overlap,
                            {d.doc_id: d.info.label for d in docs})
    report.passages = len(passages)

    vectors = np.zeros((len(passages), embedder.dim), dtype=np.float32)
    tokens: list[list[str] | None] = [None] * len(passages)
    todo = []
    for i, p in enumerate(passages):
        row = previous.row_of.get(p.id) if previous is not None else None
        if row is None or previous.passages[row].scope != p.scope:  # a new owner's label: embed again
            todo.append(i)
        else:
            vectors[i] = previous.faiss.reconstruct(row)
            tokens[i] = previous.tokens[row]
    report.reused, report.embedded = len(passages) - len(todo), len(todo)
    if todo:
        bar = progress_factory(len(todo), "embedding") if progress_factory else None
        try:
            new = embedder.embed_documents([passages[i].embed_text() for i in todo],
                                           progress=bar.update if bar is not None else None)
        finally:
            if bar is not None:
                bar.close()
        vectors[todo] = new
    tokens = [t if t is not None else tokenize(p.keyword_text()) for p, t in zip(passages, tokens)]
    manifest = Manifest(format_version=FORMAT_VERSION, embedder=embedder.id, dim=embedder.dim,
                        chunker=chunker_settings(config), documents={d.path: d.file_sha256 for d in docs},
                        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"), passages=len(passages),
                        dedup={"paragraphs": len(paragraphs), "exact": dd.exact, "near": dd.near},
                        source_dir=str(source.resolve()))
    added_at = {d["doc_id"]: d["added_at"] for d in previous.documents} if previous is not None else {}
    path = write_version(config.index_dir, docs, passages, tokens, vectors, manifest, added_at)
    report.version = path.name
    report.seconds = time.perf_counter() - started
    return report


def _changes(report: BuildReport, previous: IndexVersion | None, docs: list[Document]) -> None:
    """Which files are new, changed, the same, or gone since the live version."""
    # A report is unchanged when its bytes and its identity (a sidecar file may correct it) are.
    before = {d["path"]: (d["file_sha256"], d["info"]) for d in previous.documents} if previous is not None else {}
    now = {d.path: (d.file_sha256, d.info) for d in docs}
    for path, digest in now.items():
        (report.unchanged if before.get(path) == digest else report.updated if path in before
         else report.added).append(path)
    report.removed = [p for p in before if p not in now]


def ensure_index(config: Config, embedder: Embedder, progress_factory=None) -> BuildReport | None:
    """Build the profile's index from the source folder if there is none usable yet (first use)."""
    if live_format(config.index_dir) == FORMAT_VERSION:
        return None  # a damaged live version is handled by open_index's fallback, not rebuilt here
    return build_index(config, embedder, progress_factory=progress_factory)


_SAFE_NAME = re.compile(r"[^\w\u4e00-\u9fff.()（）-]+")


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no path tricks, no odd characters."""
    base = Path(name.replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = _SAFE_NAME.sub("_", stem).strip("._") or "report"
    return f"{stem[:80]}{suffix}"


ADDING = ".adding.json"  # in the index folder: the files an add copied, until its index is live


def drop_unfinished_add(config: Config) -> list[str]:
    """Remove the files an add copied into the reports folder and never finished indexing (it was
    killed): the next build must not index them silently. Call under the write lock."""
    journal = config.index_dir / ADDING
    if not journal.exists():
        return []
    try:
        names = [str(n) for n in json.loads(journal.read_text(encoding="utf-8"))]
    except (OSError, ValueError):
        names = []
    dropped = []
    for name in names:
        target = config.source_dir / Path(name).name  # names only: never a path outside the folder
        for path in (target, sidecar_path(target), target.with_name(f".{target.name}.partial")):
            if path.exists():
                path.unlink()
                dropped.append(str(path))
    journal.unlink(missing_ok=True)
    return dropped


def add_reports(config: Config, embedder: Embedder, files: list[Path], progress_factory=None) -> BuildReport:
    """Copy report files (or every report in given folders) into the source folder and index them.

    Each file is parsed before it is copied: one that cannot be used is reported and never enters
    the source folder or the index; the others still go in. Only new passages are embedded.
    All or nothing: the files are copied only once the write lock is held (a second writer changes
    nothing), each into place by a rename, and an add that fails removes them again; one that is
    killed leaves a journal, and the next writer removes them (`drop_unfinished_add`).
    """
    config.source_dir.mkdir(parents=True, exist_ok=True)
    with write_lock(config.index_dir):
        drop_unfinished_add(config)
        failed, preparsed, copies = _validate(config, files)
        journal = config.index_dir / ADDING
        journal.write_text(json.dumps([t.name for _, t in copies], ensure_ascii=False), encoding="utf-8")
        placed: list[Path] = []
        try:
            for f, target in copies:
                placed += _place(f, target)
            report = _build(config, embedder, None, progress_factory, False, preparsed)
        except BaseException as e:
            for path in placed:
                path.unlink(missing_ok=True)
            if isinstance(e, BadInput):  # nothing usable at all: still say why each file was refused
                raise BadInput(f"{e}" + "".join(f"\n  {p}: {m}" for p, m in failed)) from None
            raise
        finally:
            journal.unlink(missing_ok=True)
    report.failed = failed + report.failed
    report.parsed += len(preparsed)
    return report


def _validate(config: Config, files: list[Path]) -> tuple[list[tuple[str, str]], dict[str, Document],
                                                          list[tuple[Path, Path]]]:
    """The files' refusals, their parsed documents by hash, and (file, target in the reports folder)
    for each usable one that the folder does not already hold."""
    failed: list[tuple[str, str]] = []
    preparsed: dict[str, Document] = {}
    by_size: dict[int, list[Path]] = {}
    for p in find_reports(config.source_dir)[0]:
        by_size.setdefault(p.stat().st_size, []).append(p)
    candidates: list[Path] = []
    for f in map(Path, files):
        if f.is_dir():
            found, others = find_reports(f)
            candidates += found
            failed += [(str(p), f"{p.name}: unsupported file type; supported: {', '.join(SUPPORTED_SUFFIXES)}")
                       for p in others]
        elif not f.exists():
            failed.append((str(f), f"{f}: no such file."))
        else:
            candidates.append(f)
    copies: list[tuple[Path, Path]] = []
    taken = {p.name for p in config.source_dir.iterdir()}
    for f in candidates:
        try:
            raw = read_file(f, config.max_file_bytes)
            digest = file_digest(raw)
            if digest in preparsed or any(file_digest(p.read_bytes()) == digest for p in by_size.get(len(raw), [])):
                continue  # already in the source folder: the build reports it as unchanged
            doc = load_document(f, config.max_file_bytes, raw=raw)
        except BadInput as e:
            failed.append((str(f), str(e)))
            continue
        target = config.source_dir / safe_filename(f.name)
        if target.name in taken:  # a different report under the same name: keep both
            target = target.with_name(f"{target.stem}-{doc.doc_id[:6]}{target.suffix}")
        taken.add(target.name)
        copies.append((f, target))
        preparsed[digest] = doc
    return failed, preparsed, copies


def _place(f: Path, target: Path) -> list[Path]:
    """Copy a report (and its identity sidecar) into the reports folder: written beside, renamed into place."""
    placed = []
    for src, dst in ((f, target), (sidecar_path(f), sidecar_path(target))):
        if src is not f and not read_override(f):
            continue
        partial = dst.with_name(f".{dst.name}.partial")
        shutil.copyfile(src, partial)
        os.replace(partial, dst)
        placed.append(dst)
    return placed


def resolve_report(version: IndexVersion, key: str) -> dict:
    """The indexed document a user means: a doc id (or a unique prefix of ≥ 4 characters), a path or a file name."""
    key = key.strip()
    exact = [d for d in version.documents if key in (d["doc_id"], d["path"]) or Path(d["path"]).name == key
             or (Path(key).exists() and Path(d["path"]).resolve() == Path(key).resolve())]
    matches = exact or ([d for d in version.documents if d["doc_id"].startswith(key)] if len(key) >= 4 else [])
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise BadInput(f"No indexed report matches {key!r}. `rag index status` lists them with their ids.")
    raise BadInput(f"{key!r} matches {len(matches)} reports; give more of the id: "
                   + ", ".join(d["doc_id"] for d in matches))


def _in_source(config: Config, key: str) -> tuple[dict, Path]:
    """The indexed report a key means, and its file, which must lie in the reports folder."""
    doc = resolve_report(open_index(config.index_dir), key)
    path = Path(doc["path"]).resolve()
    if config.source_dir.resolve() not in path.parents:
        raise BadInput(f"{path} is outside the reports folder {config.source_dir}; move or delete it there, "
                       f"then run:  rag index build --source <its folder>",
                       zh="这份报告的文件不在本服务的报告文件夹中，无法在这里更正或删除。")
    return doc, path


def remove_report(config: Config, embedder: Embedder, key: str, progress_factory=None) -> BuildReport:
    """Delete a report's file from the source folder and rebuild; passages other reports share stay."""
    _, path = _in_source(config, key)
    path.unlink(missing_ok=True)
    return build_index(config, embedder, progress_factory=progress_factory)


def correct_report(config: Config, embedder: Embedder, key: str, changes: dict,
                   progress_factory=None) -> tuple[dict, BuildReport]:
    """Correct who wrote a report (body, place, region, years, …): kept in its `<file>.meta.json`
    beside it, so it survives restarts and rebuilds, and applied at once (only its passages carry a
    new label and are embedded again). Returns the report as now indexed, and the build's report."""
    _, path = _in_source(config, key)
    write_override(path, changes)
    report = build_index(config, embedder, progress_factory=progress_factory)
    return resolve_report(open_index(config.index_dir), str(path)), report
