"""Stand-ins for the models, so the answer path can be tested in milliseconds without loading any.

`FakeEmbedder` and `ScriptedGenerator` have the interfaces of rag/embedding.py's embedders and
rag/generation.py's generators; everything between them (index, retrieval, scoping, prompts,
judge threshold, citation check) is the real code.
"""
from __future__ import annotations

import zlib
from typing import Iterable

import numpy as np

from rag.textnorm import bigrams


class FakeEmbedder:
    """Character bigrams (punctuation dropped) hashed into 256 dimensions, as unit vectors:
    deterministic across runs (crc32, not Python's salted hash) and close for texts that share
    words. At 64 dimensions collisions let a bare heading outrank the passage a question copies."""

    id = "fake:bigrams256"
    dim = 256

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for gram in bigrams(text):
            v[zlib.crc32(gram.encode()) % self.dim] += 1.0
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def embed_documents(self, texts, progress=None):
        out = np.stack([self._vector(t) for t in texts]) if len(texts) else np.zeros((0, self.dim), np.float32)
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text):
        return self._vector(text)


class ScriptedGenerator:
    """Replies with canned texts in order (each streamed in a few pieces) and judges every
    passage with one fixed score; records every message list it was given."""

    id = "scripted"

    def __init__(self, replies: Iterable[str] = (), judge_score: float = 5.0, piece_chars: int = 4):
        self.replies = list(replies)
        self.judge_score = judge_score
        self.piece_chars = piece_chars
        self.streamed: list[list[dict]] = []  # the messages of each stream() call
        self.judged: list[list[dict]] = []  # the messages of each yes_no() call

    def stream(self, messages, max_tokens):
        self.streamed.append(messages)
        reply = self.replies.pop(0) if self.replies else ""
        for i in range(0, len(reply), self.piece_chars):
            yield reply[i:i + self.piece_chars]

    def yes_no(self, messages):
        self.judged.append(messages)
        return self.judge_score
