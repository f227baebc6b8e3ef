"""Every threshold of the answer checks in one table: its value, its unit, what it measures and how
it was set. The check modules read their values from here (`value`), so a threshold is changed in
one place and `python -m rag.checks.thresholds` prints the table. Values that differ per profile
(the judge's, retrieval's) live in the profile (`models.py`) and are listed here for reference.

Calibration: every value below was set on all 263 items of the three eval sets, before they were
split into dev and test (eval/split.py); a change from now on is tuned on dev and reported on both.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Threshold:
    name: str
    value: float
    unit: str
    measures: str
    calibration: str
    where: str


SET_ON_ALL = "set on all 263 eval items (before the dev/test split)"

THRESHOLDS: tuple[Threshold, ...] = (
    # the judge gate (answering.Answerer._judged)
    Threshold("PLAINLY_STATED", 0.85, "share of the question's subject words",
              "a sentence the model reads says what is asked in the question's own words: the judge is skipped",
              "the 52 unanswerable items: one reached it (a 全省 figure for 全国, refused by the level check)",
              "answering.py"),
    Threshold("MIN_PLAIN_SUBJECT", 4, "words", "…and the question's subject has at least this many words",
              SET_ON_ALL, "answering.py"),
    Threshold("PLAINLY_MEANT", 0.70, "cosine (EmbeddingGemma)",
              "a sentence close in meaning (with MEANT_SHARE of the words): the judge is skipped",
              "the 52 unanswerable items: none reached it (closest 0.633 with 0.62 of the words)", "answering.py"),
    Threshold("MEANT_SHARE", 0.5, "share of the question's subject words", "the words PLAINLY_MEANT needs",
              SET_ON_ALL, "answering.py"),
    Threshold("MIN_SUBJECT_STATED", 0.8, "share of the question's subject words",
              "a sentence stating a count of what is asked overrules the judge's no and replaces an answer "
              "that counts something else", "the 1.5B judge scored 0.44 on 行政机关合同127件; " + SET_ON_ALL,
              "citations.py"),
    # the answer checks (citations.py)
    Threshold("MIN_OVERLAP", 0.35, "share of a sentence's bigrams",
              "an unmarked sentence is given the marker of the passage it overlaps this much", SET_ON_ALL,
              "citations.py"),
    Threshold("MIN_NEW_BIGRAMS", 4, "bigrams", "an answer with fewer words of its own from the passages is an echo",
              SET_ON_ALL, "citations.py"),
    Threshold("MIN_NEW_NAME", 3, "characters", "…unless it copies a name this long from them (市发改委)",
              SET_ON_ALL, "citations.py"),
    Threshold("MIN_CLAUSE_OVERLAP", 0.4, "share of the clause's bigrams",
              "what an answer's clause adds must be said by a cited sentence holding its figure", SET_ON_ALL,
              "citations.py"),
    Threshold("MIN_CHAR_OVERLAP", 0.6, "share of the clause's characters",
              "…or this share of its characters (a terse answer reorders words)", SET_ON_ALL, "citations.py"),
    Threshold("MIN_SUBJECT", 0.5, "share of the question's subject words",
              "a rival stretch must carry this much of the subject to take a figure's place", SET_ON_ALL,
              "citations.py"),
    Threshold("MIN_SUBJECT_IN_REPORT", 0.5, "share of the question's subject words",
              "the shown passages use the question's words (else wording is the judge's job)", SET_ON_ALL,
              "citations.py"),
    Threshold("MIN_SUBJECT_IN_STRETCH", 0.34, "share of the question's subject words",
              "a how-many figure must come from a stretch carrying a third of what is asked", SET_ON_ALL,
              "citations.py"),
    Threshold("MIN_SUBJECT_IN_SENTENCE", 0.5, "share of the question's subject words",
              "…or from a sentence carrying half of it; the quoted sentence needs half", SET_ON_ALL,
              "citations.py"),
)

PER_PROFILE = (
    ("min_dense", "cosine", "retrieval: below it (and without keyword overlap) nothing is relevant", "models.py"),
    ("judge_min", "judge score (log-odds of 是 over 否)", "the judge's yes", "models.py"),
    ("factual_context_chars", "characters", "the passages a factual question's answer reads", "models.py"),
    ("factual_judge_chars", "characters", "the passages a factual question's judge reads", "models.py"),
)

_BY_NAME = {t.name: t for t in THRESHOLDS}


def value(name: str) -> float:
    """A threshold's value, for the module that uses it (KeyError names a threshold not in the table)."""
    return _BY_NAME[name].value


def table() -> str:
    """The table as Markdown."""
    rows = ["| threshold | value | unit | measures | calibration | where |", "|---|---|---|---|---|---|"]
    rows += [f"| `{t.name}` | {t.value} | {t.unit} | {t.measures} | {t.calibration} | `{t.where}` |" for t in THRESHOLDS]
    rows += [f"| `{name}` | per profile | {unit} | {measures} | bench/judge.py, eval | `{where}` |"
             for name, unit, measures, where in PER_PROFILE]
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
