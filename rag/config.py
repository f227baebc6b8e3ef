"""One configuration object for the whole product, read from env vars and overridden by CLI flags.

Every knob lives here so the CLI, the UI, the eval runner and the tests agree on defaults.
"""
from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .models import PROFILE_SPECS

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PROFILES = tuple(PROFILE_SPECS)  # the profile table in models.py is the one list

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def use_offline_hub() -> None:
    """No model hub is reachable: Hugging Face libraries must not try one. huggingface_hub reads
    these once, when first imported, so entry points and model loading call this before that."""
    for name, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
        os.environ.setdefault(name, value)


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
    # A factual question (多少, 几, 哪个, 是否) gets this budget (0 = context_chars for all; None = the
    # profile's): ~120 fewer prompt tokens, ~2 s on 2 cores. The clause check still reads every
    # retrieved passage for rival clauses.
    factual_context_chars: int | None = None
    max_question_chars: int = 500
    # A conversation's earlier turns read for a follow-up: the last max_history_turns pairs, each text
    # cut to max_question_chars (an earlier turn of any length used to reach the rewrite and retrieval:
    # 40,000 characters held the only answer slot ~20 s). The servers refuse a body over max_request_kb.
    max_history_turns: int = 4
    max_request_kb: int = 512
    # Answers kept in memory per profile (0 = none): a repeated question on the same index version
    # and settings is answered at once. Benchmarks set 0 so that every question is measured.
    answer_cache: int = 128
    # Refuse when the judge scores the best passages below this (logit 是 − 否); None = the profile's.
    judge_min: float | None = None
    # The judge's excerpt of each passage for a factual question, in characters (0 = the answer's
    # excerpt); None = the profile's.
    factual_judge_chars: int | None = None
    # Ask the judge at the end of the answer prompt (one evaluation of the passages per question)
    # rather than in a prompt of its own over the best passage; its threshold is then the profile's
    # shared_judge_min. Off until that threshold is calibrated on both eval sets (bench/judge.py).
    shared_judge: bool = False
    # Servers. The API: set api_key and /v1/* needs "Authorization: Bearer <key>"; api_max_queue
    # requests may wait beyond those answering (more get 429); api_concurrency answers run at once
    # against a remote server (--backend openai batches them; an in-process model answers one at a time).
    api_key: str = field(default="", repr=False)
    api_max_queue: int = 20
    api_concurrency: int = 4
    # The web chat: set, and adding or removing reports needs it.
    admin_password: str = field(default="", repr=False)

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
    def from_env(cls, env: typing.Mapping[str, str] | None = None) -> "Config":
        return cls().with_(**env_settings(env, cls))


def env_settings(env: typing.Mapping[str, str] | None = None, cls: type = Config) -> dict[str, object]:
    """The fields set by RAG_<FIELD> env vars (an empty one counts as unset), parsed to their types."""
    env = os.environ if env is None else env
    types = typing.get_type_hints(cls)
    out = {}
    for f in fields(cls):
        var = f"RAG_{f.name.upper()}"
        if env.get(var):
            out[f.name] = parse_setting(var, env[var], types[f.name])
    return out


def parse_setting(var: str, raw: str, kind) -> object:
    """One env var's text as its field's type, or a ValueError naming the variable ("false" is False)."""
    options = typing.get_args(kind)
    text = raw.strip()
    if type(None) in options:  # optional: "none" (or nothing) leaves it unset
        if text.lower() in ("", "none"):
            return None
        kind = next(k for k in options if k is not type(None))
    if kind is bool:
        if text.lower() in _TRUE + _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"{var}={raw!r}: expected one of {'/'.join(_TRUE)} or {'/'.join(_FALSE)}.")
    if kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"{var}={raw!r}: expected {'a whole number' if kind is int else 'a number'}.") from None
    if kind is Path:
        return Path(text).expanduser()
    return raw
