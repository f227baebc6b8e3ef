"""Clause checks: each sentence of the model's answer is read with the passages it cites, and each
check names the figures of it that may not be shown. `CLAUSE_CHECKS` is their order; the first five
(`FIGURE_CHECKS`) ask, of each figure the cited passages hold, whether it answers what was asked
(together: `Clause.misread`, a figure taken from a clause about something else).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Iterator

from ..reportmeta import YEAR
from ..schema import LEVEL_WORD, Decision, Passage, ReportInfo, wider
from ..scoping import aliases, mentions
from ..textnorm import CLAUSE, HAN, MARKER, counted, figures, normalize, sentences
from .asked import Asked, words
from .counting import names_thing, ordinals, other_level, stretches
from .thresholds import DEFAULT, Thresholds

_FUNCTION_CHARS = set("了的是在有和与及其已经共计为将对把被所")


def passage_figures(p: Passage) -> set[str]:
    """The figures a passage holds, its report label and heading path included."""
    return set(figures(f"{p.scope} {p.path} {p.text}"))


@dataclass(frozen=True)
class Clause:
    """What a clause check reads: one sentence of the answer, the passages it cites, every passage
    shown (`passages`) and retrieved (`rivals`), the question, the whole answer, the reports'
    identities, the question's scope (None: any report) and the thresholds."""

    sentence: str
    cited: list[Passage]
    passages: list[Passage]
    asked: Asked
    answer: str
    rivals: list[Passage]
    reports: dict[str, ReportInfo]
    scope: frozenset[str] | None
    t: Thresholds = DEFAULT

    @cached_property
    def held(self) -> set[str]:
        return set().union(*(passage_figures(p) for p in self.cited)) if self.cited else set()

    def holders(self, figure: str) -> list[Passage]:
        """The cited passages holding a figure."""
        return [p for p in self.cited if figure in passage_figures(p)]

    def own_levels(self, passages: list[Passage]) -> set[str]:
        """The levels the passages' reports count their own figures at (全区 for a district's)."""
        return {self.reports[d].level for p in passages for d in p.doc_ids if d in self.reports} - {""}

    def counts_by_clause(self) -> Iterator[tuple[str, list[str]]]:
        """Each clause of the sentence with the counts it states (years are no counts)."""
        for clause in CLAUSE.findall(MARKER.sub("", self.sentence)):
            yield clause, [f for f in figures(clause) if not YEAR.fullmatch(f)]

    @cached_property
    def counter(self) -> str:
        """What the question counts; of "总数是多少？" (no counter), what the sentence's one figure counts."""
        if self.asked.counter or not self.asked.how_many:
            return self.asked.counter
        found = [c for f, c in counted(self.sentence) if not YEAR.fullmatch(f)]
        return found[0] if len(found) == 1 else ""

    @cached_property
    def listing(self) -> bool:
        """The sentence states several figures of what is counted: it lists them, so another
        stretch's figure is no rival (it may be the next item)."""
        return len({f for f, c in counted(self.sentence) if c == self.counter}) > 1

    @cached_property
    def theirs(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The cited passages' stretches."""
        return [st for p in self.cited for st in stretches(p.text)]

    @cached_property
    def seen(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The stretches of the passages shown or retrieved from the cited passages' reports:
        another report's figure for the same thing is no rival."""
        owners = set().union(*(p.doc_ids for p in self.cited)) if self.cited else set()
        return [st for p in self.rivals if p.doc_ids & owners for st in stretches(p.text)]

    @cached_property
    def counts_asked(self) -> bool:
        """Whether the question asks, in the words the shown passages use (min_subject_in_report of
        them), how many of something it names: else wording is the judge's job (看护点 for 托管服务点)."""
        shown = self.rivals or self.cited
        shown_words = set().union(*(words(p.text, self.asked.names) for p in shown)) if shown else set()
        subject = self.asked.subject
        return (bool(self.counter) and len(subject & shown_words) >= self.t.min_subject_in_report * len(subject)
                and self.asked.specific)

    @cached_property
    def stated(self) -> list["Figure"]:
        """Each figure of the sentence's stretches that a cited passage holds, with the cited
        sentences holding it (one no cited passage holds is `unsupported`'s)."""
        out = []
        for text, found in stretches(MARKER.sub("", self.sentence)):
            for figure, counts in found:
                held = [s for p in self.cited for s in sentences(p.text) if figure in figures(s)]
                if held:
                    out.append(Figure(text, figure, counts, held))
        return out

    @cached_property
    def faults(self) -> list[tuple[str, str]]:
        """(figure, the first figure check that fails it), in the sentence's order."""
        return [(f.figure, name) for f in self.stated
                for name in [next((n for n, check in FIGURE_CHECKS if check(self, f)), "")] if name]

    @cached_property
    def misread(self) -> list[str]:
        """Figures its cited passages state only in a clause about something else."""
        return list(dict.fromkeys(f for f, _ in self.faults))


@dataclass(frozen=True)
class Figure:
    """One figure of an answer's stretch (`clause`), what it counts, and the cited sentences holding it."""

    clause: str
    figure: str
    counts: str
    held: list[str]

    @property
    def rank(self) -> bool:
        """位列全省第2: a rank among the province's, not a count at its level."""
        return self.figure in ordinals(self.clause)


def says(sentence: str, clause: str, asked: Asked, t: Thresholds = DEFAULT) -> bool:
    """Whether a passage sentence says what an answer's clause adds to the question (small models
    restate it): min_clause_overlap of its bigrams, or min_char_overlap of its characters (a terse
    answer reorders words: 连续开展了9年 / 连续9年开展). A clause that adds nothing but its figure's
    own digits (or no Chinese) is said."""
    added = {w for w in words(clause, asked.names) - asked.echoed if not any(ch.isdigit() for ch in w)}
    chars = {c for w in added for c in w if HAN.fullmatch(c)} - _FUNCTION_CHARS
    theirs = words(sentence, asked.names)
    return (not added or len(added & theirs) >= t.min_clause_overlap * len(added)
            or len(chars & {c for w in theirs for c in w}) >= t.min_char_overlap * len(chars))


def unsaid(c: Clause, f: Figure) -> bool:
    """No cited sentence stating the figure says what the answer's clause adds ("集体学法9次…专题
    研讨5次": 5 copied from the neighbouring clause passes the number check, answering another question)."""
    return not any(says(s, f.clause, c.asked, c.t) for s in f.held)


def wrong_level(c: Clause, f: Figure) -> bool:
    """Asked at one level (全国), a count the report states only at another (全省) (`other_level`)."""
    return not f.rank and other_level(f.figure, f.counts, f.held, c.asked)


def false_rank(c: Clause, f: Figure) -> bool:
    """A rank (第21位) no cited sentence states as a rank (21个案例上榜 is no 21st place)."""
    return f.rank and not any(f.figure in ordinals(s) for s in f.held)


def _own(c: Clause, f: Figure) -> list[tuple[str, frozenset[str]]]:
    """The cited stretches stating the figure, each with the subject words it carries."""
    return [(text, c.asked.carried(text)) for text, fs in c.theirs if any(x == f.figure for x, _ in fs)]


def off_subject(c: Clause, f: Figure) -> bool:
    """A count of what the question counts (几次, 多少名), taken from a stretch carrying less than
    min_subject_in_stretch of what it asks about in a sentence carrying less than
    min_subject_in_sentence (asked about 机关干部集中学法, 9次 of "全年组织领导班子集体学法9次"). A stretch
    naming the very thing counted (多少个学位: "新增学位10.09万个") answers it however else the
    question words it."""
    if not c.counts_asked or f.counts != c.counter:
        return False
    own, n = _own(c, f), len(c.asked.subject)
    in_sentence = max(len(c.asked.carried(s)) for s in f.held)
    return (max((len(carried) for _, carried in own), default=0) < c.t.min_subject_in_stretch * n
            and in_sentence < c.t.min_subject_in_sentence * n
            and not any(names_thing(text, c.asked.noun) for text, _ in own))


def outranked(c: Clause, f: Figure) -> bool:
    """Another stretch of the same report's passages carries the question's subject better (and
    min_subject of it), with a figure counting the same kind of thing that the answer does not
    state: asked about 丙, "连续9年" is 乙's figure when a passage says "连续11年开展丙". Better: all
    the subject words the figure's stretch carries and more, or more of them and naming the thing
    counted where the figure's stretch does not (asked about 行政机关合同, 9件 of "审查重大决策9件、…
    行政机关合同236件"). Not for a sentence listing several figures of what is counted ("甲4年，乙9年，丙11年")."""
    if not c.counts_asked or f.counts != c.counter or c.listing:
        return False
    own = _own(c, f)
    best = max((carried for _, carried in own), key=len, default=frozenset())
    named = any(names_thing(text, c.asked.noun) for text, _ in own)
    stated = set(figures(c.answer or c.sentence))
    for text, fs in c.seen:
        carries = c.asked.carried(text)
        rivals = [x for x, k in fs if k == f.counts and x != f.figure and x not in stated]
        better = carries > best or not named and names_thing(text, c.asked.noun) and len(carries) > len(best)
        if rivals and better and len(carries) >= c.t.min_subject * len(c.asked.subject):
            return True
    return False


FigureCheck = Callable[[Clause, Figure], bool]
FIGURE_CHECKS: tuple[tuple[str, FigureCheck], ...] = (
    ("unsaid", unsaid), ("wrong_level", wrong_level), ("false_rank", false_rank),
    ("off_subject", off_subject), ("outranked", outranked))


def unsupported(c: Clause) -> list[str]:
    """Figures no cited passage holds."""
    return [f for f in figures(c.sentence) if f not in c.held]


def other_report(c: Clause) -> list[str]:
    """Figures stated under another indexed body's name than the report they are cited from
    ("青禾区共聘任103名[1]" where [1] is 云溪区's): the worst answer there is, so it is never shown."""
    if len(c.reports) < 2 or not (stated := figures(c.sentence)):
        return []
    cited = {p.doc_id for p in c.cited}
    if not cited:
        return []
    theirs = {a for d in cited if d in c.reports for a in aliases(c.reports[d])}
    others = {a for d, info in c.reports.items() if d not in cited for a in aliases(info)} - theirs
    # longest name first: 澄州市教育局 is another body even when 澄州市 is the cited district's region
    said = {name for name, _, _ in mentions(normalize(c.sentence), theirs | others)}
    return list(dict.fromkeys(stated)) if said & others and not said & theirs else []


def misleveled(c: Clause) -> list[str]:
    """Figures an answer states at a level (全市) its cited passages do not count them at: the
    sentences holding the figure name another level (全区), or none and their report is of another
    level (a district's report counts its own district). A district's figure is never the city's."""
    wrong = []
    for clause, counts in c.counts_by_clause():
        said = set(LEVEL_WORD.findall(clause))
        for figure in counts if said else []:
            holders = c.holders(figure)
            held = [s for p in holders for s in sentences(p.text) if figure in figures(s)]
            counted_at = set().union(*(LEVEL_WORD.findall(s) for s in held)) or c.own_levels(holders)
            if counted_at and not said & counted_at:
                wrong.append(figure)
    return wrong


# a level word as a stretch's subject, after time words: "今年全市新建成…96所", not "在全省比赛中获…6人"
_SUBJECT_LEVEL = re.compile(rf"^(?:(?:今年|全年|当年|年内|目前|(?:19|20)\d{{2}}\s*年度?)[,，]?)*({LEVEL_WORD.pattern})")


def _counted_over(figure: str, p: Passage) -> set[str]:
    """The levels a passage's stretches stating the figure name as their subject ('' for none)."""
    return {(m.group(1) if (m := _SUBJECT_LEVEL.match(text.strip())) else "")
            for text, found in stretches(p.text) if any(f == figure for f, _ in found)}


def unstated_level(c: Clause) -> list[str]:
    """Figures the cited report counts over a wider area than its own, as its sentence's subject (a
    district's report quoting the city's total: "全市共聘任9999名"), stated by an answer clause that
    names no level: under the report's name the city's total reads as the district's own."""
    wrong = []
    for clause, counts in c.counts_by_clause():
        for figure in [] if LEVEL_WORD.search(clause) else counts:  # a level said: `misleveled` checks it
            holders = c.holders(figure)
            over = set().union(*(_counted_over(figure, p) for p in holders)) if holders else set()
            own = c.own_levels(holders)
            if over and own and "" not in over and all(wider(a, b) for a in over for b in own):
                wrong.append(figure)
    return wrong


def outside_scope(c: Clause) -> list[str]:
    """Figures only cited passages of reports outside the question's scope hold."""
    if c.scope is None:
        return []
    return [f for f in figures(c.sentence) if (holders := c.holders(f)) and not any(p.doc_ids & c.scope for p in holders)]


def _figure_check(name: str) -> Callable[[Clause], list[str]]:
    return lambda c: [f for f, n in c.faults if n == name]


# The clause checks, in order: each names the figures of a sentence that may not be shown.
CLAUSE_CHECKS: tuple[tuple[str, Callable[[Clause], list[str]]], ...] = (
    *((name, _figure_check(name)) for name, _ in FIGURE_CHECKS),
    ("unsupported", unsupported), ("other_report", other_report), ("level", misleveled),
    ("unstated_level", unstated_level), ("outside_scope", outside_scope))
MISPLACED = frozenset({"other_report", "level", "unstated_level", "outside_scope"})  # those whose figures are another report's

# What a clause check says when it withholds figures (Answer.decisions; the chat shows the reason).
_WITHHELD = {
    "unsaid": "引用段落中说出这些数字的句子讲的是另一件事",
    "wrong_level": "报告是在另一个层级（如全省）统计这些数字的，与问题所问的不同",
    "false_rank": "段落中这些数字不是名次",
    "off_subject": "原文中说出这些数字的部分与所问的事关系不大",
    "outranked": "段落中另有一处更切合问题的同类数字",
    "unsupported": "引用的段落中没有这些数字",
    "other_report": "回答把它们归到了另一份报告的单位名下",
    "level": "报告统计这些数字的范围与回答所说的不同（如把区的数字说成全市的）",
    "unstated_level": "原文统计的是比报告单位更大的范围（如区的报告里写的全市数字），回答没有说明",
    "outside_scope": "它们出自问题没有问到的报告",
}


def withhold(check: str, figs: list[str]) -> Decision:
    """The decision of a clause check that withheld figures."""
    figs = list(dict.fromkeys(figs))
    return Decision(check, "withhold", f"未显示 {'、'.join(figs)}：{_WITHHELD[check]}。", figures=tuple(figs))
