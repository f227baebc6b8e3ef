"""Wire a Config into a ready Answerer: the one place where models and the index are opened."""
from __future__ import annotations

from .answering import Answerer
from .config import Config
from .embedding import get_embedder
from .generation import get_generator
from .models import profile_spec
from .retrieval import Retriever
from .store import require_index


def load_answerer(config: Config, generate: bool = True) -> Answerer:
    """Embedder and generator are shared per process; the retriever follows the live index."""
    require_index(config.index_dir)  # fail fast, before seconds of model loading
    embedder = get_embedder(config)
    retriever = Retriever(config.index_dir, embedder, profile_spec(config.profile).min_dense)
    return Answerer(config, retriever, get_generator(config) if generate else None)
