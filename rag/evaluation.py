"""Run a question-answer set and measure retrieval, answers, citations, refusals and latency.

No LLM judge: an answer is correct when it contains every `must` string (numbers compared by
value after normalising 万/%/full-width digits/Chinese numerals), a retrieval hit is a passage that
contains the item's `evidence`. The file format is documented in eval/README.md.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from .answering import Answerer
from .checks.clauses import passage_figures
from .errors import BadInput
from .reportmeta import YEAR
from .textnorm import MARKER, char_bigrams, cn_digits, figures, normalize, numbers_with_units

_NAMES_AND_STAMPS = re.compile(r"“[^”]{1,40}”|《[^》]{1,60}》|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2}(?::\d{2})?")

TYPES = ("number", "fact", "list", "plan", "paraphrase", "english", "unanswerable", "followup", "unscoped")
FIELDS = ("id", "type", "question", "answer", "must", "evidence")
EVIDENCE_COVERAGE = 0.8  # share of the evidence's character bigrams a passage must hold when it is split


@dataclass(frozen=True)
class QAItem:
    id: str
    type: str
    question: str
    answer: str
    must: list[str]
    evidence: str
    history: list[dict] = field(default_factory=list)
    # A set over several reports (eval/multi) says whose report answers: a file name, a list of
    # them (an unscoped question), or "" (no report does: refuse).
    report: str | list[str] = ""
    category: str = ""
    alternatives: list[dict] = field(default_factory=list)  # unscoped: [{"report","must","names","evidence"}]
    found_in: list[str] = field(default_factory=list)  # a refusal: the other reports that do hold the fact
    split: str = ""  # "dev" (rules are tuned on these) or "test" (held out: only reported); see eval/split.py

    @property
    def reports(self) -> list[str]:
        return [self.report] if isinstance(self.report, str) and self.report else list(self.report or [])


SPLITS = ("", "dev", "test")


def load_qa(path: Path) -> list[QAItem]:
    """Parse and validate a QA file; BadInput names the line of the first problem."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: cannot read the QA file ({e}).") from None
    items, seen = [], {}
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}, line {no}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise BadInput(f"{where}: not valid JSON ({e.msg}).") from None
        if not isinstance(obj, dict):
            raise BadInput(f"{where}: expected a JSON object.")
        missing = [f for f in FIELDS if f not in obj]
        if missing:
            raise BadInput(f"{where}: missing field(s) {', '.join(missing)}.")
        if obj["type"] not in TYPES:
            raise BadInput(f"{where}: unknown type {obj['type']!r}; use one of {', '.join(TYPES)}.")
        if not isinstance(obj["must"], list) or not all(isinstance(m, str) for m in obj["must"]):
            raise BadInput(f"{where}: 'must' must be a list of strings.")
        if not str(obj["question"]).strip():
            raise BadInput(f"{where}: the question is empty.")
        history = obj.get("history") or []
        if not isinstance(history, list) or not all(isinstance(h, dict) and "question" in h for h in history):
            raise BadInput(f"{where}: 'history' must be a list of {{\"question\", \"answer\"}} objects.")
        report = obj.get("report", "")
        if not (isinstance(report, str) or isinstance(report, list) and all(isinstance(r, str) for r in report)):
            raise BadInput(f"{where}: 'report' must be a file name or a list of file names.")
        alternatives = obj.get("alternatives") or []
        if obj["type"] == "unscoped" and not alternatives:
            raise BadInput(f"{where}: an unscoped item needs 'alternatives' (one per report that answers it).")
        if not isinstance(alternatives, list) or not all(
                isinstance(a, dict) and isinstance(a.get("must"), list) and isinstance(a.get("names"), list)
                for a in alternatives):
            raise BadInput(f"{where}: 'alternatives' must be a list of {{\"report\", \"must\", \"names\"}} objects.")
        if obj.get("split", "") not in SPLITS:
            raise BadInput(f"{where}: 'split' must be one of {', '.join(repr(x) for x in SPLITS if x)} (or absent).")
        if obj["id"] in seen:
            raise BadInput(f"{where}: duplicate id {obj['id']!r} (first on line {seen[obj['id']]}).")
        seen[obj["id"]] = no
        items.append(QAItem(str(obj["id"]), obj["type"], obj["question"], obj["answer"], obj["must"],
                            obj["evidence"], history, report, str(obj.get("category") or ""), alternatives,
                            list(obj.get("found_in") or []), obj.get("split", "")))
    if not items:
        raise BadInput(f"{path}: no questions in the file.")
    return items


