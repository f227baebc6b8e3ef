"""Wire a Config into a ready Answerer: the one place where models and the index are opened."""
from __future__ import annotations

from .answering import Answerer
from .config import Config
from .embedding import get_embedder
from .generation import get_generator
from .models import profile_spec
from .retrieval import Retriever
from .indexing import ensure_index
from .store import require_index


def load_answerer(config: Config, generate: bool = True, build_missing: bool = False,
                  progress_factory=None) -> Answerer:
    """Embedder and generator are shared per process; the retriever follows the live index.

    `build_missing`: index the source folder first if the profile has no usable index (servers'
    first start); otherwise a missing index fails fast, before seconds of model loading.
    """
    if build_missing:
        ensure_index(config, get_embedder(config), progress_factory)
    require_index(config.index_dir)
    embedder = get_embedder(config)
    retriever = Retriever(config.index_dir, embedder, profile_spec(config.profile).min_dense)
    return Answerer(config, retriever, get_generator(config) if generate else None)
