"""Answer checks: whether the model's whole answer says anything, before its clauses are read
(`refused_outright`: it declined, or only restated the question), and whether anything that answers
the question is left after the clause checks (`left_nothing`)."""
from __future__ import annotations

import re

from ..reportmeta import YEAR
from ..schema import Decision, Passage
from ..textnorm import MARKER, bigrams, figures, normalize
from .asked import Asked
from .thresholds import DEFAULT, Thresholds

_REFUSAL_CUES = re.compile(r"^(?:根据)?(?:报告|资料|所给资料|提供的资料)?(?:中|里)?[，,]?(?:并)?(?:没有|未|无)(?:找到|提及|提到|涉及|包含|相关)"
                           r"|没有找到与该问题相关|无法(?:回答|确定|找到)|未提供相关|没有提供相关")
_NEGATION = re.compile(r"没有|未|无|不")

MODEL_REFUSED = Decision("model_refused", "refuse", "未作答：模型在给出的段落中没有找到答案。")
ECHO = Decision("echo", "refuse", "未作答：模型只复述了问题，没有说出段落中的内容。")
NO_COUNT = Decision("no_count", "refuse", "未作答：问的是数量，核对后回答中没有留下可以核实的数字。")
NOTHING_LEFT = Decision("nothing_left", "refuse", "未作答：回答中的数字都未通过核对，剩下的内容不能回答问题。")


def is_refusal(text: str) -> bool:
    """The model says the passages do not hold the answer (or says nothing)."""
    stripped = MARKER.sub("", normalize(text)).strip()
    return not stripped or bool(_REFUSAL_CUES.search(stripped[:40]))


def is_echo(answer: str, question: str, passages: list[Passage], t: Thresholds = DEFAULT) -> bool:
    """An 'answer' that only restates the question: no number, almost no words of its own taken
    from the passages (small models do this when the passages lack the answer) and no name copied
    from them (a terse "平台叫“清膳E家”" or "市发改委" answers a which/what question)."""
    body = MARKER.sub("", answer)
    if set(figures(body)) - set(figures(question)):
        return False
    context = set().union(*(bigrams(p.text) for p in passages)) if passages else set()
    if len((bigrams(body) - bigrams(question)) & context) >= t.min_new_bigrams:
        return False
    asked = set(normalize(question))
    runs = re.findall(r"[^\W\d_]+", "".join(ch if ch not in asked else " " for ch in normalize(body)))
    text = normalize("".join(p.text for p in passages))
    return not any(len(run) >= t.min_new_name and run in text for run in runs)


def refused_outright(text: str, asked: Asked, passages: list[Passage],
                     t: Thresholds = DEFAULT) -> tuple[Decision, str] | None:
    """The model declined (`is_refusal`) or restated the question (`is_echo`, refused in other words:
    "资料没有说明…"): its decision, and what it affirmed when it restated a yes/no question ("学校开放"
    for "…学校开放吗？", which a quote of the report may still answer); None: read its clauses."""
    if is_refusal(text):
        return MODEL_REFUSED, ""
    if asked.text and is_echo(text, asked.text, passages, t):
        if _NEGATION.search(text):
            return MODEL_REFUSED, ""
        return ECHO, MARKER.sub("", text) if asked.yes_no else ""
    return None


def left_nothing(text: str, asked: Asked, withheld: bool) -> Decision | None:
    """What is left after the clause checks answers nothing: no text, or no count where figures were
    withheld (a preamble, a year), or a how-many question with no count."""
    counts = [f for f in figures(text) if not YEAR.fullmatch(f)]
    if text and (counts or not (withheld or asked.counter)):
        return None
    return NO_COUNT if text and asked.counter else NOTHING_LEFT
