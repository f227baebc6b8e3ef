"""The answer checks' thresholds come from one table (rag/checks/thresholds.py)."""
from __future__ import annotations

import importlib

from rag.checks.thresholds import THRESHOLDS, table, value
from rag.config import PROJECT_ROOT


def test_every_threshold_is_read_from_the_table_by_the_module_it_names():
    for t in THRESHOLDS:
        module = importlib.import_module(f"rag.{t.where.removesuffix('.py')}")
        assert getattr(module, t.name) == t.value == value(t.name), t.name
        source = (PROJECT_ROOT / "rag" / t.where).read_text(encoding="utf-8")
        assert f'{t.name} = value("{t.name}")' in source, f"{t.where} sets {t.name} itself"
        assert t.unit and t.measures and t.calibration


def test_the_table_prints_every_threshold():
    printed = table()
    assert all(f"`{t.name}`" in printed for t in THRESHOLDS) and "`judge_min`" in printed
