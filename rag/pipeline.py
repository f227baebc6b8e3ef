"""Wire a Config into a ready Answerer: the one place where models and the index are opened."""
from __future__ import annotations

from typing import Callable

from .answering import Answerer
from .config import Config
from .embedding import get_embedder
from .generation import get_generator
from .indexing import BuildReport, ensure_index
from .models import profile_spec
from .retrieval import Retriever
from .store import require_index


def load_answerer(config: Config, generate: bool = True, build_missing: bool = False,
                  progress_factory=None, on_build: Callable[[BuildReport], None] | None = None) -> Answerer:
    """Embedder and generator are shared per process; the retriever follows the live index.

    `build_missing`: index the source folder first if the profile has no usable index (first use,
    for the servers, `rag chat` and `rag eval`); `progress_factory` shows that build's progress and
    `on_build` receives its report (the CLI prints it). Otherwise a missing index fails fast, before
    seconds of model loading.
    """
    if build_missing:
        report = ensure_index(config, get_embedder(config), progress_factory)
        if report is not None and on_build is not None:
            on_build(report)
    require_index(config.index_dir)
    embedder = get_embedder(config)
    retriever = Retriever(config.index_dir, embedder, profile_spec(config.profile).min_dense)
    return Answerer(config, retriever, get_generator(config) if generate else None)
