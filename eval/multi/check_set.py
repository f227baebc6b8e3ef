#!/usr/bin/env python3
"""Validate eval/multi/qa.jsonl against the report shelf in eval/multi/reports/.

Standalone: stdlib plus rag.textnorm.normalize. Prints a summary table; exits 1 on any failure.
Usage: python3 eval/multi/check_set.py [path/to/qa.jsonl]
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
from rag.textnorm import normalize  # noqa: E402

REPORTS = HERE / "reports"
SEED = "000_08d26d6dac988051.txt"
REFUSAL = "报告中没有找到与该问题相关的内容。"
CATEGORY_TYPES = {
    "per_report": {"number", "fact", "list"},
    "same_fact": {"number", "fact", "list"},
    "year": {"number", "fact", "list"},
    "lacks_fact": {"unanswerable"},
    "no_report": {"unanswerable"},
    "unscoped": {"unscoped"},
    "followup": {"followup"},
}
MINIMA = {"per_report": 22, "same_fact": 16, "year": 6, "lacks_fact": 8, "no_report": 5, "unscoped": 6, "followup": 6}
MIN_PAIRS = {"same_fact": 8, "year": 3}
MIN_TOTAL = 72

# Which report a question points at: body patterns and the year each report covers.
REPORT_YEAR = {SEED: "2024", "chengzhou_jyj_2023.txt": "2023", "chengzhou_jyj_2024.txt": "2024",
               "yunxi_jyj_2024.txt": "2024", "qinghe_jyj_2024.txt": "2024", "yunxi_zf_2024.txt": "2024"}
BODIES = [
    ("杭州市教育局", re.compile(r"杭州"), [SEED]),
    ("云溪区人民政府", re.compile(r"云溪区(?:人民)?政府"), ["yunxi_zf_2024.txt"]),
    ("云溪区教育局", re.compile(r"云溪区(?!(?:人民)?政府)"), ["yunxi_jyj_2024.txt"]),
    ("青禾区教育局", re.compile(r"青禾区(?!(?:人民)?政府)"), ["qinghe_jyj_2024.txt"]),
    ("澄州市教育局", re.compile(r"澄州市(?!云溪|青禾|人民政府|政府|司法局)"),
     ["chengzhou_jyj_2023.txt", "chengzhou_jyj_2024.txt"]),
]
YEAR = re.compile(r"(20\d\d)年")

_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = re.compile(r"[一二两三四五六七八九十]{1,3}(?=[年次个所名件项人家])")
_NUM = re.compile(r"\d+(?:\.\d+)?\s*[万亿%]?")


def flat(text: str) -> str:
    """normalize() and no whitespace at all: the form evidence and must strings are compared in."""
    return re.sub(r"\s+", "", normalize(text))


def _cn_int(s: str) -> str:
    if "十" not in s:
        return str(_CN[s]) if len(s) == 1 and s in _CN else s
    tens, _, ones = s.partition("十")
    if (tens and tens not in _CN) or (ones and ones not in _CN):
        return s
    return str((_CN[tens] if tens else 1) * 10 + (_CN[ones] if ones else 0))


def values(strings: list[str]) -> set[float]:
    """Numeric values in must strings (thousands separators, 万/亿/%, Chinese numerals ≤ 99)."""
    out = set()
    for s in strings:
        t = _CN_NUM.sub(lambda m: _cn_int(m.group()), flat(s)).replace(",", "")
        for m in _NUM.finditer(t):
            tok = m.group()
            scale = {"万": 1e4, "亿": 1e8, "%": 0.01}.get(tok[-1], 1)
            out.add(round(float(tok.rstrip("万亿%")) * scale, 6))
    return out


def mentions(question: str) -> tuple[list[tuple[str, list[str]]], set[str]]:
    bodies = [(name, reps) for name, pat, reps in BODIES if pat.search(question)]
    return bodies, set(YEAR.findall(question))


def named_reports(question: str, history: list[dict] | None = None) -> set[str]:
    """Reports on the shelf that the question (with its history for a follow-up) names."""
    bodies, years = mentions(question)
    if history:
        h_bodies, h_years = mentions(" ".join(h.get("question", "") for h in history))
        bodies = bodies or h_bodies
        years = years or h_years
    return {r for _, reps in bodies for r in reps if not years or REPORT_YEAR[r] in years}


def main() -> int:
    qa_path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "qa.jsonl"
    errors: list[str] = []

    def fail(item_id: str, msg: str) -> None:
        errors.append(f"{item_id}: {msg}")

    texts = {p.name: flat(p.read_text(encoding="utf-8")) for p in sorted(REPORTS.glob("*.txt"))}
    for name in REPORT_YEAR:
        if name not in texts:
            fail("shelf", f"report file {name} missing")
    seed_src = ROOT / "seeds" / SEED
    if seed_src.exists() and (REPORTS / SEED).exists() and seed_src.read_bytes() != (REPORTS / SEED).read_bytes():
        fail("shelf", f"{SEED} is not a byte-exact copy of seeds/{SEED}")
    for name in texts:
        if name != SEED:
            n = len((REPORTS / name).read_text(encoding="utf-8"))
            if not 3500 <= n <= 6000:
                fail("shelf", f"{name} has {n} characters (want 3,500-6,000)")

    def check_evidence(item_id: str, report: str, evidence: str, must: list[str], answer: str) -> None:
        if report not in texts:
            fail(item_id, f"report {report!r} does not exist")
            return
        ev = flat(evidence)
        if len(ev) < 8:
            fail(item_id, f"evidence shorter than 8 characters: {evidence!r}")
        if ev not in texts[report]:
            fail(item_id, f"evidence not found in {report}: {evidence!r}")
        others = [r for r, t in texts.items() if r != report and ev in t]
        if others:
            fail(item_id, f"evidence also occurs in {others}; it does not pin the report")
        if not must:
            fail(item_id, "empty must")
        for m in must:
            if flat(m) not in ev and flat(m) not in flat(answer):
                fail(item_id, f"must {m!r} is in neither evidence nor answer")

    items = []
    for no, line in enumerate(qa_path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as e:
                fail(f"line {no}", f"invalid JSON: {e}")

    ids = Counter(o.get("id") for o in items)
    for i, n in ids.items():
        if n > 1:
            fail(str(i), f"duplicate id ({n}x)")

    pairs: dict[str, list[dict]] = defaultdict(list)
    for o in items:
        oid = o.get("id", "?")
        for f in ("id", "type", "category", "question", "answer", "must", "evidence", "report"):
            if f not in o:
                fail(oid, f"missing field {f}")
        if any(f not in o for f in ("type", "category", "question", "answer", "must", "evidence", "report")):
            continue
        cat, typ, q = o["category"], o["type"], o["question"]
        if cat not in CATEGORY_TYPES:
            fail(oid, f"unknown category {cat!r}")
            continue
        if typ not in CATEGORY_TYPES[cat]:
            fail(oid, f"type {typ!r} does not fit category {cat!r}")
        if not q.strip():
            fail(oid, "empty question")
        if ("history" in o) != (cat == "followup"):
            fail(oid, "history must be present exactly on followup items")
        if ("alternatives" in o) != (cat == "unscoped"):
            fail(oid, "alternatives must be present exactly on unscoped items")

        if cat in ("lacks_fact", "no_report"):
            if o["answer"] != REFUSAL or o["must"] or o["evidence"] or o["report"] != "":
                fail(oid, "a refusal needs the refusal answer, empty must/evidence and report ''")
            named = named_reports(q)
            if cat == "lacks_fact":
                if not named:
                    fail(oid, "lacks_fact must name a body/year that has a report on the shelf")
                found_in = o.get("found_in", [])
                for r in found_in:
                    if r not in texts:
                        fail(oid, f"found_in report {r!r} does not exist")
                    if r in named:
                        fail(oid, f"found_in {r} is the named report itself")
            else:
                if named:
                    fail(oid, f"no_report question names a body/year that has a report: {sorted(named)}")
                if not re.search(r"[县市区局]|政府", q):
                    fail(oid, "no_report question should name a body or place")
            continue

        if cat == "unscoped":
            bodies, years = mentions(q)
            if bodies or years:
                fail(oid, f"unscoped question names a body/year: {[b for b, _ in bodies]} {sorted(years)}")
            if o["must"] or o["evidence"]:
                fail(oid, "unscoped items have empty must and evidence")
            alts = o.get("alternatives") or []
            if len(alts) < 2:
                fail(oid, "unscoped needs at least two alternatives")
            if not isinstance(o["report"], list) or sorted(o["report"]) != sorted(a.get("report") for a in alts):
                fail(oid, "report must list exactly the alternatives' reports")
            seen_vals = []
            for a in alts:
                if not a.get("names"):
                    fail(oid, f"alternative {a.get('report')} has no names")
                check_evidence(f"{oid}[{a.get('report')}]", a.get("report", ""), a.get("evidence", ""),
                               a.get("must", []), "")
                seen_vals.append(values(a.get("must", [])))
            for i in range(len(seen_vals)):
                for j in range(i + 1, len(seen_vals)):
                    if seen_vals[i] & seen_vals[j]:
                        fail(oid, f"alternatives {alts[i]['report']} and {alts[j]['report']} share a must value")
            continue

        # answerable, single-report items
        if not isinstance(o["report"], str) or not o["report"]:
            fail(oid, "report must be a file name")
            continue
        check_evidence(oid, o["report"], o["evidence"], o["must"], o["answer"])
        history = o.get("history")
        if cat == "followup":
            if not history or not all(h.get("question") and h.get("answer") for h in history):
                fail(oid, "followup needs history [{question, answer}]")
                history = []
            if mentions(q)[0] and mentions(q)[1]:
                fail(oid, "a follow-up should not restate both body and year")
        named = named_reports(q, history if cat == "followup" else None)
        if named != {o["report"]}:
            fail(oid, f"question points at {sorted(named) or 'no report'}, report field says {o['report']}")
        if cat in ("same_fact", "year"):
            if not o.get("pair"):
                fail(oid, f"{cat} items need a pair id")
            else:
                pairs[(cat, o["pair"])].append(o)

    for (cat, pid), members in pairs.items():
        if len(members) != 2:
            fail(pid, f"{cat} pair has {len(members)} items (want 2)")
            continue
        a, b = members
        if a["report"] == b["report"]:
            fail(pid, "both items of the pair use the same report")
        if cat == "year" and {REPORT_YEAR.get(a["report"]), REPORT_YEAR.get(b["report"])} != {"2023", "2024"}:
            fail(pid, "a year pair needs one 2023 and one 2024 report")
        va, vb = values(a["must"]), values(b["must"])
        if not va or not vb:
            fail(pid, "pair items need numeric must values")
        elif va & vb:
            fail(pid, f"the two items share must values {sorted(va & vb)}")

    # ---- summary
    by_cat = Counter(o.get("category") for o in items)
    by_cat_type = Counter((o.get("category"), o.get("type")) for o in items)
    types = sorted({t for _, t in by_cat_type})
    print(f"{'category':<12}" + "".join(f"{t:>13}" for t in types) + f"{'total':>8}{'min':>6}  ok")
    for cat in CATEGORY_TYPES:
        ok = by_cat[cat] >= MINIMA[cat]
        if not ok:
            fail(cat, f"{by_cat[cat]} items, want >= {MINIMA[cat]}")
        print(f"{cat:<12}" + "".join(f"{by_cat_type[(cat, t)]:>13}" for t in types)
              + f"{by_cat[cat]:>8}{MINIMA[cat]:>6}  {'yes' if ok else 'NO'}")
    print(f"{'total':<12}" + "".join(f"{sum(v for (c, t), v in by_cat_type.items() if t == ty):>13}" for ty in types)
          + f"{len(items):>8}{MIN_TOTAL:>6}  {'yes' if len(items) >= MIN_TOTAL else 'NO'}")
    if len(items) < MIN_TOTAL:
        fail("total", f"{len(items)} items, want >= {MIN_TOTAL}")
    for cat, want in MIN_PAIRS.items():
        n = sum(1 for (c, _), m in pairs.items() if c == cat and len(m) == 2)
        print(f"{cat} pairs: {n} (min {want})")
        if n < want:
            fail(cat, f"{n} pairs, want >= {want}")
    per_report = Counter(o["report"] for o in items if o.get("category") == "per_report")
    print("per_report items by report: " + ", ".join(f"{r} {per_report[r]}" for r in REPORT_YEAR))
    for r in REPORT_YEAR:
        if not per_report[r]:
            fail("per_report", f"no per_report item for {r}")
    used = Counter()
    for o in items:
        reps = o.get("report")
        for r in (reps if isinstance(reps, list) else [reps] if reps else []):
            used[r] += 1
    print("items answered from each report: " + ", ".join(f"{r} {used[r]}" for r in REPORT_YEAR))

    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
