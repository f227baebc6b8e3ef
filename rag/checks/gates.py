"""Gates before the model: each reads what retrieval found for a question and says whether the
model may be asked. A gate returns a `Decision` (action "refuse") or None; `run_gates` applies them
in GATES order and stops at the first refusal, so no model is called for a question the reports
cannot answer, and the refusal says why.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..answerability import missing_constraints
from ..schema import ContextItem, Decision, Retrieval, Scope
from ..selection import conflict


@dataclass(frozen=True)
class Pending:
    """What the gates read: the standalone question, the scope it was searched in, what retrieval
    found, the passages the model would read, and the retriever's relevance threshold."""

    asked: str
    scope: Scope
    retrieval: Retrieval
    context: list[ContextItem]
    min_dense: float
    own_quotes: bool = True  # False: the question is the model's translation (its quotes are the model's words)


def out_of_scope(p: Pending) -> Decision | None:
    """A body, place or year no indexed report covers (上城区教育局 with only the city's report)."""
    if p.scope.uncovered:
        return Decision("scope", "refuse", f"未作答：已收录的报告中没有{'、'.join(p.scope.uncovered)}的报告。",
                        figures=p.scope.uncovered)
    return None


def filtered_out(p: Pending) -> Decision | None:
    """The reports picked by hand share none with those the question names."""
    if conflict(p.scope):
        return Decision("filter", "refuse", "未作答：所选的报告与问题所问的范围没有共同的报告。")
    return None


def irrelevant(p: Pending) -> Decision | None:
    """Nothing in the reports is about the question (retrieval's verdict: the closest passage's
    cosine under the profile's min_dense, and too few of its keywords)."""
    if p.retrieval.relevant:
        return None
    best = max((h.dense for h in p.retrieval.hits), default=0.0)
    return Decision("relevance", "refuse", "未作答：报告中没有与问题相关的段落"
                    f"（最相近的段落相似度 {best:.2f}，低于 {p.min_dense}）。", best, p.min_dense)


def missing_terms(p: Pending) -> Decision | None:
    """A year, place or quoted name the question asks about that no passage the model would read
    mentions (answerability.missing_constraints)."""
    missing = missing_constraints(p.asked, p.context, quoted=p.own_quotes) if p.context else []
    if missing:
        return Decision("missing", "refuse", f"未作答：检索到的段落都没有提到{'、'.join(missing)}。",
                        figures=tuple(missing))
    return None


Gate = Callable[[Pending], "Decision | None"]
GATES: tuple[Gate, ...] = (out_of_scope, filtered_out, irrelevant, missing_terms)


def run_gates(p: Pending, gates: tuple[Gate, ...] = GATES) -> Decision | None:
    """The first gate that refuses, or None: the model may be asked."""
    for gate in gates:
        if (decision := gate(p)) is not None:
            return decision
    return None