# ---------------------------------------------------------------- matching

def match_form(text: str) -> str:
    """Normalised for matching: NFKC, no whitespace or markers, Chinese numerals ≤ 99 as digits."""
    return re.sub(r"\s+", "", cn_digits(MARKER.sub("", normalize(text))))


def _value(number: str) -> float:
    scale = {"万": 1e4, "亿": 1e8, "千": 1e3, "百": 1e2, "%": 0.01}.get(number[-1], 1)
    return float(number.rstrip("万亿千百%")) * scale


def contains_must(answer: str, must: str) -> bool:
    """Substring match after normalisation; a number also matches the same value written otherwise."""
    a, m = match_form(answer), match_form(must)
    wanted = numbers_with_units(m)
    if len(wanted) == 1 and re.fullmatch(r"[\d.,]+[万亿千百%]?", m):
        # a bare number: compare values, so 1237 does not match inside 12370
        return any(abs(_value(x) - _value(wanted[0])) < 1e-9 for x in numbers_with_units(a))
    return m in a


def contains_evidence(passage_text: str, evidence: str) -> bool:
    p, e = match_form(passage_text), match_form(evidence)
    if not e:
        return False
    if e in p:
        return True
    grams = char_bigrams(e)
    return bool(grams) and len([g for g in grams if g in p]) / len(grams) >= EVIDENCE_COVERAGE


