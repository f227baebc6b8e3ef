"""Remove repeated paragraphs within and across reports, keeping every place each one came from.

Exact duplicates: equal after `normalize` (NFKC, whitespace, full/half-width punctuation).
Near duplicates: Jaccard similarity of the character 4-gram sets ≥ threshold (default 0.85, see
Config.near_dup_threshold). At 0.85 a copy with a few characters changed or a clause re-punctuated
merges; two different paragraphs of the same report share well under 0.3 even when they follow
the same template, so the threshold has a wide margin on both sides.
A near copy whose numbers differ is never merged: two districts' reports written from one template,
or a corrected figure in a new edition, must each keep their own numbers. Nor is one whose place or
body names differ: a district's report copied with only the district's name changed is that other
district's text, and its passages must show its own name.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from .reportmeta import PLACE_PART
from .schema import Paragraph, ParagraphGroup
from .textnorm import normalize, numbers_with_units

NGRAM = 4


@dataclass
class DedupReport:
    kept: int = 0
    exact: int = 0
    near: int = 0

    @property
    def removed(self) -> int:
        return self.exact + self.near


def shingles(text: str, n: int = NGRAM) -> set[str]:
    t = normalize(text)
    return {t[i:i + n] for i in range(max(1, len(t) - n + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def same_facts(a: str, b: str) -> bool:
    """Whether two near-identical paragraphs state the same figures about the same places and bodies."""
    if sorted(numbers_with_units(a)) != sorted(numbers_with_units(b)):
        return False
    return set(PLACE_PART.findall(normalize(a))) == set(PLACE_PART.findall(normalize(b)))


def deduplicate(paragraphs: list[Paragraph], threshold: float = 0.85) -> tuple[list[ParagraphGroup], DedupReport]:
    """Groups in first-seen order. Candidates for near matches come from an inverted index of
    shingles, so cost grows with overlap, not with the square of the corpus."""
    groups: list[ParagraphGroup] = []
    by_key: dict[str, int] = {}
    sets: list[set[str]] = []
    postings: dict[str, list[int]] = defaultdict(list)
    report = DedupReport()
    for p in paragraphs:
        key = normalize(p.text)
        if key in by_key:
            groups[by_key[key]].copies.append(p)
            report.exact += 1
            continue
        sh = shingles(p.text)
        shared = Counter(i for s in sh for i in postings.get(s, ()))
        best = max(shared, key=lambda i: shared[i] / (len(sh) + len(sets[i]) - shared[i]), default=None)
        if (best is not None and shared[best] / (len(sh) + len(sets[best]) - shared[best]) >= threshold
                and same_facts(p.text, groups[best].paragraph.text)):
            groups[best].copies.append(p)
            by_key[key] = best
            report.near += 1
            continue
        idx = len(groups)
        groups.append(ParagraphGroup(p))
        by_key[key] = idx
        sets.append(sh)
        for s in sh:
            postings[s].append(idx)
    report.kept = len(groups)
    return groups, report
