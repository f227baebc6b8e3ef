"""Remote (OpenAI-compatible server) vs in-process generation, same model: what the HTTP hop costs.

    python -m bench.remote_vs_local [--profile lite] [--llm-url URL] [--questions 3]

Without --llm-url it starts `python -m llama_cpp.server` with the profile's GGUF on a free port
(same n_ctx, threads and batch as the in-process backend). Each backend answers one warm-up
question, then the same questions, the two taking turns (never at the same time); time to first
token and total come from the Answerer's own timings (retrieval included, the same for both).
Run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from rag.config import use_offline_hub

use_offline_hub()
os.environ.setdefault("TQDM_DISABLE", "1")

WARM_UP = "2025年在行政执法方面有什么安排？"
QUESTIONS = ["全市共聘任了多少名法治副校长？",
             "2024年杭州全市新建成了多少所中小学和幼儿园？新增了多少个学位？",
             "杭州暑期托管服务一共设了多少个服务点？",
             "“清膳E家”平台是做什么的？"]


def start_llama_server(model: Path, n_ctx: int, threads: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tempfile.NamedTemporaryFile("w", prefix="llama_server_", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", str(threads),
                             "--n_batch", "512"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"llama.cpp server exited; log: {log.name}")
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    sys.exit(f"llama.cpp server did not start in 180 s; log: {log.name}")


def measure(answerers: dict, questions: list[str]) -> dict[str, list[dict]]:
    """Each question by each backend in turn (interleaved, so load from elsewhere hits both alike)."""
    for answerer in answerers.values():
        answerer.answer(WARM_UP)  # first call: prompt prefix cached, lazy inits done
    rows = {name: [] for name in answerers}
    for q in questions:
        for name, answerer in answerers.items():
            a = answerer.answer(q)
            rows[name].append({"question": q, "first_token": a.timings_ms["first_token"],
                               "total": a.timings_ms["total"], "text": a.text})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="lite")
    parser.add_argument("--llm-url", default="", help="use this running server instead of starting llama.cpp's")
    parser.add_argument("--llm-model", default="")
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--index", type=Path, default=None, help="index root (default: the config's)")
    args = parser.parse_args(argv)

    from rag.answering import Answerer
    from rag.config import Config
    from rag.embedding import get_embedder
    from rag.generation import _threads, get_generator
    from rag.indexing import ensure_index
    from rag.models import MODEL_FILES, profile_spec
    from rag.pipeline import load_answerer

    cfg = Config.from_env().with_(profile=args.profile, index_root=args.index, answer_cache=0)
    ensure_index(cfg, get_embedder(cfg))
    questions = QUESTIONS[:args.questions]
    proc = None
    url = args.llm_url
    if not url:
        model = MODEL_FILES[profile_spec(cfg.profile).llm].path(cfg.models_dir)
        proc, url = start_llama_server(model, cfg.n_ctx, _threads(cfg))
    try:
        local = load_answerer(cfg)
        remote_cfg = cfg.with_(llm_backend="openai", llm_url=url, llm_model=args.llm_model or None)
        remote = Answerer(remote_cfg, local.retriever, get_generator(remote_cfg))
        results = measure({"in-process": local, "remote": remote}, questions)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(20)

    print(f"profile {cfg.profile}: {local.generator.id}  vs  {remote.generator.id}")
    print(f"{'backend':<11} {'first token ms':>15} {'total ms':>10}  question")
    for i, q in enumerate(questions):
        for name in results:
            r = results[name][i]
            print(f"{name:<11} {r['first_token']:>15,.0f} {r['total']:>10,.0f}  {q}")
    summary = {name: {k: statistics.mean(r[k] for r in rows) for k in ("first_token", "total")}
               for name, rows in results.items()}
    for name, s in summary.items():
        print(f"mean {name:<11} first token {s['first_token']:,.0f} ms  total {s['total']:,.0f} ms")
    ratio_first = summary["remote"]["first_token"] / summary["in-process"]["first_token"]
    ratio_total = summary["remote"]["total"] / summary["in-process"]["total"]
    print(f"remote / in-process: first token ×{ratio_first:.2f}, total ×{ratio_total:.2f}")
    same = sum(a["text"] == b["text"] for a, b in zip(results["in-process"], results["remote"]))
    print(f"identical answers: {same} of {len(questions)}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
