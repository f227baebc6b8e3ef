"""Where the time of one answer goes, per profile, and what four optimisations are worth.

Steady state first (models loaded, an earlier question answered): retrieval split into query
embedding, FAISS and BM25; the judge call (default profile); prompt tokens; time to first token
(≈ retrieval + judge + prompt evaluation); decode tokens/s; total. Then before/after pairs:
  warm-up      the first question after start, with and without evaluating the fixed prompt
               prefix (system prompt + worked examples) once at start
  KV prefix    consecutive questions with the LlamaRAMCache (as shipped) / without it / with no
               prefix reuse at all (KV cache emptied before each question)
  context      context_chars 600 + passage_chars 200 (as shipped) vs 2000 + 500
  query cache  embedding a question: LRU hit vs miss

    python -m bench.budget [--profiles default,lite] [--quick]
"""
from __future__ import annotations

import argparse
import sys
import time

from bench.common import Table, save_section, Timer, median, print_tables

QUESTIONS = [("全市共聘任了多少名法治副校长？", "1237"),
             ("2024年新建了多少所中小学和幼儿园？", "96"),
             ("2024年杭州暑期托管服务设了多少个服务点？", "1385")]
PRIMER = "“清膳E家”平台是做什么的？"


def _answer(answerer, question: str, count) -> dict:
    """Answer once; per-phase times from the event stream and the Answer's timings."""
    t0 = time.perf_counter()
    stamps, pieces, ans = [], [], None
    for event in answerer.stream(question):
        now = time.perf_counter()
        if event.kind == "token":
            stamps.append(now)
            pieces.append(event.data)
        elif event.kind == "answer":
            ans = event.data
    end = time.perf_counter()
    t = ans.timings_ms
    n = count("".join(pieces))
    decode = (n - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 and n > 1 else float("nan")
    return {"retrieve": t.get("retrieve", 0.0), "judge": t.get("judge", 0.0), "ttft": t["first_token"],
            "prompt_eval": t["first_token"] - t.get("retrieve", 0.0) - t.get("judge", 0.0),
            "decode_tps": decode, "decode_ms": (stamps[-1] - stamps[0]) * 1000 if stamps else 0.0,
            "total": (end - t0) * 1000, "tokens": n, "text": ans.text, "refused": ans.refused,
            "context_chars": sum(len(c.excerpt) for c in ans.context), "answer": ans}


def _prompt_tokens(llm, answer) -> int:
    from bench.overhead import _render
    from rag.models import profile_spec
    from rag.prompting import build_messages

    spec = profile_spec(_profile_of(llm))
    msgs = build_messages(answer.question, answer.context, spec.examples)
    return len(llm.tokenize(_render(llm, msgs).encode(), add_bos=False, special=True))


_PROFILE_OF_LLM: dict[int, str] = {}


def _profile_of(llm) -> str:
    return _PROFILE_OF_LLM[id(llm)]


def _cold(llm):
    llm.reset()
    if llm.cache is not None:
        llm.cache.cache_state.clear()


def _warm_up(answerer) -> None:
    """The start-up warm-up the servers run while loading (Answerer.warm_up)."""
    answerer.warm_up()


def run_profile(profile: str, quick: bool, log=print) -> list[Table]:
    from rag.config import Config
    from rag.embedding import get_embedder
    from rag.generation import get_generator
    from rag.indexing import ensure_index
    from rag.keyword import tokenize
    from rag.pipeline import load_answerer

    cfg = Config.from_env().with_(profile=profile, answer_cache=0)  # every answer measured, none cached
    with Timer() as t_emb_load:
        embedder = get_embedder(cfg)
    ensure_index(cfg, embedder)
    with Timer() as t_gen_load:
        gen = get_generator(cfg)
    with Timer():
        answerer = load_answerer(cfg)
    llm = gen.llm
    _PROFILE_OF_LLM[id(llm)] = profile
    count = lambda s: len(llm.tokenize(s.encode(), add_bos=False, special=False)) if s else 0  # noqa: E731
    questions = QUESTIONS[:1] if quick else QUESTIONS
    tables = []

    # -- warm-up at start (the first question after loading): before / after
    _cold(llm)
    first_cold = _answer(answerer, questions[0][0], count)
    _cold(llm)
    with Timer() as t_warm:
        _warm_up(answerer)
    first_warm = _answer(answerer, questions[0][0], count)
    log(f"[budget:{profile}] first question TTFT {first_cold['ttft']:.0f} ms cold, {first_warm['ttft']:.0f} ms after "
        f"a {t_warm.ms:.0f} ms warm-up")

    # -- steady state, as shipped
    _answer(answerer, PRIMER, count)
    steady = []
    for q, want in questions:
        r = _answer(answerer, q, count)
        r["prompt_tokens"] = _prompt_tokens(llm, r["answer"])
        r["ok"] = want in r["text"]
        steady.append(r)
        log(f"[budget:{profile}] {q} ttft {r['ttft']:.0f} ms total {r['total']:.0f} ms: {r['text'][:40]}")
    # retrieval parts (the retriever does exactly these steps)
    retr = answerer.retriever
    parts = {"embed (miss)": [], "embed (hit)": [], "FAISS": [], "BM25 (tokenise+search)": [], "search total": []}
    import numpy as np

    for q, _ in questions:
        with Timer() as t:
            v = embedder._query(q)
        parts["embed (miss)"].append(t.ms)
        embedder.embed_query(q)
        with Timer() as t:
            embedder.embed_query(q)
        parts["embed (hit)"].append(t.ms)
        with Timer() as t:
            retr.version.faiss.search(v.reshape(1, -1).astype(np.float32), 20)
        parts["FAISS"].append(t.ms)
        with Timer() as t:
            retr.current()[1].search(tokenize(q), 20)
        parts["BM25 (tokenise+search)"].append(t.ms)
        with Timer() as t:
            retr.search(q, cfg.top_k)
        parts["search total"].append(t.ms)

    m = lambda k: median(r[k] for r in steady)  # noqa: E731
    rows = [["models: embedder load (first use)", t_emb_load.ms, "once per process"],
            ["models: generator load (first use)", t_gen_load.ms, "once per process"],
            ["retrieval: query embedding (LRU miss)", median(parts["embed (miss)"]), ""],
            ["retrieval: FAISS exact top-20", median(parts["FAISS"]), f"{len(retr.version.passages)} passages"],
            ["retrieval: BM25 (jieba + scoring)", median(parts["BM25 (tokenise+search)"]), ""],
            ["retrieval: whole search (cached query vector)", median(parts["search total"]), "+ fusion, gating"],
            ["judge call (one model call, 1 token)", m("judge"), "default profile only" if m("judge") else "no judge"],
            ["prompt tokens", m("prompt_tokens"), "system + examples + passages + question"],
            ["prompt evaluation (TTFT − retrieval − judge)", m("prompt_eval"), "the fixed prefix is reused"],
            ["time to first token", m("ttft"), "from the call"],
            ["decode", m("decode_ms"), f"{m('tokens'):.0f} tokens at {m('decode_tps'):.1f} tok/s"],
            ["total", m("total"), f"{sum(r['ok'] for r in steady)}/{len(steady)} answers hold the expected number"]]
    tables.append(Table(f"Budget of one answer: {profile} profile (steady state, medians of {len(steady)} questions)",
                        ["step", "ms (or count)", "note"], rows))

    # -- KV prefix reuse: cache on / off / none
    kv_rows = []
    variants = [("LlamaRAMCache on (as shipped)", "on"), ("LlamaRAMCache off", "off"),
                ("no prefix reuse (KV emptied before each)", "none")]
    cache = llm.cache
    for label, mode in variants:
        llm.set_cache(cache if mode == "on" else None)
        if cache is not None:
            cache.cache_state.clear()
        _answer(answerer, PRIMER, count)
        rs = []
        for q, _ in questions:
            if mode == "none":
                _cold(llm)
            rs.append(_answer(answerer, q, count))
        kv_rows.append([label, median(r["ttft"] for r in rs), median(r["prompt_eval"] for r in rs),
                        median(r["total"] for r in rs)])
        log(f"[budget:{profile}] KV {label}: ttft {kv_rows[-1][1]:.0f} ms")
    llm.set_cache(cache)
    tables.append(Table(f"Before/after: warm-up and KV prefix reuse ({profile})",
                        ["variant", "TTFT ms", "prompt eval ms", "total ms"],
                        [["first question after start, no warm-up (`rag ask`)", first_cold["ttft"],
                          first_cold["prompt_eval"], first_cold["total"]],
                         [f"first question after the start-up warm-up ({t_warm.ms:.0f} ms, once; `rag serve`/`rag api`)",
                          first_warm["ttft"], first_warm["prompt_eval"], first_warm["total"]]] + kv_rows,
                        ["KV rows: consecutive different questions after one primer question; medians."
                         + (" The default profile's judge call has its own prompt, so without the RAM cache the "
                            "answer prefix is evaluated again every time." if m("judge") else
                            " The lite profile has no judge: consecutive answers share the prefix through "
                            "llama.cpp's own prefix match, so the RAM cache only costs its state copy.")]))

    # -- context budget
    ctx_rows = []
    for label, chars, per in (("context 600 / passage 200 (as shipped)", 600, 200), ("context 2000 / passage 500", 2000, 500)):
        a = load_answerer(cfg.with_(context_chars=chars, passage_chars=per))
        _answer(a, PRIMER, count)
        rs = []
        for q, want in questions:
            r = _answer(a, q, count)
            r["prompt_tokens"] = _prompt_tokens(llm, r["answer"])
            r["ok"] = want in r["text"]
            rs.append(r)
        ctx_rows.append([label, median(r["context_chars"] for r in rs), median(r["prompt_tokens"] for r in rs),
                         median(r["ttft"] for r in rs), median(r["total"] for r in rs),
                         f"{sum(r['ok'] for r in rs)}/{len(rs)}"])
        log(f"[budget:{profile}] {label}: ttft {ctx_rows[-1][3]:.0f} ms")
    tables.append(Table(f"Before/after: context budget ({profile})",
                        ["context", "passage chars", "prompt tokens", "TTFT ms", "total ms", "expected number"],
                        ctx_rows))
    tables.append(Table(f"Before/after: query-embedding cache ({profile}, {embedder.id})",
                        ["case", "ms"], [["miss (embed)", median(parts["embed (miss)"])],
                                         ["hit (LRU)", median(parts["embed (hit)"])]]))
    return tables


def run(profiles=("default", "lite"), quick=False, log=print) -> tuple[list[Table], dict]:
    tables = []
    for p in profiles:
        tables += run_profile(p, quick, log)
    chart = {}
    for t in tables:
        if t.title.startswith("Budget of one answer"):
            prof = t.title.split(": ")[1].split(" ")[0]
            get = {r[0]: r[1] for r in t.rows}
            chart[prof] = {"retrieval": get["retrieval: query embedding (LRU miss)"] + get["retrieval: whole search (cached query vector)"],
                           "judge": get["judge call (one model call, 1 token)"],
                           "prompt eval": get["prompt evaluation (TTFT − retrieval − judge)"],
                           "decode": get["decode"]}
    return tables, chart


def plot(chart: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2.2 + 0.6 * len(chart)))
    colors = {"retrieval": "#4c72b0", "judge": "#dd8452", "prompt eval": "#55a868", "decode": "#c44e52"}
    for i, (prof, parts) in enumerate(chart.items()):
        left = 0.0
        for k, v in parts.items():
            ax.barh(i, v / 1000, left=left, color=colors[k], label=k if i == 0 else None)
            left += v / 1000
    ax.set_yticks(range(len(chart)), list(chart))
    ax.set_xlabel("seconds (one answer, steady state)")
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", default="default,lite")
    ap.add_argument("--quick", action="store_true", help="one question per measurement")
    args = ap.parse_args(argv)
    tables, chart = run(tuple(args.profiles.split(",")), args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    print_tables(tables)
    save_section("budget", tables, chart, plot)
    return tables, chart


if __name__ == "__main__":
    main()
