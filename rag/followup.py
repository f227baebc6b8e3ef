"""A follow-up made standalone: it takes from the conversation only what it leaves out.

Three kinds of next question, told apart by their own words (no model call, a few ms):
- its own subject ("那新建了多少所学校？"): a new question. A leading 那/那么 is a discourse marker,
  not a reference; only the body, place and year the conversation was about carry over.
- an ellipsis ("那2024年呢？", "那云溪区呢？"): the previous question again, with the named
  body, place or year put in place of the old one; "那在职教职工呢？" names a new subject and
  borrows the previous question's predicate: the thing the previous question counted is replaced
  ("有多少名拟聘用的教职工做了准入查询" → "有多少名在职教职工做了准入查询"), or, when it
  counted nothing, the model is shown that question after the new one.
- a reference or a missing subject ("那它们覆盖了多少所中小学？", "其中审结了多少件？",
  "那全市累计有多少所了？"): the question keeps its own words and scope; retrieval also reads
  the previous question, after the new one's words.

Gluing the whole previous question in front, as before, made retrieval find the old topic and
the model answer the old question again ("全市共聘任…法治副校长" → "那新建了多少所学校？" → 1237).
"""
from __future__ import annotations

import re
from typing import Callable, Sequence

from .keyword import counted_phrase, pos_tags
from .reportmeta import ORG, YEAR
from .schema import Question
from .textnorm import DEMONSTRATIVE

Named = Callable[[str], Sequence[str]]  # the bodies, places and years a text names (Scope.named)

_DISCOURSE = re.compile(r"^(?:那么|那)(?![个些里样])[，,、\s]*")
_REFERS = re.compile(rf"{DEMONSTRATIVE}|其")
_ELLIPSIS = re.compile(r"(?:的情况|的呢|呢|又如何|又怎样|怎么样)[？?！!。\s]*$")
_ORG_END = re.compile(rf"(?:{ORG})$")
_NOUN_FLAGS = ("n", "nz", "nt", "nr", "nrt", "vn", "j", "l")
_GENERIC = {"全市", "全区", "全县", "全省", "全年", "全国", "情况", "数字", "数量", "人数", "数目", "总数", "合计",
            "共计", "总共", "一共", "累计", "其中", "分别", "多少", "哪些", "什么", "报告", "年度"}
_QUESTION_END = "？?。！! "


def _is_year(name: str) -> bool:
    return bool(YEAR.fullmatch(name.removesuffix("年").removesuffix("度")))


def _without(text: str, names: Sequence[str]) -> str:
    for name in names:
        text = text.replace(name, " ")
    return YEAR.sub(" ", text)


def has_subject(text: str, names: Sequence[str]) -> bool:
    """Whether a question names what it asks about (学校, 学位, 服务点), beyond bodies and years."""
    return any(flag.startswith(_NOUN_FLAGS) and flag != "ns" and len(word) >= 2 and word not in _GENERIC
               for word, flag in pos_tags(_without(text, names)))


def _in_order(text: str, names: Sequence[str]) -> list[str]:
    return sorted(dict.fromkeys(names), key=lambda n: (text.find(n), -len(n)))


def _substitute(previous: str, old: Sequence[str], new: Sequence[str]) -> str:
    """The previous question about the newly named body/place/year instead of the old one(s)."""
    out = previous
    for kind in (_is_year, lambda n: not _is_year(n)):
        fresh, stale = [n for n in new if kind(n)], [n for n in _in_order(previous, old) if kind(n)]
        if not fresh:
            continue
        replacement = "".join(fresh)
        if not stale:
            out = replacement + out
            continue
        if len(fresh) == 1 and not _ORG_END.search(replacement) and (org := _ORG_END.search(stale[0])):
            replacement += org.group()  # 那云溪区呢 after 青禾区教育局: 云溪区教育局, the same kind of body
        out = out.replace(stale[0], replacement, 1)
        for name in stale[1:]:
            out = out.replace(name, "", 1)
    return out


def _carry(question: str, mine: Sequence[str], theirs: Sequence[str], previous: str) -> str:
    """The question with the conversation's body/place/year in front, for those kinds it names none of."""
    kinds = {_is_year(n) for n in mine}
    carried = [n for n in _in_order(previous, theirs) if _is_year(n) not in kinds and n not in question]
    return "".join(carried) + question


def _names(text: str, named: Named) -> list[str]:
    """The bodies, places and years a text names; years no report covers included (2023年)."""
    return list(dict.fromkeys([*named(text), *(f"{y}年" for y in YEAR.findall(text))]))


def _follow(question: str, previous: str, named: Named) -> tuple[Question, str]:
    """The question resolved against the previous turn, and what the next turn resolves against."""
    if not previous:
        return Question(question, question, question), question
    rest = _DISCOURSE.sub("", question) or question
    mine, theirs = _names(rest, named), _names(previous, named)
    ellipsis = _ELLIPSIS.search(rest)
    core = rest[:ellipsis.start()] if ellipsis else rest
    if ellipsis and mine and not has_subject(core, mine) and not _REFERS.search(core):
        asked = _substitute(previous, theirs, mine)  # 那2024年呢？ 那云溪区呢？
        return Question(question, asked, asked), asked
    asked = _carry(rest, mine, theirs, previous)
    if ellipsis and core.strip():
        # 那在职教职工呢？: a new subject, the previous question's predicate (多少名…做了查询)
        base = _substitute(previous, theirs, mine) if mine else previous
        (counted, nouns), new = counted_phrase(base), _without(core, mine).strip().strip("的")
        if counted and new and not _REFERS.search(new):
            # the thing the previous question counted, replaced: "2024年审查了几件重大决策？" →
            # "那行政规范性文件呢？" is "2024年审查了几件行政规范性文件？"; one word in front of a
            # longer name replaces its first word ("多少件增量政策措施" → "存量的呢？": 存量政策措施)
            if len(nouns) > 1 and len(pos_tags(new)) == 1:
                counted = nouns[0]
            asked = base.replace(counted, new, 1)
            return Question(question, asked, asked), asked
        query = f"{_carry(core, mine, theirs, previous)}；{base.rstrip(_QUESTION_END)}"
        return Question(question, query, f"{asked}（上一个问题是：{base}）"), query
    if _REFERS.search(rest) or not has_subject(rest, mine):
        # 它们/其中/… or no subject of its own: its own words first, the topic it refers to after
        query = f"{asked.rstrip(_QUESTION_END)}；{previous.rstrip(_QUESTION_END)}"
        return Question(question, query, asked), query
    return Question(question, asked, asked), asked


def resolve(question: str, history: list[dict] | None, named: Named) -> Question:
    """The question as retrieval and the model should read it, given the earlier turns.

    Each earlier turn is resolved in order, so a chain of follow-ups keeps its subject."""
    previous = ""
    for turn in history or []:
        text = (turn.get("question") or "").strip() if isinstance(turn, dict) else ""
        if text:
            previous = _follow(text, previous, named)[1]
    return _follow(question, previous, named)[0]
