"""The answer checks' thresholds come from one table (rag/checks/thresholds.py), which the checks
are given: a test passes its own table, and a profile may carry other values."""
from __future__ import annotations

import dataclasses
import re

import pytest

from rag.checks.asked import Asked
from rag.checks.clauses import Clause, unsaid
from rag.checks.thresholds import DEFAULT, Thresholds, table
from rag.config import PROJECT_ROOT
from rag.models import PROFILE_SPECS
from rag.schema import Passage


def test_every_threshold_says_what_it_measures_and_is_read_where_it_says():
    for f in dataclasses.fields(Thresholds):
        assert f.metadata["unit"] and f.metadata["measures"] and f.metadata["calibration"], f.name
        source = (PROJECT_ROOT / "rag" / f.metadata["where"]).read_text(encoding="utf-8")
        assert re.search(rf"\bt\.{f.name}\b", source), f"{f.metadata['where']} does not read {f.name}"
    # no module keeps a threshold of its own beside the table
    for path in (PROJECT_ROOT / "rag").rglob("*.py"):
        assert "value(\"" not in path.read_text(encoding="utf-8"), path


def test_a_table_is_frozen_and_a_changed_value_must_exist():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT.min_overlap = 0.1
    assert DEFAULT.with_(min_overlap=0.1).min_overlap == 0.1 and DEFAULT.min_overlap == 0.35
    with pytest.raises(TypeError):
        DEFAULT.with_(no_such_threshold=1)


def test_every_profile_has_a_table():
    assert all(isinstance(p.thresholds, Thresholds) for p in PROFILE_SPECS.values())


def test_a_check_reads_the_table_it_is_given():
    passage = Passage("p", "d", "", "", "全年组织领导班子集体学法9次。", 0, 15, ())
    asked = Asked.of("组织机关干部参加了几次法治培训？")
    clause = "组织机关干部参加法治培训9次"
    figure = Clause(clause + "[1]。", [passage], [passage], asked, clause, [passage], {}, None).faults
    assert figure == [("9", "unsaid")]  # what the clause adds is not what the passage's 9 counts
    lax = DEFAULT.with_(min_clause_overlap=0.0)
    assert Clause(clause + "[1]。", [passage], [passage], asked, clause, [passage], {}, None, lax).faults == []


def test_the_table_prints_every_threshold():
    printed = table()
    assert all(f"`{f.name}`" in printed for f in dataclasses.fields(Thresholds)) and "`judge_min`" in printed