def rouge_l(candidate: str, reference: str) -> float:
    """Character-level ROUGE-L F1."""
    a, b = match_form(candidate), match_form(reference)
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ca == cb else max(prev[j], cur[-1]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


# ---------------------------------------------------------------- running


@dataclass
class ItemResult:
    id: str
    type: str
    question: str
    answer_given: str | None
    correct: bool | None
    hit_rank: int | None  # 1-based rank of the first passage holding the evidence
    refused: bool | None
    citations: list[dict]
    unsupported_numbers: list[str]
    rouge_l: float | None
    timings_ms: dict
    retrieved: list[str] = field(default_factory=list)  # passage texts, for the failure report
    raw: str = ""  # the model's own text before the check: a changed check can be replayed on it
    category: str = ""
    split: str = ""
    wrong_report: list[str] = field(default_factory=list)  # figures taken from a report the item does not name
    unsupported_shown: list[str] = field(default_factory=list)  # shown figures no cited passage holds
    wrong_clause: list[str] = field(default_factory=list)  # shown, sourced figures that are not the item's answer
    decisions: list[dict] = field(default_factory=list)  # what the answer checks did, with their reasons
    evidence_hit: bool | None = None  # the 原文 sentence shown first holds every `must` (None: the item has none)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    k = (len(v) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return round(v[lo] + (v[hi] - v[lo]) * (k - lo), 1)


@dataclass(frozen=True)
class Shelf:
    """The indexed reports by file name: their doc ids and the figures each one states, to tell
    whether an answer's figure came from the report the item names (eval/multi)."""

    doc_ids: dict[str, str]
    numbers: dict[str, set[str]]

    @classmethod
    def of(cls, answerer: Answerer) -> "Shelf":
        version = answerer.retriever.refresh()
        names = {Path(d["path"]).name: d for d in version.documents}
        return cls({n: d["doc_id"] for n, d in names.items()},
                   {n: set(figures(version.document(d["path"]).text)) for n, d in names.items()})

    def holds(self, passage, report: str) -> bool:
        return self.doc_ids.get(report) in passage.doc_ids

    def wrong_report(self, answer, item: QAItem) -> list[str]:
        """Figures of the answer taken from a report other than the item's.

        An answerable item: figures its report(s) do not state but another report does. A refusal
        (the named body has no report, or its report lacks the fact): figures the answer cites from
        a report that holds the fact for another body (`found_in`; any report when none is named)."""
        if len(self.numbers) < 2:
            return []
        if not item.reports:
            names = {d: n for n, d in self.doc_ids.items()}
            sources = [c.passage for c in answer.citations
                       if not item.found_in or names.get(c.passage.doc_id) in item.found_in]
            held = set().union(*(figures(p.text) for p in sources)) if sources else set()
            return [n for n in dict.fromkeys(figures(answer.text)) if n in held and n not in figures(item.question)]
        answer, question, reports = answer.text, item.question, item.reports
        asked = set(figures(question))
        allowed = set().union(*(self.numbers.get(r, set()) for r in reports))
        others = set().union(*(v for k, v in self.numbers.items() if k not in reports))
        return [n for n in dict.fromkeys(figures(answer)) if n not in asked and n not in allowed and n in others]


def _hit_rank(item: QAItem, hits, shelf: Shelf | None) -> int | None:
    """Rank of the first passage holding the evidence (of the item's report, when it names one)."""
    wanted = [(a.get("evidence", ""), a.get("report", "")) for a in item.alternatives] or [(item.evidence, item.report)]
    for h in hits:
        for evidence, report in wanted:
            if evidence and contains_evidence(h.passage.text, evidence) and (
                    shelf is None or not isinstance(report, str) or not report or shelf.holds(h.passage, report)):
                return h.rank
    return None


def is_correct(item: QAItem, answer_text: str, refused: bool) -> bool:
    if item.type == "unanswerable":
        return refused
    if refused:
        return False
    if item.alternatives:  # any one report's figures, attributed to that report
        return any(all(contains_must(answer_text, m) for m in alt["must"])
                   and (not alt["names"] or any(match_form(n) in match_form(answer_text) for n in alt["names"]))
                   for alt in item.alternatives)
    return all(contains_must(answer_text, m) for m in item.must)


def misread_figures(item: QAItem, shown: str) -> list[str]:
    """The figures an answer shows that the item's answer does not state, years aside. The digits of
    a quoted name (“三项制度”) or of a date and time (2025-02-07 09:34) count nothing."""
    expected = set(figures(item.answer + " " + " ".join(item.must)))
    return [f for f in dict.fromkeys(figures(_NAMES_AND_STAMPS.sub(" ", shown)))
            if f not in expected and not YEAR.fullmatch(f)]


def run_item(answerer: Answerer, item: QAItem, top_k: int, retrieval_only: bool,
             shelf: Shelf | None = None, recorder=None) -> ItemResult:
    """One item's result; `recorder` (replay.Recorder) keeps what its checks read, for the golden replay."""
    if retrieval_only:  # the answer's own steps up to the passages and the evidence sentence, no model
        evidence, hits, timings = None, [], {}
        for event in answerer.stream(item.question, item.history, top_k):
            if event.kind == "evidence":
                evidence = event.data
            elif event.kind == "retrieved":
                hits, timings = event.data.hits, {"retrieve": event.data.seconds * 1000}
                break
        answer = None
    else:
        if recorder is not None:
            recorder.begin()
        answer = answerer.answer(item.question, item.history, top_k)
        if recorder is not None:
            recorder.end(item, answer, top_k)
        hits, timings, evidence = answer.hits, answer.timings_ms, answer.evidence
    result = ItemResult(item.id, item.type, item.question, None, None, _hit_rank(item, hits, shelf), None, [], [],
                        None, {k: round(v, 1) for k, v in timings.items()}, [h.passage.text for h in hits],
                        category=item.category, split=item.split)
    if item.must:
        result.evidence_hit = evidence is not None and all(contains_must(evidence.text, m) for m in item.must)
    if answer is None:
        return result
    result.answer_given, result.refused = answer.text, answer.refused
    result.raw, result.decisions = answer.raw, [d.to_json() for d in answer.decisions]
    result.correct = is_correct(item, answer.text, answer.refused)
    result.rouge_l = round(rouge_l(answer.text, item.answer), 4)
    result.unsupported_numbers = answer.unsupported_numbers
    if not answer.refused:
        shown, held = figures(answer.text), set().union(*(passage_figures(c.passage) for c in answer.citations))
        result.unsupported_shown = [f for f in dict.fromkeys(shown) if f not in held]
        if item.must and not result.correct and not result.unsupported_shown:
            # every figure is in a cited passage, yet the answer is wrong: taken from the wrong clause
            result.wrong_clause = misread_figures(item, answer.text)
    if shelf is not None and not answer.refused:
        result.wrong_report = shelf.wrong_report(answer, item)
    for c in answer.citations:
        supports = bool(item.evidence) and (contains_evidence(c.passage.text, item.evidence) or
                                            (item.must and all(contains_must(c.passage.text, m) for m in item.must)))
        result.citations.append({"n": c.n, "passage_id": c.passage.id, "supports": supports})
    return result


def _answer_metrics(results: list[ItemResult]) -> dict:
    answered = [r for r in results if r.correct is not None]
    if not answered:
        return {}
    cites = [c for r in answered for c in r.citations]
    not_refused = [r for r in answered if not r.refused]
    refused = [r for r in answered if r.refused]
    unanswerable = [r for r in answered if r.type == "unanswerable"]
    return {
        "accuracy": round(sum(r.correct for r in answered) / len(answered), 4),
        "rouge_l": round(sum(r.rouge_l for r in answered) / len(answered), 4),
        "citation_precision": round(sum(c["supports"] for c in cites) / len(cites), 4) if cites else None,
        "cited_share": round(sum(bool(r.citations) for r in not_refused) / len(not_refused), 4) if not_refused else None,
        "refusal_precision": round(sum(r.type == "unanswerable" for r in refused) / len(refused), 4) if refused else None,
        "refusal_recall": round(sum(r.refused for r in unanswerable) / len(unanswerable), 4) if unanswerable else None,
        "unsupported_numbers": sum(len(r.unsupported_numbers) for r in answered),
        "wrong_report_answers": sum(bool(r.wrong_report) for r in answered),
        "unsupported_shown": sum(bool(r.unsupported_shown) for r in answered),
        "wrong_clause": sum(bool(r.wrong_clause) for r in answered),
    }


def _retrieval_metrics(results: list[ItemResult]) -> dict:
    answerable = [r for r in results if r.type != "unanswerable"]
    if not answerable:
        return {}
    return {"hit@3": round(sum(1 for r in answerable if r.hit_rank and r.hit_rank <= 3) / len(answerable), 4),
            **_evidence_hit(results)}


def _evidence_hit(results: list[ItemResult]) -> dict:
    """The share of items with a `must` whose 原文 sentence (shown before the model answers) holds it."""
    scored = [r.evidence_hit for r in results if r.evidence_hit is not None]
    return {"evidence_hit": round(sum(scored) / len(scored), 4)} if scored else {}


def summarize(results: list[ItemResult], profile: str, top_k: int, interrupted: bool = False) -> dict:
    """The JSON object `rag eval --json` writes."""
    answerable = [r for r in results if r.type != "unanswerable"]
    ranks = [r.hit_rank for r in answerable]
    n = len(ranks) or 1

    def lat(key: str, q: float):
        return _percentile([r.timings_ms[key] for r in results if key in r.timings_ms], q)

    return {
        "n": len(results),
        "profile": profile,
        "top_k": top_k,
        "interrupted": interrupted,
        "retrieval": {
            "hit@1": round(sum(1 for r in ranks if r and r <= 1) / n, 4),
            "hit@3": round(sum(1 for r in ranks if r and r <= 3) / n, 4),
            "hit@5": round(sum(1 for r in ranks if r and r <= 5) / n, 4),
            "mrr": round(sum(1 / r for r in ranks if r) / n, 4),
            **_evidence_hit(results),
        },
        "answer": _answer_metrics(results),
        "latency_ms": {f"{name}_{p}": lat(key, q) for name, key in
                       (("retrieve", "retrieve"), ("evidence", "evidence"), ("first_token", "first_token"),
                        ("total", "total"))
                       for p, q in (("p50", 0.5), ("p95", 0.95))},
        "by_type": _grouped(results, "type", TYPES),
        "by_category": _grouped(results, "category", dict.fromkeys(r.category for r in results if r.category)),
        "by_split": _grouped(results, "split", ("dev", "test")),
        "checks": check_counts(results),
        "items": [asdict(r) for r in results],
    }


def _grouped(results: list[ItemResult], attr: str, values) -> dict:
    """The retrieval and answer metrics of the results whose `attr` has each value (absent ones left out)."""
    return {v: {"n": len(rs), **_retrieval_metrics(rs), **_answer_metrics(rs)} for v in values
            if (rs := [r for r in results if getattr(r, attr) == v])}


def check_counts(results: list[ItemResult]) -> dict:
    """How often each check acted (check:action), on items the report answers and on those it cannot:
    a refusing check that fires mostly on unanswerable items earns its keep; one that fires on
    answerable items costs answers. Also how many of the acting items ended correct."""
    out: dict[str, dict] = {}
    for r in results:
        kind = "unanswerable" if r.type == "unanswerable" else "answerable"
        for key in dict.fromkeys(f"{d['check']}:{d['action']}" for d in r.decisions):
            row = out.setdefault(key, {"answerable": 0, "unanswerable": 0, "correct": 0})
            row[kind] += 1
            row["correct"] += bool(r.correct)
    return dict(sorted(out.items()))


def run_eval(answerer: Answerer, items: list[QAItem], top_k: int, retrieval_only: bool,
             on_result: Callable[[ItemResult], None] | None = None, recorder=None) -> tuple[list[ItemResult], bool]:
    """Results so far and whether the run was interrupted (Ctrl-C keeps what was done)."""
    results = []
    shelf = Shelf.of(answerer) if any(i.report or i.alternatives for i in items) else None
    try:
        for item in items:
            results.append(run_item(answerer, item, top_k, retrieval_only, shelf, recorder))
            if on_result:
                on_result(results[-1])
    except KeyboardInterrupt:
        return results, True
    return results, False


# ---------------------------------------------------------------- comparing and reporting


def compare(current: dict, previous: dict) -> list[str]:
    """Lines saying what got better and worse, metric by metric and item by item."""
    lines = []
    for group in ("retrieval", "answer", "latency_ms"):
        for key, now in (current.get(group) or {}).items():
            before = (previous.get(group) or {}).get(key)
            if isinstance(now, (int, float)) and isinstance(before, (int, float)) and now != before:
                lower_better = group == "latency_ms" or key in ("unsupported_numbers", "wrong_report_answers",
                                                                             "unsupported_shown", "wrong_clause")
                better = (now < before) if lower_better else (now > before)
                lines.append(f"{'better' if better else 'worse '}  {group}.{key}: {before} → {now}")
    old = {i["id"]: i for i in previous.get("items", [])}
    for item in current.get("items", []):
        prev = old.get(item["id"])
        if prev is None:
            continue
        if prev.get("correct") is not None and item.get("correct") is not None and prev["correct"] != item["correct"]:
            lines.append(f"{'fixed ' if item['correct'] else 'broken'}  {item['id']}: {item['question']}  "
                         f"(was: {prev.get('answer_given')!r}; now: {item.get('answer_given')!r})")
        if prev.get("hit_rank") != item.get("hit_rank"):
            a, b = prev.get("hit_rank") or "miss", item.get("hit_rank") or "miss"
            good = (item.get("hit_rank") or 99) < (prev.get("hit_rank") or 99)
            lines.append(f"{'better' if good else 'worse '}  {item['id']} evidence rank {a} → {b}")
    return lines


def write_report(summary: dict, items: list[QAItem], directory: Path) -> tuple[Path, Path]:
    """A Markdown report (tables and failures) and a PNG chart of answer metrics by question type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    by_id = {i.id: i for i in items}
    md = [f"# Eval report: profile `{summary['profile']}`, {summary['n']} items, top-k {summary['top_k']}", ""]
    for group in ("retrieval", "answer", "latency_ms"):
        values = summary.get(group) or {}
        if values:
            md += [f"## {group}", "", "| metric | value |", "|---|---|"]
            md += [f"| {k} | {v} |" for k, v in values.items()]
            md.append("")
    for group, label in (("by_split", "split"), ("by_type", "type"), ("by_category", "category")):
        table = summary.get(group) or {}
        if table and any(len(v) > 1 for v in table.values()):
            keys = list(dict.fromkeys(k for v in table.values() for k in v if k != "n"))
            md += [f"## by {label}", "", f"| {label} | n | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
            md += [f"| {t} | {v['n']} | " + " | ".join(str(v.get(k)) for k in keys) + " |" for t, v in table.items()]
            md.append("")
    if summary.get("checks"):
        md += ["## checks (items each check acted on)", "", "| check:action | answerable | unanswerable | correct |",
               "|---|---|---|---|"]
        md += [f"| {k} | {v['answerable']} | {v['unanswerable']} | {v['correct']} |" for k, v in summary["checks"].items()]
        md.append("")
    failures = [r for r in summary["items"] if r["correct"] is False or r.get("wrong_report") or
                (r["hit_rank"] is None and r["type"] != "unanswerable")]
    md += [f"## failures ({len(failures)})", ""]
    for r in failures:
        item = by_id.get(r["id"])
        md += [f"### {r['id']} ({r['type']})", f"- question: {r['question']}",
               f"- expected: {item.answer if item else ''} (must: {', '.join(item.must) if item else ''})",
               f"- given: {r['answer_given']}", f"- evidence rank: {r['hit_rank'] or 'not retrieved'}",
               *([f"- wrong-report figures: {r['wrong_report']}"] if r.get("wrong_report") else []),
               *[f"- decision: {d['check']}:{d['action']}: {d['reason']}" for d in r.get("decisions", [])],
               "- retrieved:"] + [f"  {i}. {t[:120]}…" for i, t in enumerate(r["retrieved"], 1)] + [""]
    report = directory / "report.md"
    report.write_text("\n".join(md), encoding="utf-8")

    chart = directory / "by_type.png"
    types = list(summary["by_type"])
    metrics = [m for m in ("hit@3", "accuracy", "rouge_l", "citation_precision") if any(
        summary["by_type"][t].get(m) is not None for t in types)]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / max(1, len(metrics))
    for i, m in enumerate(metrics):
        ax.bar([x + i * width for x in range(len(types))], [summary["by_type"][t].get(m) or 0 for t in types],
               width, label=m)
    ax.set_xticks([x + width * (len(metrics) - 1) / 2 for x in range(len(types))], types, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"profile {summary['profile']}: metrics by question type (n={summary['n']})")
    if metrics:
        ax.legend()
    fig.tight_layout()
    fig.savefig(chart, dpi=110)
    plt.close(fig)
    return report, chart
