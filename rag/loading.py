"""Load a report file: decode it, and read its title, source and publish date.

The decoded text is kept verbatim: every later offset (and so every citation) points into it.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput

SUPPORTED_SUFFIXES = (".txt", ".md")
MAX_BYTES = 20 * 1024 * 1024

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
    sha256: str


def decode(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise BadInput(f"{name}: cannot decode the text (tried UTF-8 and GB18030/GBK). "
                       "Save the file as UTF-8 and add it again.") from None
    if sum(1 for c in text if "\u4e00" <= c <= "\u9fff") < len(text) * 0.05 and len(text) > 50:
        raise BadInput(f"{name}: does not look like Chinese text in any supported encoding.")
    return text


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


def load_document(path: Path) -> Document:
    """Read one report; BadInput with a clear message if it cannot be used."""
    path = Path(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BadInput(f"{path.name}: unsupported file type {path.suffix or '(none)'}; "
                       f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BadInput(f"{path}: cannot read the file ({e.strerror}).") from None
    if len(raw) > MAX_BYTES:
        raise BadInput(f"{path.name}: {len(raw) / 1e6:.1f} MB is over the {MAX_BYTES // 2**20} MB limit.")
    if b"\x00" in raw[:4096]:
        raise BadInput(f"{path.name}: looks like a binary file, not text.")
    text = decode(raw, path.name).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise BadInput(f"{path.name}: the file is empty.")
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    title = lines[0].lstrip("# ").strip() if lines else path.stem
    head = "\n".join(lines[:8])
    source = m.group(1) if (m := _SOURCE.search(head)) else ""
    published = m.group(1) if (m := _DATE.search(head)) else ""
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Document(doc_id=sha[:12], path=str(path), title=title, source=source, published=published,
                    text=text, sha256=sha)
