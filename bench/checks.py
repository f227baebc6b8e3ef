"""What each answer check earns, read from the golden recordings of full eval runs (no model, ~1 s):
per check and action, how many answerable and unanswerable items it acted on and how many of those
ended correct, on the dev and the test split. A refusing check that acts mostly on answerable items
costs answers; a withholding check whose items end wrong is not rescued by the quote.

    python -m bench.checks
"""
from __future__ import annotations

import json
from types import SimpleNamespace

from bench.common import Table, print_tables
from rag.config import PROJECT_ROOT
from rag.evaluation import check_counts, is_correct, load_qa

GOLDEN = PROJECT_ROOT / "tests" / "golden"
SETS = {"qa": PROJECT_ROOT / "eval" / "qa.jsonl", "multi": PROJECT_ROOT / "eval" / "multi" / "qa.jsonl",
        "conversations": PROJECT_ROOT / "eval" / "conversations.jsonl"}


def rows() -> list[SimpleNamespace]:
    """Each recorded item as `evaluation.check_counts` reads a result: type, correct, decisions, and its split."""
    out = []
    for name, qa in SETS.items():
        items = {i.id: i for i in load_qa(qa)}
        for line in (GOLDEN / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            got = json.loads(line)
            item = items[got["id"]]
            out.append(SimpleNamespace(type=item.type, split=item.split, decisions=got["decisions"],
                                       correct=is_correct(item, got["text"], got["refused"])))
    return out


def run() -> list[Table]:
    recorded = rows()
    tables = []
    for split in ("dev", "test"):
        results = [r for r in recorded if r.split == split]
        table = Table(f"Checks on the {split} split ({len(results)} items of the three sets)",
                      ["check:action", "answerable", "unanswerable", "ended correct"])
        table.rows = [[k, v["answerable"], v["unanswerable"], v["correct"]] for k, v in check_counts(results).items()]
        table.notes.append(f"accuracy of the {split} split over the three sets: "
                           f"{sum(r.correct for r in results) / max(1, len(results)):.3f}")
        tables.append(table)
    return tables


if __name__ == "__main__":
    print_tables(run())
