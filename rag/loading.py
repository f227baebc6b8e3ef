"""Load a report file of any supported format (see `formats`), and read its title, source and date.

The extracted text is kept verbatim: every later offset (and so every citation) points into it.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput
from .formats import SUPPORTED_SUFFIXES, extract

MAX_BYTES = 20 * 1024 * 1024  # default limit; Config.max_file_mb

_SOURCE = re.compile(r"来源\s*[:：]\s*(\S+)")
_DATE = re.compile(r"(?:发布日期|发布时间|日期)\s*[:：]\s*(\d{4}[-./年]\d{1,2}[-./月]\d{1,2}日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)")
# Lines that belong to the web page, not the report.
_BOILERPLATE = re.compile(
    r"^\s*(?:来源\s*[:：]|发布日期|发布时间|浏览次数|访问次数|阅读次数|字号\s*[:：]|【?\s*打印|【?\s*关闭|分享到|扫一扫|"
    r"当前位置\s*[:：]|上一篇|下一篇|责任编辑)"
)


@dataclass(frozen=True)
class Document:
    """One report as read from disk."""

    doc_id: str  # content hash: stable across renames and rebuilds
    path: str
    title: str
    source: str
    published: str
    text: str
    sha256: str  # of the text: the same report in two formats is one report
    file_sha256: str = ""  # of the file's bytes: an unchanged file is not parsed again


_PAGE_COUNTERS = re.compile(r"\s*(?:浏览次数|访问次数|阅读次数|字号\s*[:：]|【?\s*打印|【?\s*关闭|分享到)")


def is_boilerplate(line: str) -> bool:
    return bool(_BOILERPLATE.match(line))


def metadata_span(line: str) -> tuple[int, int] | None:
    """The part of a page-header line worth keeping ('来源:… 发布日期:…'), without view counters."""
    if not (_SOURCE.search(line) or _DATE.search(line)):
        return None
    cut = _PAGE_COUNTERS.search(line)
    end = len(line[:cut.start()].rstrip()) if cut else len(line)
    return (0, end) if end else None


def file_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_file(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The file's bytes, or BadInput naming the problem (missing, unreadable, too big, empty)."""
    path = Path(path)
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


def load_document(path: Path, max_bytes: int = MAX_BYTES, raw: bytes | None = None) -> Document:
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
    source = extracted.source or (m.group(1) if (m := _SOURCE.search(head)) else "")
    published = extracted.published or (m.group(1) if (m := _DATE.search(head)) else "")
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(doc_id=sha[:12], path=str(path), title=title, source=source, published=published,
                    text=text, sha256=sha, file_sha256=file_digest(raw))
