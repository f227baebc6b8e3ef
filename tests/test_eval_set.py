"""The eval set itself: schema, unique ids, verbatim evidence, `must` strings that can be checked."""
from __future__ import annotations

import json
from collections import Counter

from rag.config import PROJECT_ROOT
from rag.evaluation import FIELDS, TYPES, load_qa, match_form

QA = PROJECT_ROOT / "eval" / "qa.jsonl"


def _reports() -> list[str]:
    return [match_form(p.read_text(encoding="utf-8")) for p in (PROJECT_ROOT / "seeds").glob("*") if p.suffix in (".txt", ".md")]


def test_schema_and_ids():
    lines = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) >= 80
    for obj in lines:
        assert set(obj) - {"history"} == set(FIELDS), obj["id"]
        assert obj["type"] in TYPES
        assert ("history" in obj) == (obj["type"] == "followup"), obj["id"]
    assert len({o["id"] for o in lines}) == len(lines)
    items = load_qa(QA)
    assert len(items) == len(lines)


def test_coverage_of_types():
    counts = Counter(i.type for i in load_qa(QA))
    assert set(counts) == set(TYPES) - {"unscoped"}  # unscoped questions need several reports (eval/multi)
    assert counts["unanswerable"] / sum(counts.values()) >= 0.15


def test_evidence_is_verbatim_and_must_is_checkable():
    reports = _reports()
    for item in load_qa(QA):
        if item.type == "unanswerable":
            assert item.must == [] and item.evidence == "", item.id
            continue
        assert item.evidence and any(match_form(item.evidence) in r for r in reports), item.id
        for m in item.must:
            assert match_form(m) in match_form(item.evidence) or match_form(m) in match_form(item.answer), (item.id, m)


def test_followups_have_history():
    for item in load_qa(QA):
        if item.type == "followup":
            assert item.history and all(h["question"] for h in item.history), item.id


def test_the_multi_report_set_is_valid():
    """eval/multi: evidence verbatim in the item's own report and in no other, pairs with different
    figures, refusals naming a body on (or off) the shelf as their category says."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(PROJECT_ROOT / "eval" / "multi" / "check_set.py")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    items = load_qa(PROJECT_ROOT / "eval" / "multi" / "qa.jsonl")
    assert len(items) >= 60 and all(i.report or i.type == "unanswerable" for i in items)
