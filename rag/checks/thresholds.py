"""Every threshold of the answer checks in one frozen table: its value, its unit, what it measures
and how it was set. The checks read the table they are given (`Thresholds`), so a test passes a
table with one value changed instead of patching a module, and a profile may change a value
(`Profile.thresholds`); `python -m rag.checks.thresholds` prints the table. The thresholds of
retrieval and the judge's score (min_dense, judge_min, the factual budgets) differ per profile and
live in the profile (`models.py`); they are listed here for reference.

Calibration: every value below was set on all 263 items of the three eval sets, before they were
split into dev and test (eval/split.py); a change from now on is tuned on dev and reported on both.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

SET_ON_ALL = "set on all 263 eval items (before the dev/test split)"


def _t(value: float, unit: str, measures: str, calibration: str = SET_ON_ALL, where: str = "checks/clauses.py"):
    return field(default=value, metadata={"unit": unit, "measures": measures, "calibration": calibration,
                                          "where": where})


_SUBJECT = "share of the question's subject words"


@dataclass(frozen=True)
class Thresholds:
    """The answer checks' thresholds (field metadata: unit, measures, calibration, where it is read)."""

    # the judge gate (checks/judge.py)
    plainly_stated: float = _t(0.85, _SUBJECT, "a sentence the model reads says what is asked in the question's "
                               "own words: the judge is skipped", "the 52 unanswerable items: one reached it (a 全省 "
                               "figure for 全国, refused by the level check)", "checks/judge.py")
    min_plain_subject: int = _t(4, "words", "…and the question's subject has at least this many words",
                                where="checks/judge.py")
    plainly_meant: float = _t(0.70, "cosine (EmbeddingGemma)", "a sentence close in meaning (with meant_share of the "
                              "words): the judge is skipped", "the 52 unanswerable items: none reached it (closest "
                              "0.633 with 0.62 of the words)", "checks/judge.py")
    meant_share: float = _t(0.5, _SUBJECT, "the words plainly_meant needs", where="checks/judge.py")
    min_subject_stated: float = _t(0.8, _SUBJECT, "a sentence stating a count of what is asked overrules the judge's "
                                   "no and replaces an answer that counts something else",
                                   "the 1.5B judge scored 0.44 on 行政机关合同127件; " + SET_ON_ALL, "checks/judge.py")
    # the answer checks and repairs
    min_overlap: float = _t(0.35, "share of a sentence's bigrams", "an unmarked sentence is given the marker of the "
                            "passage it overlaps this much", where="checks/repairs.py")
    min_new_bigrams: int = _t(4, "bigrams", "an answer with fewer words of its own from the passages is an echo",
                              where="checks/answer.py")
    min_new_name: int = _t(3, "characters", "…unless it copies a name this long from them (市发改委)",
                           where="checks/answer.py")
    min_clause_overlap: float = _t(0.4, "share of the clause's bigrams", "what an answer's clause adds must be said "
                                   "by a cited sentence holding its figure")
    min_char_overlap: float = _t(0.6, "share of the clause's characters",
                                 "…or this share of its characters (a terse answer reorders words)")
    min_subject: float = _t(0.5, _SUBJECT, "a rival stretch must carry this much of the subject to take a "
                            "figure's place")
    min_subject_in_report: float = _t(0.5, _SUBJECT, "the shown passages use the question's words (else wording is "
                                      "the judge's job)")
    min_subject_in_stretch: float = _t(0.34, _SUBJECT, "a how-many figure must come from a stretch carrying a third "
                                       "of what is asked")
    min_subject_in_sentence: float = _t(0.5, _SUBJECT, "…or from a sentence carrying half of it; the quoted sentence "
                                        "needs half")

    def with_(self, **changes) -> "Thresholds":
        """This table with some values changed (TypeError names a threshold that does not exist)."""
        return replace(self, **changes)


DEFAULT = Thresholds()

PER_PROFILE = (
    ("min_dense", "cosine", "retrieval: below it (and without keyword overlap) nothing is relevant", "models.py"),
    ("judge_min", "judge score (log-odds of 是 over 否)", "the judge's yes", "models.py"),
    ("factual_context_chars", "characters", "the passages a factual question's answer reads", "models.py"),
    ("factual_judge_chars", "characters", "the passages a factual question's judge reads", "models.py"),
)


def table(thresholds: Thresholds = DEFAULT) -> str:
    """The table as Markdown."""
    rows = ["| threshold | value | unit | measures | calibration | where |", "|---|---|---|---|---|---|"]
    rows += [f"| `{f.name}` | {getattr(thresholds, f.name)} | {f.metadata['unit']} | {f.metadata['measures']} | "
             f"{f.metadata['calibration']} | `{f.metadata['where']}` |" for f in fields(Thresholds)]
    rows += [f"| `{name}` | per profile | {unit} | {measures} | bench/judge.py, eval | `{where}` |"
             for name, unit, measures, where in PER_PROFILE]
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
