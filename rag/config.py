"""One configuration object for the whole product, read from env vars and overridden by CLI flags.

Every knob lives here so the CLI, the UI, the eval runner and the tests agree on defaults.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PROFILES = ("default", "lite")


def _default_models_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "baogao-rag" / "models"


@dataclass(frozen=True)
class Config:
    """Settings for one run. Env vars: RAG_<FIELD> (e.g. RAG_PROFILE=lite, RAG_TOP_K=5)."""

    profile: str = "default"
    models_dir: Path = field(default_factory=_default_models_dir)
    source_dir: Path = PROJECT_ROOT / "seeds"
    index_root: Path = PROJECT_ROOT / "index"
    # Retrieval
    top_k: int = 4
    # Chunking: a paragraph longer than chunk_chars is split on sentence ends.
    chunk_chars: int = 260
    chunk_overlap: int = 40
    # Near-duplicate threshold: Jaccard similarity of character 4-gram sets.
    near_dup_threshold: float = 0.85
    # A report file over this size is refused (a clear message; the other files still go in).
    max_file_mb: float = 20.0
    # Generation
    llm_backend: str = "llama_cpp"  # llama_cpp | transformers | openai (a remote OpenAI-compatible server)
    # --backend openai: the server's base URL (e.g. http://127.0.0.1:8080/v1), its model name
    # ("" = the first one its /v1/models lists), API key (env RAG_LLM_API_KEY) and timeout in seconds.
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_timeout: float = 120.0
    max_new_tokens: int = 220
    n_ctx: int = 2048
    n_threads: int = 0  # 0 = all cores
    # Keep the context tight: the 1.5B model reads ~37 prompt tokens/s on 2 cores.
    context_chars: int = 600  # all excerpts together
    passage_chars: int = 200  # one passage's excerpt: its sentences closest to the question
    max_question_chars: int = 500
    # Refuse when the judge scores the best passages below this (logit 是 − 否); None = the profile's.
    judge_min: float | None = None

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 2**20)

    @property
    def index_dir(self) -> Path:
        """Each profile has its own index, since the embedders differ."""
        return self.index_root / self.profile

    def with_(self, **changes) -> "Config":
        """A copy with the given fields changed; None values are ignored (unset CLI flags)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        if "profile" in changes and changes["profile"] not in PROFILES:
            raise ValueError(f"unknown profile {changes['profile']!r}; choose one of {', '.join(PROFILES)}")
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Config":
        env = os.environ if env is None else env
        base = cls()
        changes = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if not raw:
                continue
            current = getattr(base, f.name)
            if isinstance(current, Path):
                changes[f.name] = Path(raw).expanduser()
            else:
                changes[f.name] = float(raw) if current is None else type(current)(raw)
        return base.with_(**changes)
