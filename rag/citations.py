"""Check a generated answer against the passages it was given, by running the checks of
`rag/checks/` in their order (the README's table of checks):

1. answer checks (`checks/answer.py`): the model declined, or only restated the question: a refusal;
2. markers in any common form ([1], 【1】, ［1］, [1,2]) become [n], pointing at a real passage, and
   each sentence cites the passage that supports it (`checks/repairs.py`);
3. clause checks (`checks/clauses.py`), sentence by sentence: a figure no cited passage holds, one
   taken from a clause about something else, another report's, another level's, or of a report
   outside the question's scope is withheld with its clause;
4. nothing left that answers (`checks/answer.left_nothing`): a refusal; else, with several reports,
   each figure says whose it is.
"""
from __future__ import annotations

import re

from .checks.answer import ECHO, left_nothing, refused_outright
from .checks.asked import Asked
from .checks.clauses import CLAUSE_CHECKS, MISPLACED, Clause, withhold
from .checks.repairs import attribute, cite_sentences, keep, repoint
from .checks.thresholds import DEFAULT, Thresholds
from .prompting import REFUSAL
from .schema import Checked, Citation, Passage, ReportInfo
from .scoping import report_names
from .textnorm import MARKER, sentences

_ANY_MARKER = re.compile(r"[\[【［]\s*((?:\d{1,2}\s*[,，、]\s*)*\d{1,2})\s*[\]】］]")
_TRAILING_MARKERS = re.compile(r"([。！？!?；;])((?:\[\d{1,2}\])+)")


def withheld_note(numbers: list[str]) -> str:
    """What people are told about figures the model wrote but no cited passage holds (not shown)."""
    return f"注意：回答中有引用段落里找不到的数字（{'、'.join(numbers)}），相关内容未显示。"


def normalize_markers(text: str, n_passages: int) -> str:
    """Canonical [n] markers, each pointing at a real passage."""
    def expand(m: re.Match) -> str:
        nums = [int(x) for x in re.split(r"\s*[,，、]\s*", m.group(1))]
        return "".join(f"[{x}]" for x in nums if 1 <= x <= n_passages)
    return _ANY_MARKER.sub(expand, text)


def check_answer(raw: str, passages: list[Passage], scores: list[float], question: str | Asked = "",
                 scope: frozenset[str] | None = None, reports: dict[str, ReportInfo] | None = None,
                 retrieved: list[Passage] | None = None, t: Thresholds = DEFAULT) -> Checked:
    """The answer as shown to people, with its citations and the figures it was not allowed to show.
    `question`: the question's analysis (`Asked`; a text is analysed here). `scope`: the reports the
    question asks about (None: any). `reports`: the indexed reports' identities (their names are not
    what a clause is about). `retrieved`: every passage found for the question (default: those
    shown), where a rival clause may be that a short context left out. A figure that fails a check
    is never shown as fact: its clause goes, and an answer with nothing true left is a refusal."""
    asked = question if isinstance(question, Asked) else Asked.of(question, report_names(reports))
    text = _TRAILING_MARKERS.sub(r"\2\1", normalize_markers(raw.strip(), len(passages)))  # "…。[1]" → "…[1]。"
    if (outright := refused_outright(text, asked, passages, t)) is not None:
        decision, affirmed = outright
        return Checked(REFUSAL, True, [], [], echoed=decision is ECHO, affirmed=affirmed, decisions=(decision,))
    text = cite_sentences(text, passages, t)
    rivals = passages + [p for p in retrieved or [] if p not in passages]
    kept, unsupported, misplaced, misread = [], [], [], []
    withheld: dict[str, list[str]] = {}  # check → the figures it withheld
    for sentence in sentences(text):
        cited = [passages[int(n) - 1] for n in dict.fromkeys(MARKER.findall(sentence))]
        clause = repoint(Clause(sentence, cited, passages, asked, text, rivals, reports or {}, scope, t))
        found = {name: check(clause) for name, check in CLAUSE_CHECKS}
        for name, figs in found.items():
            withheld.setdefault(name, []).extend(figs)
        misread += clause.misread
        unsupported += found["unsupported"]
        misplaced += [f for name in found if name in MISPLACED for f in found[name]]
        bad = set().union(*found.values())
        kept.append(keep(clause.sentence, bad) if bad else clause.sentence)
    decisions = tuple(withhold(name, figs) for name, figs in withheld.items() if figs)
    text = "".join(kept).strip()
    if text and text[-1] in "；;，,":
        text = text[:-1] + "。"
    misplaced, misread, unsupported = (list(dict.fromkeys(x)) for x in (misplaced, misread, unsupported))
    if (nothing := left_nothing(text, asked, bool(misplaced or misread or unsupported))) is not None:
        return Checked(REFUSAL, True, [], unsupported, misplaced, misread, decisions=decisions + (nothing,))
    citations = [Citation(n, passages[n - 1], scores[n - 1]) for n in dict.fromkeys(int(m) for m in MARKER.findall(text))]
    if len(reports or {}) > 1:
        text = attribute(text, passages, reports)
    return Checked(text, False, citations, unsupported, misplaced, misread, decisions=decisions)
