"""Load a report file of any supported format (see `formats`), and read its title, source and date.

The extracted text is kept verbatim: every later offset (and so every citation) points into it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from .config import Config
from .errors import BadInput
from .formats import SUPPORTED_SUFFIXES, extract
from .reportmeta import DATE, SOURCE, identified
from .schema import Document


def file_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_file(path: Path, max_bytes: int | None = None) -> bytes:
    """The file's bytes, or BadInput naming the problem (missing, unreadable, too big, empty).
    `max_bytes`: default Config.max_file_mb."""
    path = Path(path)
    max_bytes = Config().max_file_bytes if max_bytes is None else max_bytes
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BadInput(f"{path.name}: unsupported file type {path.suffix or '(none)'}; "
                       f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadInput(f"{path.name}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit "
                           "(RAG_MAX_FILE_MB to change it).")
        raw = path.read_bytes()
    except OSError as e:
        raise BadInput(f"{path}: cannot read the file ({e.strerror}).") from None
    if not raw.strip():
        raise BadInput(f"{path.name}: the file is empty.")
    return raw


def load_document(path: Path, max_bytes: int | None = None, raw: bytes | None = None) -> Document:
    """Read one report of any supported format; BadInput with a clear message if it cannot be used."""
    path = Path(path)
    raw = read_file(path, max_bytes) if raw is None else raw
    extracted = extract(raw, path.suffix, path.name)
    text = extracted.text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BadInput(f"{path.name}: the file has no text.")
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    title = extracted.title or (lines[0].lstrip("# ").strip() if lines else path.stem)
    head = "\n".join(lines[:8])
    source = extracted.source or (m.group(1) if (m := SOURCE.search(head)) else "")
    published = extracted.published or (m.group(1) if (m := DATE.search(head)) else "")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return identified(Document(doc_id=sha[:12], path=str(path), title=title, source=source, published=published,
                               text=text, sha256=sha, file_sha256=file_digest(raw)))
