"""What each answer check earns, read from the golden recordings of full eval runs (no model, ~1 s):
per check and action, how many answerable and unanswerable items it acted on and how many of those
ended correct, on the dev and the test split. A refusing check that acts mostly on answerable items
costs answers; a withholding check whose items end wrong is not rescued by the quote.

    python -m bench.checks
"""
from __future__ import annotations

import json

from bench.common import Table, print_tables
from rag.config import PROJECT_ROOT
from rag.evaluation import is_correct, load_qa

GOLDEN = PROJECT_ROOT / "tests" / "golden"
SETS = {"qa": PROJECT_ROOT / "eval" / "qa.jsonl", "multi": PROJECT_ROOT / "eval" / "multi" / "qa.jsonl",
        "conversations": PROJECT_ROOT / "eval" / "conversations.jsonl"}


def rows() -> list[tuple[str, str, bool, bool, list[str]]]:
    """(set, split, answerable, correct, check:action keys) per recorded item."""
    out = []
    for name, qa in SETS.items():
        items = {i.id: i for i in load_qa(qa)}
        for line in (GOLDEN / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            got = json.loads(line)
            item = items[got["id"]]
            keys = list(dict.fromkeys(f"{d['check']}:{d['action']}" for d in got["decisions"]))
            out.append((name, item.split, item.type != "unanswerable", is_correct(item, got["text"], got["refused"]), keys))
    return out


def run() -> list[Table]:
    recorded = rows()
    tables = []
    for split in ("dev", "test"):
        table = Table(f"Checks on the {split} split ({sum(r[1] == split for r in recorded)} items of the three sets)",
                      ["check:action", "answerable", "unanswerable", "ended correct"])
        counts: dict[str, list[int]] = {}
        for _, s, answerable, correct, keys in recorded:
            for key in keys if s == split else []:
                row = counts.setdefault(key, [0, 0, 0])
                row[0 if answerable else 1] += 1
                row[2] += correct
        table.rows = [[k, *v] for k, v in sorted(counts.items())]
        accuracy = sum(r[3] for r in recorded if r[1] == split) / max(1, sum(r[1] == split for r in recorded))
        table.notes.append(f"accuracy of the {split} split over the three sets: {accuracy:.3f}")
        tables.append(table)
    return tables


if __name__ == "__main__":
    print_tables(run())
