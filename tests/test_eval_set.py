"""The eval set itself: schema, unique ids, verbatim evidence, `must` strings that can be checked."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from rag.config import PROJECT_ROOT
from rag.evaluation import FIELDS, TYPES, load_qa, match_form

QA = PROJECT_ROOT / "eval" / "qa.jsonl"
CONVERSATIONS = PROJECT_ROOT / "eval" / "conversations.jsonl"
# the single-report sets checked by the same rules, with the least number of items each must hold
SETS = pytest.mark.parametrize("path,least", [(QA, 80), (CONVERSATIONS, 50)], ids=["qa", "conversations"])


def _reports() -> list[str]:
    return [match_form(p.read_text(encoding="utf-8")) for p in (PROJECT_ROOT / "seeds").glob("*") if p.suffix in (".txt", ".md")]


@SETS
def test_schema_and_ids(path, least):
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) >= least
    for obj in lines:
        assert set(obj) - {"history", "split"} == set(FIELDS), obj["id"]
        assert obj["type"] in TYPES and obj["split"] in ("dev", "test"), obj["id"]
        assert ("history" in obj) == (obj["type"] == "followup"), obj["id"]
    assert len({o["id"] for o in lines}) == len(lines)
    items = load_qa(path)
    assert len(items) == len(lines)


def test_the_split_holds_out_about_a_third_of_every_kind_of_item():
    """eval/split.py: ~30% test, stratified by type, a dialogue's turns together."""
    for path in (QA, CONVERSATIONS):
        items = load_qa(path)
        assert 0.25 <= sum(i.split == "test" for i in items) / len(items) <= 0.35
        for t in {i.type for i in items if sum(j.type == i.type for j in items) >= 4}:
            kind = [i for i in items if i.type == t]
            assert any(i.split == "test" for i in kind) and any(i.split == "dev" for i in kind), (path, t)
    turns = load_qa(CONVERSATIONS)
    by_dialogue = {}
    for i in turns:
        by_dialogue.setdefault(i.id.rsplit("-t", 1)[0], set()).add(i.split)
    assert all(len(s) == 1 for s in by_dialogue.values())


def test_coverage_of_types():
    counts = Counter(i.type for i in load_qa(QA))
    assert set(counts) == set(TYPES) - {"unscoped"}  # unscoped questions need several reports (eval/multi)
    assert counts["unanswerable"] / sum(counts.values()) >= 0.15


@SETS
def test_evidence_is_verbatim_and_must_is_checkable(path, least):
    reports = _reports()
    for item in load_qa(path):
        if item.type == "unanswerable":
            assert item.must == [] and item.evidence == "", item.id
            continue
        assert item.evidence and any(match_form(item.evidence) in r for r in reports), item.id
        for m in item.must:
            assert match_form(m) in match_form(item.evidence) or match_form(m) in match_form(item.answer), (item.id, m)


@SETS
def test_followups_have_history(path, least):
    for item in load_qa(path):
        if item.type == "followup":
            assert item.history and all(h["question"] for h in item.history), item.id


def test_conversation_turns_carry_all_earlier_turns():
    """conv-NN-tK: turn 1 has no history; turn K's history is turns 1..K-1 of its dialogue, gold answers."""
    dialogues: dict[str, list] = {}
    for item in load_qa(CONVERSATIONS):
        conv, turn = item.id.rsplit("-t", 1)
        dialogues.setdefault(conv, []).append((int(turn), item))
    assert len(dialogues) >= 22
    for turns in dialogues.values():
        assert [t for t, _ in turns] == list(range(1, len(turns) + 1)) and 2 <= len(turns) <= 3
        for k, item in turns:
            assert (item.type == "followup") == (k > 1), item.id
            assert item.history == [{"question": i.question, "answer": i.answer} for _, i in turns[:k - 1]], item.id


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
