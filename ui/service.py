"""What both front ends (the web chat and the OpenAI-compatible API) share: the loaded answerers.

One Answerer per profile, loaded once per process (the models are shared, and `rag serve --api`
serves both front ends from one pool), the start profile warmed up in the background, and what
went wrong loading a profile kept to show people.
"""
from __future__ import annotations

import threading
from typing import Callable, Iterable

from rag.answering import Answerer
from rag.config import Config
from rag.errors import RagError
from rag.retrieval import Retriever


class AnswerService:
    """Answerers per profile. `answerer_for(profile)` replaces loading (tests); `preload` loads and
    warms the config's profile at once, in the background, so the first visitor does not wait."""

    def __init__(self, config: Config, answerer_for: Callable[[str], Answerer] | None = None,
                 preload: bool = True):
        self.config = config
        self._answerer_for = answerer_for or self._load
        self._answerers: dict[str, Answerer] = {}
        self._retrievers: dict[str, Retriever] = {}
        self.errors: dict[str, str] = {}  # profile → why it could not be loaded
        self._lock = threading.Lock()
        self.ready = threading.Event()  # the start-up loading is over (loaded or failed)
        if preload:
            threading.Thread(target=self._warm, daemon=True).start()
        else:
            self.ready.set()

    def _warm(self) -> None:
        try:
            self.answerer().warm_up()
        except RagError:
            pass  # kept in self.errors; shown by state()
        finally:
            self.ready.set()

    def config_for(self, profile: str) -> Config:
        return self.config.with_(profile=profile)

    def _load(self, profile: str) -> Answerer:
        from rag.pipeline import load_answerer

        return load_answerer(self.config_for(profile), build_missing=True)

    def answerer(self, profile: str | None = None) -> Answerer:
        """The profile's answerer (default: the config's), loaded on first use."""
        profile = profile or self.config.profile
        with self._lock:
            if profile not in self._answerers:
                try:
                    self._answerers[profile] = self._answerer_for(profile)
                    self.errors.pop(profile, None)
                except RagError as e:
                    self.errors[profile] = str(e)
                    raise
            return self._answerers[profile]

    def loaded(self, profile: str | None = None) -> Answerer | None:
        """The profile's answerer if it is loaded already (loads nothing)."""
        return self._answerers.get(profile or self.config.profile)

    @property
    def loaded_profiles(self) -> list[str]:
        return sorted(self._answerers)

    def retriever(self, profile: str) -> Retriever:
        """The profile's retriever; loads no generator when no answerer is loaded yet."""
        if profile in self._answerers:
            return self._answerers[profile].retriever
        with self._lock:
            if profile not in self._retrievers:
                from rag.pipeline import load_answerer

                self._retrievers[profile] = load_answerer(self.config_for(profile), generate=False,
                                                          build_missing=True).retriever
            return self._retrievers[profile]

    def state(self) -> tuple[str, str | None]:
        """The config's profile: 'ok', 'loading' (start-up not over), 'error' (with why) or 'idle'
        (nothing loaded yet: it loads on the first question)."""
        profile = self.config.profile
        if not self.ready.is_set():
            return "loading", None
        if profile in self._answerers:
            return "ok", None
        if profile in self.errors:
            return "error", self.errors[profile]
        return "idle", None


def history_pairs(turns: Iterable[tuple[str, str]]) -> list[dict]:
    """Earlier (role, text) turns as the {question, answer} pairs follow-ups are rewritten with;
    turns of other roles, and a question with no answer after it, are left out. The answerer keeps
    the last Config.max_history_turns of them, each cut to a question's length."""
    pairs, question = [], None
    for role, text in turns:
        if role == "user":
            question = text
        elif role == "assistant" and question is not None:
            pairs.append({"question": question, "answer": text})
            question = None
    return pairs
