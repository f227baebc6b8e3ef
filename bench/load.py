"""Load: N concurrent questions at a running `rag serve` (lite profile, loopback, gradio_client).

Starts its own server on a free loopback port with a temporary copy of the lite index, waits
until it answers, then submits N questions at once (one gradio_client per visitor) and reports
how many were answered, how many waited in the queue, how many were turned away as busy (the
queue holds 20), latency p50/p95 and the server's RSS before, at peak and after.

    python -m bench.load [--n 20] [--timeout 900] [--url http://127.0.0.1:7860/]  (an already running server)
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench.common import Table, save_section, pct, print_tables, rss_mb

QUESTIONS = ["全市共聘任了多少名法治副校长？", "2024年新建了多少所中小学和幼儿园？", "“清膳E家”平台是做什么的？",
             "2025年在行政执法方面有什么安排？", "2024年杭州暑期托管服务设了多少个服务点？", "如何做红烧肉？"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(profile: str = "lite") -> tuple[subprocess.Popen, str, Path]:
    from rag.config import PROJECT_ROOT, Config
    from rag.embedding import get_embedder
    from rag.indexing import ensure_index

    cfg = Config.from_env().with_(profile=profile)
    ensure_index(cfg, get_embedder(cfg))
    root = Path(tempfile.mkdtemp(prefix="bench-load-"))
    shutil.copytree(PROJECT_ROOT / "seeds", root / "reports")
    shutil.copytree(cfg.index_dir, root / "index" / profile)
    port = _free_port()
    env = {**os.environ, "RAG_SOURCE_DIR": str(root / "reports"), "RAG_INDEX_ROOT": str(root / "index"),
           "RAG_PROFILE": profile, "RAG_ANSWER_CACHE": "0", "TQDM_DISABLE": "1"}  # every answer measured
    log = open(root / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], env=env, cwd=PROJECT_ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return proc, url, root
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError((root / "server.log").read_text())
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("the server did not come up in 180 s")


def _tree_rss(pid: int) -> float:
    import psutil

    p = psutil.Process(pid)
    return rss_mb(pid) + sum(c.memory_info().rss / 2**20 for c in p.children(recursive=True))


def run(n: int = 20, timeout: float = 900, url: str | None = None, log=print) -> tuple[list[Table], dict]:
    from gradio_client import Client

    proc = root = None
    if url is None:
        proc, url, root = start_server()
    try:
        warm = Client(url, verbose=False)
        t0 = time.perf_counter()
        warm.predict(QUESTIONS[0], "[]", 4, api_name="/ask")  # waits for the models to load
        first_s = time.perf_counter() - t0
        before = _tree_rss(proc.pid) if proc else float("nan")
        log(f"[load] server ready, first answer after {first_s:.1f} s, RSS {before:.0f} MiB; firing {n} questions")
        clients = [Client(url, verbose=False) for _ in range(min(n, 8))]
        results: list[dict] = [{} for _ in range(n)]
        peak = [before]
        stop = threading.Event()

        def watch_rss():
            while proc and not stop.is_set():
                try:
                    peak[0] = max(peak[0], _tree_rss(proc.pid))
                except Exception:  # noqa: BLE001 - the server may be gone
                    return
                stop.wait(0.5)

        def visitor(i: int):
            q = QUESTIONS[i % len(QUESTIONS)]
            start = time.perf_counter()
            job = clients[i % len(clients)].submit(q, "[]", 4, api_name="/ask")
            waited = False
            while not job.done():
                st = job.status()
                if getattr(st, "rank", None) and st.rank > 0:
                    waited = True
                if time.perf_counter() - start > timeout:
                    job.cancel()
                    results[i] = {"outcome": "timeout", "s": time.perf_counter() - start, "queued": waited}
                    return
                time.sleep(0.2)
            try:
                out = job.result(timeout=5)
                results[i] = {"outcome": "answered", "s": time.perf_counter() - start, "queued": waited,
                              "refused": out.get("refused"), "answer": out.get("answer", "")}
            except Exception as e:  # noqa: BLE001 - the bench records every outcome
                msg = str(e)
                kind = "busy" if ("full" in msg.lower() or "busy" in msg.lower()) else "error"
                results[i] = {"outcome": kind, "s": time.perf_counter() - start, "queued": waited, "error": msg[:200]}

        watcher = threading.Thread(target=watch_rss, daemon=True)
        watcher.start()
        t_all = time.perf_counter()
        threads = [threading.Thread(target=visitor, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 30)
        wall = time.perf_counter() - t_all
        stop.set()
        after = _tree_rss(proc.pid) if proc else float("nan")
        answered = [r for r in results if r.get("outcome") == "answered"]
        lat = [r["s"] for r in answered]
        count = lambda k: sum(r.get("outcome") == k for r in results)  # noqa: E731
        rows = [[n, len(answered), sum(bool(r.get("queued")) for r in results), count("busy"),
                 count("error") + count("timeout"), pct(lat, .5), pct(lat, .95), max(lat, default=float("nan")),
                 wall, len(answered) / wall * 60, before, peak[0], after]]
        errors = sorted({r.get("error", "") for r in results if r.get("outcome") in ("error", "busy")})
        notes = [f"Server: `python -m ui.cli serve` (lite profile, 127.0.0.1, queue of {20} waiting, one answer at a "
                 f"time); {len(clients)} gradio_client connections shared by {n} visitor threads, all submitted at "
                 f"once; questions cycle through {len(QUESTIONS)} (one off-topic, refused without the model).",
                 f"First answer after start (models loading + answer): {first_s:.1f} s.",
                 "queued = the job was seen at a queue position > 0; latency counts from submit to the full answer."]
        if errors:
            notes.append("Errors: " + "; ".join(errors))
        log(f"[load] {len(answered)}/{n} answered in {wall:.0f} s, p50 {pct(lat, .5):.1f} s p95 {pct(lat, .95):.1f} s")
        table = Table(f"Load: {n} concurrent questions on one lite server",
                      ["questions", "answered", "queued", "busy", "failed", "p50 s", "p95 s", "max s", "wall s",
                       "answers/min", "RSS before MiB", "RSS peak MiB", "RSS after MiB"], rows, notes)
        return [table], {"latencies": sorted(lat)}
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if root:
            shutil.rmtree(root, ignore_errors=True)


def plot(chart: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lat = chart["latencies"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(lat, [(i + 1) / len(lat) for i in range(len(lat))], marker=".")
    ax.set_xlabel("seconds from submit to answer")
    ax.set_ylabel("share of questions answered")
    ax.grid(alpha=.3)
    ax.set_title("Concurrent questions on one server (queued, one at a time)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--url", default=None, help="an already running server (RSS is then not measured)")
    args = ap.parse_args(argv)
    tables, chart = run(args.n, args.timeout, args.url, log=lambda m: print(m, file=sys.stderr, flush=True))
    print_tables(tables)
    save_section("load", tables, chart, plot)


if __name__ == "__main__":
    main()
