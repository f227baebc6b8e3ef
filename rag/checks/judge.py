"""The judge gate, after retrieval and before the model answers: whether the passages the model
would read answer the question. Skipped when a sentence the model reads says what is asked
(`plainly_stated`: 2–3 s saved on 2 cores); else the judge model's yes/no against judge_min,
overruled when the report states the count in min_subject_stated of the question's words (the 1.5B
misses plain counts: "行政机关合同127件" for "审查了多少件行政机关合同")."""
from __future__ import annotations

from typing import Callable

from ..schema import ContextItem, Decision, Evidence
from .asked import Asked
from .counting import states_count
from .thresholds import DEFAULT, Thresholds


def plainly_stated(asked: Asked, evidence: Evidence, closeness: Callable[[], float],
                   t: Thresholds = DEFAULT) -> Decision | None:
    """The judge is skipped when the evidence sentence says what is asked: in the question's own
    words (plainly_stated of them, of at least min_plain_subject), or close in meaning (meant_share
    of them and `closeness`, the cosine, asked only then, of plainly_meant). Calibrated on the 52
    unanswerable eval questions: none reached the second (the closest: 0.633 with 0.62 of the
    words); one reached the first, whose figure is another level's (全省 for 全国), which the clause
    checks withhold."""
    share = asked.share(evidence.text)
    if share >= t.plainly_stated and len(asked.subject) >= t.min_plain_subject:
        return Decision("judge", "skip_judge", "原文句子用问题的原话说出了所问内容，不必再让模型判断。",
                        share, t.plainly_stated, ("words",))
    if share >= t.meant_share and (cosine := closeness()) >= t.plainly_meant:
        return Decision("judge", "skip_judge", "原文句子以相近的意思说出了所问内容，不必再让模型判断。",
                        cosine, t.plainly_meant, ("meaning",))
    return None


def judged(asked: Asked, context: list[ContextItem], evidence: Evidence | None, judge_min: float | None,
           score: Callable[[], float] | None, closeness: Callable[[], float],
           t: Thresholds = DEFAULT) -> Decision | None:
    """The judge's decision; None when there is nothing to judge or no judge. `score`: asks the
    judge model (None: no model)."""
    if not context or judge_min is None:
        return None
    if (evidence is not None and evidence.passage in [c.hit.passage for c in context]
            and (plain := plainly_stated(asked, evidence, closeness, t)) is not None):
        return plain
    if score is None:
        return None
    value = score()
    if round(value, 3) >= judge_min:
        return Decision("judge", "pass", f"判断模型认为段落可以回答（得分 {value:.2f}）。", value, judge_min)
    if evidence is not None and states_count(evidence.text, asked, t.min_subject_stated):
        return Decision("judge", "overrule", "判断模型认为段落不足以回答，但原文句子按问题的说法给出了这个数量，"
                        "仍请模型作答。", value, judge_min)
    return Decision("judge", "refuse", "未作答：判断模型认为检索到的段落不足以回答"
                    f"（得分 {value:.2f}，低于 {judge_min}）。", value, judge_min)
