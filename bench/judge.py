"""The judge in its own prompt, reading more or less, vs asked at the end of the answer prompt:
scores, refusals, time.

For each question of a QA set that reaches the judge (retrieved, in scope, no missing year/place):
  separate           its own prompt over the best passage's excerpt as the answer reads it (then
                     the second passage's), then the answer prompt;
  separate, N chars  the same, but a factual question's judge reads each passage's sentences
                     closest to it within N characters (Profile.factual_judge_chars; the default
                     profile ships 80);
  shared             the yes/no question appended to the answer prompt
                     (prompting.shared_judge_messages), then the answer prompt, whose passages
                     llama.cpp has just evaluated.
Both start from the same state (the fixed prompt prefix evaluated, as after warm-up; the RAM
prompt cache off, so neither path finds the other's prompt). Printed: time to the answer's first
token per path, the score distributions of answerable vs unanswerable questions, and refusal
precision / recall of each judge alone over a sweep of thresholds, to calibrate
Profile.judge_min with factual_judge_chars, and shared_judge_min.

    python -m bench.judge [--qa eval/qa.jsonl] [--source DIR --index DIR] [--limit N] [--chars 80 120]
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


def run(qa: Path, source: Path | None, index: Path | None, limit: int, chars: tuple[int, ...] = (80, 120),
        log=print) -> list[Table]:
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
    judges = {"separate": lambda q, ctx, msgs: judge(gen, q, ctx, labelled)}
    for n in chars:
        judges[f"separate, {n} chars"] = lambda q, ctx, msgs, n=n: judge(gen, q, ctx, labelled, chars=n)
    judges["shared"] = lambda q, ctx, msgs: judge_shared(gen, msgs)
    scores: dict[str, list[tuple[float, bool]]] = {name: [] for name in judges}
    times: dict[str, list[float]] = {name: [] for name in judges}
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
        for name, ask in judges.items():
            _first_token_ms(gen, fixed, time.perf_counter())  # back to the fixed prefix
            t0 = time.perf_counter()
            scores[name].append((ask(res.asked, context, messages), unanswerable))
            times[name].append(_first_token_ms(gen, messages, t0))
        log(f"{i}/{len(items)} {item.id}{' (unanswerable)' if unanswerable else ''}: " + "; ".join(
            f"{name} {scores[name][-1][0]:.2f} in {times[name][-1]:.0f} ms" for name in judges))
    n = len(scores["shared"])
    timing = Table(f"Judge + first answer token, {qa.name}, {n} questions that reach the judge (ms)",
                   ["path", "median", "min", "max", "/ separate"],
                   [[k, median(v), min(v, default=float("nan")), max(v, default=float("nan")),
                     median(v) / median(times["separate"])] for k, v in times.items()])
    dist = Table("Judge scores (logit 是 − 否)", ["judge", "answerable median", "answerable min",
                                                  "unanswerable median", "unanswerable max"])
    for name, got in scores.items():
        yes = [s for s, u in got if not u]
        no = [s for s, u in got if u]
        dist.rows.append([name, median(yes), min(yes, default=float("nan")), median(no), max(no, default=float("nan"))])
    tables = [timing, dist]
    for name, got in scores.items():
        lo, hi = int(min(s for s, _ in got)) - 1, int(max(s for s, _ in got)) + 2
        tables.append(Table(f"{name} judge alone: refusing below a threshold", ["threshold", "refused", "precision",
                                                                                 "recall"],
                            _sweep(got, [x / 2 for x in range(2 * lo, 2 * hi)])))
    return tables


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qa", type=Path, default=Path("eval/qa.jsonl"))
    ap.add_argument("--source", type=Path, default=None, help="the QA set's own reports folder")
    ap.add_argument("--index", type=Path, default=None, help="index folder for --source")
    ap.add_argument("--limit", type=int, default=0, help="only N questions, spread over the set")
    ap.add_argument("--chars", type=int, nargs="*", default=[80, 120],
                    help="also the separate judge reading this many characters of each passage for a factual question")
    args = ap.parse_args(argv)
    print_tables(run(args.qa, args.source, args.index, args.limit, tuple(args.chars)))


if __name__ == "__main__":
    main()
