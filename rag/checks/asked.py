"""One analysis of a question, built once per question (`Asked.of`) and read by every check: what
it asks about (its subject words), what a how-many question counts, its kind, the level it asks
at (全市, 全国) and the reports' names that say whose a figure is, not what it counts. The checks
compare a clause or a sentence with it, never re-reading the question themselves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..keyword import counted_phrase
from ..reportmeta import ORG
from ..schema import LEVEL_WORD
from ..textnorm import DEMONSTRATIVE, HAN, HOW_MANY, asked_counter, bigrams, cn_digits

_SOURCE = re.compile(r"据(?:《[^》]{0,40}》|[^，,。；;]{0,40}?报告)[，,]?")  # "据…报告，": whose figure, not what it counts
_YEARS = re.compile(r"(?:19|20)\d{2}\s*年?度?")
_ASKING = re.compile(r"(?:多少|几)[名所件次个项人家场批届年元条起位余多]?|哪几|哪些|哪个|哪|什么|是否|怎么样|怎样|如何|一共|共计|总共|有没有|请问|吗|呢"
                     rf"|{DEMONSTRATIVE}|已经|分别|了|的|是|有|都|还|又|[，,。？?！!：:“”\"'《》（）()]")
# a body referred to, not named ("市教育局", "区政府"): whose figure, not what it counts (a 委员会 or
# 办公室 is often what is asked about: 依法治区委员会召开了几次会议)
_BODY = re.compile(rf"[省市区县]?(?:{ORG})(?<!委员会)(?<!办公室)")
_YES_NO = re.compile(r"吗|是否|有没有|有无|是不是|能不能|可不可以|会不会")


def unnamed(text: str, names: tuple[str, ...] | list[str] = (), years: tuple[int, ...] | None = None) -> str:
    """A text with the reports' names and its years blanked: what it says, not whose or when.
    `years`: only these (the reports' own: a plan's 2025 in a 2024 report says what is asked)."""
    for name in names:
        text = text.replace(name, " ")
    if years is None:
        return _YEARS.sub(" ", text)
    return re.sub(rf"(?:{'|'.join(map(str, years))})\s*年?度?", " ", text) if years else text


def words(text: str, names: tuple[str, ...] | list[str] = ()) -> set[str]:
    """A text's bigrams without body names and years (`unnamed`) and "据…报告" (whose figure). No
    bigram spans a removed word."""
    text = unnamed(_SOURCE.sub(" ", cn_digits(text, lone_one=False)), names)
    return set().union(*(bigrams(part) for part in text.split()))


def subject_of(text: str, names: tuple[str, ...] | list[str] = ()) -> frozenset[str]:
    """What a question (or a restatement of one) asks about: its Chinese words without names, bodies
    (市教育局), years and the asking words (多少, 几); pasted code or markup around a question
    ("'; DROP TABLE…") says nothing about it."""
    text = unnamed(text, names, ())  # before the kinds of body: 杭州市教育局 is a name, not 杭州 + 市教育局
    return frozenset(w for w in words(_ASKING.sub(" ", _BODY.sub(" ", text))) if HAN.fullmatch(w[0]) and HAN.fullmatch(w[1]))


def specific(subject: frozenset[str] | set[str], noun: str) -> bool:
    """Whether a subject says enough to match clauses on: two words, or one that is the very thing a
    how-many question counts (它一共设了多少项指标 → 指标)."""
    return len(subject) >= 2 or bool(subject) and bool(noun) and subject <= bigrams(noun)


@dataclass(frozen=True)
class Asked:
    """A question as the checks read it."""

    text: str
    names: tuple[str, ...]  # every name the indexed reports go by, longest first
    subject: frozenset[str]  # what it asks about (`subject_of`)
    counter: str  # what a how-many question counts: 所 of 多少所; ''
    noun: str  # the thing counted, as the question names it after the counter (多少个学位 → 学位); ''
    how_many: bool  # 多少, 几 (with a counter or not: "总数是多少？")
    yes_no: bool  # 是否, 吗, 有没有
    levels: frozenset[str]  # the whole areas it asks at (全市, 全国)
    echoed: frozenset[str]  # its bigrams: small models restate the question

    @classmethod
    def of(cls, question: str, names: tuple[str, ...] | list[str] = ()) -> "Asked":
        names = tuple(names)
        counter = asked_counter(question)
        how_many, yes_no = bool(HOW_MANY.search(question)), bool(_YES_NO.search(question))
        return cls(question, names, subject_of(question, names), counter,
                   "".join(counted_phrase(question)[1]) if counter else "", how_many, yes_no,
                   frozenset(LEVEL_WORD.findall(question)), frozenset(bigrams(question)))

    @property
    def specific(self) -> bool:
        """Whether it says enough about what it asks to match clauses on (`specific`)."""
        return specific(self.subject, self.noun)

    def carried(self, text: str) -> frozenset[str]:
        """The subject words a text says."""
        return self.subject & words(text, self.names)

    def share(self, text: str) -> float:
        """The share of the subject a text says (0 for a question with no subject words)."""
        return len(self.carried(text)) / len(self.subject) if self.subject else 0.0
