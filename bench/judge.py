"""The judge in its own prompt vs asked at the end of the answer prompt: scores, refusals, time.

For each question of a QA set that reaches the judge (retrieved, in scope, no missing year/place):
  separate  the shipped judge: its own prompt over the best passage (then the second), then the
            answer prompt, as Answerer does with shared_judge off;
  shared    the yes/no question appended to the answer prompt (prompting.shared_judge_messages),
            then the answer prompt, whose passages llama.cpp has just evaluated.
Both start from the same state (the fixed prompt prefix evaluated, as after warm-up; the RAM
prompt cache off, so neither path finds the other's prompt). Printed: time to the answer's first
token per path, the score distributions of answerable vs unanswerable questions, and refusal
precision / recall of each judge alone over a sweep of thresholds, to calibrate
Profile.shared_judge_min.

    python -m bench.judge [--qa eval/qa.jsonl] [--source DIR --index DIR] [--limit N]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.common import Table, median, print_tables


def _first_token_ms(generator, messages, t0: float) -> float:
    for _ in generator.stream(messages, 1):
        break
    return (time.perf_counter() - t0) * 1000


def _sweep(scores: list[tuple[float, bool]], thresholds) -> list[list]:
    rows = []
    unanswerable = sum(1 for _, u in scores if u)
    for t in thresholds:
        refused = [u for s, u in scores if s < t]
        precision = sum(refused) / len(refused) if refused else float("nan")
        recall = sum(refused) / unanswerable if unanswerable else float("nan")
        rows.append([t, len(refused), precision, recall])
    return rows


def run(qa: Path, source: Path | None, index: Path | None, limit: int, log=print) -> list[Table]:
    from rag.answerability import judge, judge_shared, missing_constraints
    from rag.config import Config
    from rag.evaluation import load_qa
    from rag.pipeline import load_answerer
    from rag.prompting import build_messages, select_context

    cfg = Config.from_env().with_(profile="default", answer_cache=0)
    if source:
        cfg = cfg.with_(source_dir=source)
    if index:
        cfg = cfg.with_(index_root=index)
    a = load_answerer(cfg, True, build_missing=True)
    gen = a.generator
    if getattr(gen, "llm", None) is not None:
        gen.llm.set_cache(None)  # neither path may find the other's prompt saved
    labelled = len(a.retriever.version.reports) > 1
    examples = a.spec.prompt_examples(labelled)
    fixed = build_messages("预热", [], examples, labelled)
    items = load_qa(qa)
    if limit:  # spread over the set (it is grouped by type), not its first types only
        items = items[::max(1, len(items) // limit)][:limit]
    separate, shared, times = [], [], {"separate": [], "shared": []}
    for i, item in enumerate(items, 1):
        res = a.resolve(item.question, item.history)
        scope = a.scope_of(item.question, res.asked)
        if scope.uncovered:
            continue
        retrieval = a.retriever.search(res.query, cfg.top_k, scope)
        if not retrieval.relevant:
            continue
        context = select_context(retrieval.hits, res.query, cfg.context_chars, cfg.passage_chars, a.factual_context_chars)
        if not context or missing_constraints(res.asked, context):
            continue
        messages = build_messages(res.asked, context, examples, labelled)
        unanswerable = item.type == "unanswerable"
        for name, ask in (("separate", lambda: judge(gen, res.asked, context, labelled)),
                          ("shared", lambda: judge_shared(gen, messages))):
            _first_token_ms(gen, fixed, time.perf_counter())  # back to the fixed prefix
            t0 = time.perf_counter()
            score = ask()
            times[name].append(_first_token_ms(gen, messages, t0))
            (separate if name == "separate" else shared).append((score, unanswerable))
        log(f"{i}/{len(items)} {item.id}: separate {separate[-1][0]:.2f}, shared {shared[-1][0]:.2f}"
            f"{' (unanswerable)' if unanswerable else ''}; first token {times['separate'][-1]:.0f} vs "
            f"{times['shared'][-1]:.0f} ms")
    n = len(shared)
    timing = Table(f"Judge + first answer token, {qa.name}, {n} questions that reach the judge (ms)",
                   ["path", "median", "min", "max"],
                   [[k, median(v), min(v, default=float("nan")), max(v, default=float("nan"))] for k, v in times.items()])
    timing.notes.append(f"shared / separate, medians: {median(times['shared']) / median(times['separate']):.2f}")
    dist = Table("Judge scores (logit 是 − 否)", ["judge", "answerable median", "answerable min",
                                                  "unanswerable median", "unanswerable max"])
    for name, scores in (("separate", separate), ("shared", shared)):
        yes = [s for s, u in scores if not u]
        no = [s for s, u in scores if u]
        dist.rows.append([name, median(yes), min(yes, default=float("nan")), median(no), max(no, default=float("nan"))])
    tables = [timing, dist]
    for name, scores in (("separate", separate), ("shared", shared)):
        lo, hi = int(min(s for s, _ in scores)) - 1, int(max(s for s, _ in scores)) + 2
        tables.append(Table(f"{name} judge alone: refusing below a threshold", ["threshold", "refused", "precision",
                                                                                 "recall"],
                            _sweep(scores, [x / 2 for x in range(2 * lo, 2 * hi)])))
    return tables


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qa", type=Path, default=Path("eval/qa.jsonl"))
    ap.add_argument("--source", type=Path, default=None, help="the QA set's own reports folder")
    ap.add_argument("--index", type=Path, default=None, help="index folder for --source")
    ap.add_argument("--limit", type=int, default=0, help="only N questions, spread over the set")
    args = ap.parse_args(argv)
    print_tables(run(args.qa, args.source, args.index, args.limit))


if __name__ == "__main__":
    main()
