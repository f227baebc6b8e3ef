#!/usr/bin/env python3
"""Tag every eval item `split: dev|test`, about 70/30, stratified by category (or type).

Rules are tuned on dev; test is held out and only reported (`rag eval` prints `by_split`). The
assignment is deterministic (a hash of the item's group id, not its position), so adding items
does not move old ones; a conversation's turns share their dialogue's split, and the two items of
a `pair` (the same fact asked of two reports or years) share theirs: one of them tuned, the other
held out, would leak. Usage: python3 eval/split.py [FILE.jsonl …]  (default: the three sets).
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETS = [HERE / "qa.jsonl", HERE / "conversations.jsonl", HERE / "multi" / "qa.jsonl"]
TEST_SHARE = 0.3


def group_of(item: dict) -> str:
    """Items that must share a split: a pair (its `pair` id), a dialogue's turns (conv-07-t2 → conv-07)."""
    return item.get("pair") or re.sub(r"-t\d+$", "", item["id"])


def assign(items: list[dict]) -> dict[str, str]:
    """group id → split: within each stratum (category, else type of the group's first item), the
    groups whose hash ranks lowest make up TEST_SHARE of it (rounded), the rest are dev."""
    strata: dict[str, list[str]] = {}
    seen: set[str] = set()
    for item in items:
        g = group_of(item)
        if g not in seen:
            seen.add(g)
            strata.setdefault(item.get("category") or item["type"], []).append(g)
    split = {}
    for groups in strata.values():
        ranked = sorted(groups, key=lambda g: hashlib.sha1(g.encode()).hexdigest())
        n_test = round(TEST_SHARE * len(ranked))
        split.update({g: "test" if i < n_test else "dev" for i, g in enumerate(ranked)})
    return split


def main(paths: list[Path]) -> None:
    for path in paths:
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        split = assign(items)
        for item in items:
            item["split"] = split[group_of(item)]
        path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        test = sum(i["split"] == "test" for i in items)
        print(f"{path.relative_to(HERE.parent)}: {len(items)} items, dev {len(items) - test}, test {test}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or SETS)
