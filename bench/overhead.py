"""Generation overhead: our answer path vs raw llama.cpp, same model, same prompt, same settings.

Three paths generate from the same messages (built by rag.prompting.build_messages from a real
retrieval, exactly as Answerer builds them):
  raw       llama_cpp.Llama(...).create_chat_completion(stream=True, temperature=0, top_k=1,
            repeat_penalty=1.0) on a second Llama with identical n_ctx / n_threads / n_batch
  generator LlamaCppGenerator.stream (what Answerer calls; it adds a lock and a LlamaRAMCache)
  answerer  Answerer.stream end to end, the judge disabled (retrieval, context selection, prompt,
            generation, citation check); for the default profile also with the judge as shipped,
            on the question as the report words it (the judge is skipped) and on a paraphrase
            (the judge is asked), each against raw llama.cpp on its own answer prompt
Each in two states: cold (KV cache emptied: llm.reset() and the RAM cache cleared) and warm (an
earlier question with the same fixed prompt prefix was just answered). Runs alternate (raw,
generator, answerer, raw, …); medians are reported. Decode tokens/s counts the answer's tokens
after the first one over the time from the first to the last piece.

    python -m bench.overhead [--profile default|lite] [--reps 3]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from bench.common import Table, save_section, median, print_tables

QUESTION = "全市共聘任了多少名法治副校长？"
PARAPHRASE = "学校里有多少个法律方面的副校长？"  # no sentence says it in these words: the judge decides
PRIMER = "2024年新建了多少所中小学和幼儿园？"


def _consume(pieces, t0, count):
    first = last = None
    text = []
    for piece in pieces:
        now = time.perf_counter()
        if first is None:
            first = now
        last = now
        text.append(piece)
    end = time.perf_counter()
    out = "".join(text)
    n = count(out)
    decode = (n - 1) / (last - first) if first is not None and last > first and n > 1 else float("nan")
    return {"ttft": (first - t0) * 1000 if first else float("nan"), "decode": decode, "total": (end - t0) * 1000,
            "tokens": n, "text": out}


def run(profile: str = "default", reps: int = 3, log=print) -> tuple[list[Table], dict]:
    import rag.answering as answering
    from llama_cpp import Llama

    from rag.config import Config
    from rag.embedding import get_embedder
    from rag.generation import _threads
    from rag.indexing import ensure_index
    from rag.models import MODEL_FILES, profile_spec
    from rag.pipeline import load_answerer
    from rag.prompting import build_messages, is_factual, select_context

    cfg = Config.from_env().with_(profile=profile, answer_cache=0)  # every answer measured, none cached
    ensure_index(cfg, get_embedder(cfg))
    spec = profile_spec(profile)
    model_path = MODEL_FILES[spec.llm].path(cfg.models_dir)
    answerer = load_answerer(cfg)
    gen = answerer.generator
    raw = Llama(model_path=str(model_path), n_ctx=cfg.n_ctx, n_threads=_threads(cfg), n_batch=512, verbose=False)
    count = lambda s: len(raw.tokenize(s.encode(), add_bos=False, special=False)) if s else 0  # noqa: E731

    def messages_for(q):
        r = answerer.retriever.search(q, cfg.top_k)
        ctx = select_context(r.hits, q, cfg.context_chars, cfg.passage_chars, answerer.factual_context_chars)
        return build_messages(q, ctx, spec.examples)

    targets = {QUESTION: messages_for(QUESTION), PARAPHRASE: messages_for(PARAPHRASE)}
    primer = messages_for(PRIMER)
    settings = dict(temperature=0.0, top_k=1, repeat_penalty=1.0)
    no_judge = dataclasses.replace(spec, judge_min=None)

    def raw_stream(msgs, max_tokens):
        for chunk in raw.create_chat_completion(messages=msgs, max_tokens=max_tokens, stream=True, **settings):
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield piece

    def cold(llm):
        llm.reset()
        if llm.cache is not None:
            llm.cache.cache_state.clear()

    def prime(llm, stream):
        cold(llm)
        for _ in stream(primer, 8):
            pass

    def answer_stream(judge: bool, question: str = QUESTION):
        def stream(msgs, max_tokens):
            original = answering.profile_spec
            if not judge:
                answering.profile_spec = lambda name: no_judge
            try:
                for event in answerer.stream(question):
                    if event.kind == "token":
                        yield event.data
            finally:
                answering.profile_spec = original
        return stream

    paths = {"raw llama.cpp": (raw, raw_stream, QUESTION), "LlamaCppGenerator.stream": (gen.llm, gen.stream, QUESTION),
             "Answerer.stream (no judge)": (gen.llm, answer_stream(False), QUESTION)}
    if spec.judge_min is not None:
        paths["Answerer.stream (as shipped)"] = (gen.llm, answer_stream(True), QUESTION)
        paths["raw llama.cpp, paraphrase"] = (raw, raw_stream, PARAPHRASE)
        paths["Answerer.stream (as shipped), paraphrase"] = (gen.llm, answer_stream(True, PARAPHRASE), PARAPHRASE)
    baseline = {name: "raw llama.cpp, paraphrase" if q == PARAPHRASE else "raw llama.cpp"
                for name, (_, _, q) in paths.items()}
    results: dict[tuple[str, str], list[dict]] = {}
    max_tokens = cfg.max_new_tokens
    for rep in range(reps):
        for state in ("cold", "warm"):
            for name, (llm, stream, question) in paths.items():
                if state == "warm":
                    prime(llm, gen.stream if llm is gen.llm else raw_stream)
                else:
                    cold(llm)
                t0 = time.perf_counter()
                r = _consume(stream(targets[question], max_tokens), t0, count)
                results.setdefault((name, state), []).append(r)
                log(f"[overhead] rep {rep + 1} {state:4} {name:36} ttft {r['ttft']:7.0f} ms  "
                    f"decode {r['decode']:5.2f} tok/s  total {r['total']:7.0f} ms  {r['tokens']} tok")
    n_prompt = len(raw.tokenize(_render(raw, targets[QUESTION]).encode(), add_bos=False, special=True))
    budget = min(cfg.context_chars, answerer.factual_context_chars or cfg.context_chars) if is_factual(QUESTION) \
        else cfg.context_chars
    texts = {name: results[(name, "cold")][0]["text"] for name in paths}
    same = all(texts[name] == texts[baseline[name]] for name in paths)
    rows, chart = [], {}
    for state in ("cold", "warm"):
        for name in paths:
            base = results[(baseline[name], state)]
            b_ttft, b_dec, b_tot = (median(r[k] for r in base) for k in ("ttft", "decode", "total"))
            rs = results[(name, state)]
            ttft, dec, tot = (median(r[k] for r in rs) for k in ("ttft", "decode", "total"))
            rows.append([state, name, ttft, dec, tot, median(r["tokens"] for r in rs), ttft / b_ttft, dec / b_dec,
                         tot / b_tot])
            chart[(state, name)] = (ttft, dec)
    notes = [f"Model {model_path.name}; n_ctx={cfg.n_ctx}, n_threads={_threads(cfg)}, n_batch=512; greedy "
             f"(temperature 0, top_k 1, repeat_penalty 1.0); max_tokens={max_tokens}; {reps} repetitions per cell, "
             "medians.",
             f"Prompt: {n_prompt} tokens (system prompt + {len(spec.examples)} worked example(s) + "
             f"{cfg.top_k} retrieved passages cut to {budget} characters + the question “{QUESTION}”).",
             "Answerer TTFT counts from the call, so it includes retrieval (query embedding, FAISS, BM25) and context "
             "selection; as shipped, the judge is skipped for a question a sentence states in its words and asked "
             f"(one more model call) for the paraphrase “{PARAPHRASE}”, compared with raw llama.cpp on its own prompt.",
             f"Identical answer text as raw llama.cpp on the same prompt: {'yes' if same else 'NO: ' + repr(texts)}.",
             "ratio = ours / raw (TTFT: lower is better; decode tok/s: higher is better)."]
    table = Table(f"Generation overhead vs raw llama.cpp ({profile} profile)",
                  ["KV cache", "path", "TTFT ms", "decode tok/s", "total ms", "answer tokens", "TTFT ratio",
                   "decode ratio", "total ratio"], rows, notes)
    return [table], {"profile": profile, "cells": chart}


def _render(llm, messages) -> str:
    """The prompt text as the GGUF's chat template renders it (for counting prompt tokens)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata["tokenizer.chat_template"]
    eos = llm._model.token_get_text(llm.token_eos())
    fmt = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")
    return fmt(messages=messages).prompt


def plot(chart: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = chart["cells"]
    names = list(dict.fromkeys(n for _, n in cells))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [j + i * width for j in range(2)]
        a1.bar(xs, [cells[(s, name)][0] / 1000 for s in ("cold", "warm")], width, label=name)
        a2.bar(xs, [cells[(s, name)][1] for s in ("cold", "warm")], width, label=name)
    for a, y in ((a1, "time to first token (s)"), (a2, "decode tokens/s")):
        a.set_xticks([0.4 - width / 2, 1.4 - width / 2], ["cold KV cache", "warm prefix"])
        a.set_ylabel(y)
        a.grid(axis="y", alpha=.3)
    a1.legend(fontsize=7)
    fig.suptitle(f"Our answer path vs raw llama.cpp ({chart['profile']} profile)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default", choices=("default", "lite"))
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args(argv)
    tables, chart = run(args.profile, args.reps, log=lambda m: print(m, file=sys.stderr, flush=True))
    print_tables(tables)
    save_section("overhead", tables, chart, plot)
    return tables, chart


if __name__ == "__main__":
    main()
