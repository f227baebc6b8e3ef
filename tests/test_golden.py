"""The golden replay: the answer checks run again, without any model, on what full eval runs of the
three sets recorded (tests/golden/, made with `rag eval --record`). Every item must show the same
text, refusal, citations, figure lists and evidence sentence. A rule change that alters an answer
fails here until its diff is reviewed and written with `rag replay --update`; one that would ask a
model something new fails until the set is recorded again.
"""
from __future__ import annotations

import json
import shutil

import pytest

from rag.config import PROJECT_ROOT, Config
from rag.replay import golden_sets, read_golden, replay, tape_path_of

GOLDEN = PROJECT_ROOT / "tests" / "golden"
SETS = golden_sets(GOLDEN)


def test_every_eval_set_has_a_golden_recording():
    assert {p.name for p in SETS} == {"qa.jsonl", "multi.jsonl", "conversations.jsonl"}
    for path in SETS:
        head, tapes, expected = read_golden(path)
        assert head["profile"] == "default" and head["passages"] and head["reports"]
        assert [t["id"] for t in tapes] == [e["id"] for e in expected]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_every_refusal_on_record_says_which_check_refused_and_why(path):
    _, _, expected = read_golden(path)
    refused = [e for e in expected if e["refused"]]
    assert refused and all(any(d["action"] == "refuse" and d["reason"].startswith("未作答") for d in e["decisions"])
                           for e in refused), [e["id"] for e in refused]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_the_checks_show_what_was_recorded(path):
    n, diffs = replay(path)
    assert n > 0
    assert not diffs, "\n".join(map(str, diffs)) + "\n\nreview, then: rag replay --update"


def test_the_replay_sees_a_changed_threshold():
    """Not vacuous: a judge threshold no score reaches refuses every judged answer."""
    _, tapes, expected = read_golden(GOLDEN / "qa.jsonl")
    judged = {e["id"] for e in expected if not e["refused"]
              and any(d["check"] == "judge" and d["action"] in ("pass", "overrule") for d in e["decisions"])}
    n, diffs = replay(GOLDEN / "qa.jsonl", config=Config(profile="default", judge_min=99.0))
    refused_now = {d.id for d in diffs if d.fields.get("refused") == (False, True)}
    assert judged and refused_now and refused_now <= judged


def test_update_writes_what_the_checks_now_show(tmp_path):
    path = tmp_path / "qa.jsonl"
    shutil.copyfile(GOLDEN / "qa.jsonl", path)
    shutil.copyfile(tape_path_of(GOLDEN / "qa.jsonl"), tape_path_of(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["text"] += "（改）"
    path.write_text("\n".join([json.dumps(first, ensure_ascii=False)] + lines[1:]) + "\n", encoding="utf-8")
    _, diffs = replay(path)
    assert [d.id for d in diffs] == [first["id"]] and set(diffs[0].fields) == {"text"}
    replay(path, update=True)
    assert replay(path)[1] == []
    assert path.read_text(encoding="utf-8") == (GOLDEN / "qa.jsonl").read_text(encoding="utf-8")
